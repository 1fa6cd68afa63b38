// Package stored is the stored form of the values that the stores keep as
// JSON: a record's revisions and a registry's authorizer configuration. It
// is one definition for store/sqlite and store/postgres, which store the
// same JSON.
//
// The types here are storage's own, with their own JSON tags, rather than
// the domain types, whose tags are the API's wire shape: a change to the
// API's JSON cannot change what is stored, and existing databases keep
// loading. The contract suite (storetest.RunStoredV1) pins the stored
// bytes, and TestEveryFieldStored fails when a domain type gains a field
// that would not be stored.
package stored

import (
	"encoding/json"
	"time"

	"github.com/agentry/agentry/registry"
)

type revision struct {
	Name           string      `json:"name"`
	Description    string      `json:"description,omitempty"`
	DescriptorType string      `json:"descriptorType"`
	Descriptors    descriptors `json:"descriptors"`
	Version        string      `json:"version,omitempty"`
	Status         string      `json:"status"`
	StatusReason   string      `json:"statusReason,omitempty"`
	UpdatedAt      int64       `json:"updatedAt"` // Unix milliseconds
	SyncType       string      `json:"syncType,omitempty"`
	Sync           *syncConfig `json:"sync,omitempty"`
}

type syncConfig struct {
	FromURL *fromURLSync `json:"fromUrl,omitempty"`
}

type fromURLSync struct {
	URL                              string               `json:"url"`
	CredentialProviderConfigurations []credentialProvider `json:"credentialProviders,omitempty"`
}

type credentialProvider struct {
	CredentialProviderType string                  `json:"type"`
	CredentialProvider     credentialProviderUnion `json:"provider"`
}

type credentialProviderUnion struct {
	OAuth *oauthCredentialProvider `json:"oauth,omitempty"`
	IAM   *iamCredentialProvider   `json:"iam,omitempty"`
}

type oauthCredentialProvider struct {
	ProviderARN      string            `json:"providerArn"`
	GrantType        string            `json:"grantType,omitempty"`
	Scopes           []string          `json:"scopes,omitempty"`
	CustomParameters map[string]string `json:"customParameters,omitempty"`
}

type iamCredentialProvider struct {
	RoleARN string `json:"roleArn,omitempty"`
	Service string `json:"service,omitempty"`
	Region  string `json:"region,omitempty"`
}

func encodeSync(c registry.SyncConfig) syncConfig {
	return syncConfig{FromURL: convert(c.FromURL, func(f registry.FromURLSync) fromURLSync {
		return fromURLSync{URL: f.URL, CredentialProviderConfigurations: convertAll(f.CredentialProviderConfigurations,
			func(p registry.CredentialProvider) credentialProvider {
				return credentialProvider{CredentialProviderType: p.CredentialProviderType, CredentialProvider: credentialProviderUnion{
					OAuth: (*oauthCredentialProvider)(p.CredentialProvider.OAuth), IAM: (*iamCredentialProvider)(p.CredentialProvider.IAM)}}
			})}
	})}
}

func decodeSync(c syncConfig) registry.SyncConfig {
	return registry.SyncConfig{FromURL: convert(c.FromURL, func(f fromURLSync) registry.FromURLSync {
		return registry.FromURLSync{URL: f.URL, CredentialProviderConfigurations: convertAll(f.CredentialProviderConfigurations,
			func(p credentialProvider) registry.CredentialProvider {
				return registry.CredentialProvider{CredentialProviderType: p.CredentialProviderType, CredentialProvider: registry.CredentialProviderUnion{
					OAuth: (*registry.OAuthCredentialProvider)(p.CredentialProvider.OAuth), IAM: (*registry.IAMCredentialProvider)(p.CredentialProvider.IAM)}}
			})}
	})}
}

type descriptors struct {
	MCP         *mcpDescriptor         `json:"mcp,omitempty"`
	A2A         *a2aDescriptor         `json:"a2a,omitempty"`
	Custom      *customDescriptor      `json:"custom,omitempty"`
	AgentSkills *agentSkillsDescriptor `json:"agentSkills,omitempty"`
}

type mcpDescriptor struct {
	Server *serverDefinition `json:"server,omitempty"`
	Tools  *toolsDefinition  `json:"tools,omitempty"`
}

// The leaf types convert to and from the domain's with a Go conversion,
// which ignores tags but needs the same fields.

type serverDefinition struct {
	SchemaVersion string `json:"schemaVersion,omitempty"`
	InlineContent string `json:"inlineContent,omitempty"`
}

type toolsDefinition struct {
	ProtocolVersion string `json:"protocolVersion,omitempty"`
	InlineContent   string `json:"inlineContent,omitempty"`
}

type a2aDescriptor struct {
	AgentCard *agentCardDefinition `json:"agentCard,omitempty"`
}

type agentCardDefinition struct {
	SchemaVersion string `json:"schemaVersion,omitempty"`
	InlineContent string `json:"inlineContent,omitempty"`
}

type customDescriptor struct {
	InlineContent string `json:"inlineContent,omitempty"`
}

type agentSkillsDescriptor struct {
	SkillMd         *skillMdDefinition `json:"skillMd,omitempty"`
	SkillDefinition *skillDefinition   `json:"skillDefinition,omitempty"`
}

type skillMdDefinition struct {
	InlineContent string `json:"inlineContent,omitempty"`
}

type skillDefinition struct {
	SchemaVersion string `json:"schemaVersion,omitempty"`
	InlineContent string `json:"inlineContent,omitempty"`
}

type authorizer struct {
	CustomJWT *customJWTAuthorizer `json:"customJWTAuthorizer,omitempty"`
}

type customJWTAuthorizer struct {
	DiscoveryURL           string            `json:"discoveryUrl"`
	AllowedAudience        []string          `json:"allowedAudience,omitempty"`
	AllowedClients         []string          `json:"allowedClients,omitempty"`
	AllowedScopes          []string          `json:"allowedScopes,omitempty"`
	CustomClaims           []customClaim     `json:"customClaims,omitempty"`
	AdvertisedScopeMapping map[string]string `json:"advertisedScopeMapping,omitempty"`
}

type customClaim struct {
	InboundTokenClaimName      string     `json:"inboundTokenClaimName"`
	InboundTokenClaimValueType string     `json:"inboundTokenClaimValueType"`
	AuthorizingClaimMatchValue claimMatch `json:"authorizingClaimMatchValue"`
}

type claimMatch struct {
	ClaimMatchValue    claimMatchValue `json:"claimMatchValue"`
	ClaimMatchOperator string          `json:"claimMatchOperator"`
}

type claimMatchValue struct {
	MatchValueString     *string  `json:"matchValueString,omitempty"`
	MatchValueStringList []string `json:"matchValueStringList,omitempty"`
}

// EncodeRevision returns the stored JSON of r.
func EncodeRevision(r registry.Revision) []byte {
	d := r.Descriptors
	b, _ := json.Marshal(revision{
		Name: r.Name, Description: r.Description, DescriptorType: string(r.DescriptorType),
		Descriptors: descriptors{
			MCP: convert(d.MCP, func(m registry.MCPDescriptor) mcpDescriptor {
				return mcpDescriptor{Server: (*serverDefinition)(m.Server), Tools: (*toolsDefinition)(m.Tools)}
			}),
			A2A: convert(d.A2A, func(a registry.A2ADescriptor) a2aDescriptor {
				return a2aDescriptor{AgentCard: (*agentCardDefinition)(a.AgentCard)}
			}),
			Custom: (*customDescriptor)(d.Custom),
			AgentSkills: convert(d.AgentSkills, func(a registry.AgentSkillsDescriptor) agentSkillsDescriptor {
				return agentSkillsDescriptor{SkillMd: (*skillMdDefinition)(a.SkillMd), SkillDefinition: (*skillDefinition)(a.SkillDefinition)}
			}),
		},
		Version: r.Version, Status: string(r.Status), StatusReason: r.StatusReason, UpdatedAt: r.UpdatedAt.UnixMilli(),
		SyncType: r.SyncType, Sync: convert(r.Sync, encodeSync),
	})
	return b
}

// DecodeRevision reverses EncodeRevision.
func DecodeRevision(b []byte) (registry.Revision, error) {
	var r revision
	if err := json.Unmarshal(b, &r); err != nil {
		return registry.Revision{}, err
	}
	d := r.Descriptors
	return registry.Revision{
		Name: r.Name, Description: r.Description, DescriptorType: registry.DescriptorType(r.DescriptorType),
		Descriptors: registry.Descriptors{
			MCP: convert(d.MCP, func(m mcpDescriptor) registry.MCPDescriptor {
				return registry.MCPDescriptor{Server: (*registry.ServerDefinition)(m.Server), Tools: (*registry.ToolsDefinition)(m.Tools)}
			}),
			A2A: convert(d.A2A, func(a a2aDescriptor) registry.A2ADescriptor {
				return registry.A2ADescriptor{AgentCard: (*registry.AgentCardDefinition)(a.AgentCard)}
			}),
			Custom: (*registry.CustomDescriptor)(d.Custom),
			AgentSkills: convert(d.AgentSkills, func(a agentSkillsDescriptor) registry.AgentSkillsDescriptor {
				return registry.AgentSkillsDescriptor{SkillMd: (*registry.SkillMdDefinition)(a.SkillMd),
					SkillDefinition: (*registry.SkillDefinition)(a.SkillDefinition)}
			}),
		},
		Version: r.Version, Status: registry.RecordStatus(r.Status), StatusReason: r.StatusReason,
		UpdatedAt: time.UnixMilli(r.UpdatedAt).UTC(),
		SyncType:  r.SyncType, Sync: convert(r.Sync, decodeSync),
	}, nil
}

// EncodeAuthorizer returns the stored JSON of a.
func EncodeAuthorizer(a registry.AuthorizerConfig) []byte {
	b, _ := json.Marshal(authorizer{CustomJWT: convert(a.CustomJWT, func(j registry.CustomJWTAuthorizer) customJWTAuthorizer {
		return customJWTAuthorizer{
			DiscoveryURL: j.DiscoveryURL, AllowedAudience: j.AllowedAudience, AllowedClients: j.AllowedClients,
			AllowedScopes: j.AllowedScopes, AdvertisedScopeMapping: j.AdvertisedScopeMapping,
			CustomClaims: convertAll(j.CustomClaims, func(c registry.CustomClaim) customClaim {
				m := c.AuthorizingClaimMatchValue
				return customClaim{
					InboundTokenClaimName: c.InboundTokenClaimName, InboundTokenClaimValueType: c.InboundTokenClaimValueType,
					AuthorizingClaimMatchValue: claimMatch{ClaimMatchValue: claimMatchValue(m.ClaimMatchValue), ClaimMatchOperator: m.ClaimMatchOperator},
				}
			}),
		}
	})})
	return b
}

// DecodeAuthorizer reverses EncodeAuthorizer.
func DecodeAuthorizer(b []byte) (registry.AuthorizerConfig, error) {
	var a authorizer
	if err := json.Unmarshal(b, &a); err != nil {
		return registry.AuthorizerConfig{}, err
	}
	return registry.AuthorizerConfig{CustomJWT: convert(a.CustomJWT, func(j customJWTAuthorizer) registry.CustomJWTAuthorizer {
		return registry.CustomJWTAuthorizer{
			DiscoveryURL: j.DiscoveryURL, AllowedAudience: j.AllowedAudience, AllowedClients: j.AllowedClients,
			AllowedScopes: j.AllowedScopes, AdvertisedScopeMapping: j.AdvertisedScopeMapping,
			CustomClaims: convertAll(j.CustomClaims, func(c customClaim) registry.CustomClaim {
				m := c.AuthorizingClaimMatchValue
				return registry.CustomClaim{
					InboundTokenClaimName: c.InboundTokenClaimName, InboundTokenClaimValueType: c.InboundTokenClaimValueType,
					AuthorizingClaimMatchValue: registry.ClaimMatch{
						ClaimMatchValue: registry.ClaimMatchValue(m.ClaimMatchValue), ClaimMatchOperator: m.ClaimMatchOperator},
				}
			}),
		}
	})}, nil
}

// convert applies f to *p; nil stays nil.
func convert[T, U any](p *T, f func(T) U) *U {
	if p == nil {
		return nil
	}
	u := f(*p)
	return &u
}

// convertAll applies f to each element; nil stays nil.
func convertAll[T, U any](s []T, f func(T) U) []U {
	if s == nil {
		return nil
	}
	out := make([]U, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}
