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
	// GA fields, absent from revisions stored before them.
	DisplayName string       `json:"displayName,omitempty"`
	Provenance  []provenance `json:"provenance,omitempty"`
	SyncType    string       `json:"syncType,omitempty"`
	Sync        *syncConfig  `json:"sync,omitempty"`
}

type provenance struct {
	Relation      string          `json:"relation"`
	SourceID      string          `json:"sourceId"`
	SourceType    string          `json:"sourceType,omitempty"`
	SourceDetails json.RawMessage `json:"sourceDetails,omitempty"`
}

type descriptorSource struct {
	URL                 string          `json:"url"`
	CredentialProviders json.RawMessage `json:"credentialProviders,omitempty"`
}

type sourceDescriptor struct {
	Source *descriptorSource `json:"source,omitempty"`
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
	HTTP        *sourceDescriptor      `json:"http,omitempty"`
	AGUI        *sourceDescriptor      `json:"agui,omitempty"`
}

type mcpDescriptor struct {
	Server *serverDefinition `json:"server,omitempty"`
	Tools  *toolsDefinition  `json:"tools,omitempty"`
	Source *descriptorSource `json:"source,omitempty"`
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
	Source    *descriptorSource    `json:"source,omitempty"`
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
	InlineContent string            `json:"inlineContent,omitempty"`
	SchemaVersion string            `json:"schemaVersion,omitempty"`
	Source        *descriptorSource `json:"source,omitempty"`
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
				return mcpDescriptor{Server: (*serverDefinition)(m.Server), Tools: (*toolsDefinition)(m.Tools), Source: encodeSource(m.Source)}
			}),
			A2A: convert(d.A2A, func(a registry.A2ADescriptor) a2aDescriptor {
				return a2aDescriptor{AgentCard: (*agentCardDefinition)(a.AgentCard), Source: encodeSource(a.Source)}
			}),
			Custom: (*customDescriptor)(d.Custom),
			AgentSkills: convert(d.AgentSkills, func(a registry.AgentSkillsDescriptor) agentSkillsDescriptor {
				return agentSkillsDescriptor{SkillDefinition: (*skillDefinition)(a.SkillDefinition),
					SkillMd: convert(a.SkillMd, func(m registry.SkillMdDefinition) skillMdDefinition {
						return skillMdDefinition{InlineContent: m.InlineContent, SchemaVersion: m.SchemaVersion, Source: encodeSource(m.Source)}
					})}
			}),
			HTTP: convert(d.HTTP, encodeSourceDescriptor),
			AGUI: convert(d.AGUI, encodeSourceDescriptor),
		},
		Version: r.Version, Status: string(r.Status), StatusReason: r.StatusReason, UpdatedAt: r.UpdatedAt.UnixMilli(),
		DisplayName: r.DisplayName,
		Provenance:  convertAll(r.Provenance, encodeProvenance),
		SyncType:    r.SyncType, Sync: convert(r.Sync, encodeSync),
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
				return registry.MCPDescriptor{Server: (*registry.ServerDefinition)(m.Server), Tools: (*registry.ToolsDefinition)(m.Tools),
					Source: decodeSource(m.Source)}
			}),
			A2A: convert(d.A2A, func(a a2aDescriptor) registry.A2ADescriptor {
				return registry.A2ADescriptor{AgentCard: (*registry.AgentCardDefinition)(a.AgentCard), Source: decodeSource(a.Source)}
			}),
			Custom: (*registry.CustomDescriptor)(d.Custom),
			AgentSkills: convert(d.AgentSkills, func(a agentSkillsDescriptor) registry.AgentSkillsDescriptor {
				return registry.AgentSkillsDescriptor{SkillDefinition: (*registry.SkillDefinition)(a.SkillDefinition),
					SkillMd: convert(a.SkillMd, func(m skillMdDefinition) registry.SkillMdDefinition {
						return registry.SkillMdDefinition{InlineContent: m.InlineContent, SchemaVersion: m.SchemaVersion, Source: decodeSource(m.Source)}
					})}
			}),
			HTTP: convert(d.HTTP, decodeSourceDescriptor),
			AGUI: convert(d.AGUI, decodeSourceDescriptor),
		},
		Version: r.Version, Status: registry.RecordStatus(r.Status), StatusReason: r.StatusReason,
		UpdatedAt:   time.UnixMilli(r.UpdatedAt).UTC(),
		DisplayName: r.DisplayName,
		Provenance:  convertAll(r.Provenance, decodeProvenance),
		SyncType:    r.SyncType, Sync: convert(r.Sync, decodeSync),
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

func encodeSource(s *registry.DescriptorSource) *descriptorSource {
	return convert(s, func(s registry.DescriptorSource) descriptorSource {
		return descriptorSource{URL: s.URL, CredentialProviders: s.CredentialProviders}
	})
}

func decodeSource(s *descriptorSource) *registry.DescriptorSource {
	return convert(s, func(s descriptorSource) registry.DescriptorSource {
		return registry.DescriptorSource{URL: s.URL, CredentialProviders: s.CredentialProviders}
	})
}

func encodeSourceDescriptor(d registry.SourceDescriptor) sourceDescriptor {
	return sourceDescriptor{Source: encodeSource(d.Source)}
}

func decodeSourceDescriptor(d sourceDescriptor) registry.SourceDescriptor {
	return registry.SourceDescriptor{Source: decodeSource(d.Source)}
}

// registryExtra is the stored form of a registry's GA fields, kept in
// their own column (NULL when there are none) so that registries stored
// before them read unchanged.
type registryExtra struct {
	Tags          map[string]string `json:"tags,omitempty"`
	Encryption    *encryption       `json:"encryption,omitempty"`
	AutoDetection *autoDetection    `json:"autoDetection,omitempty"`
}

type encryption struct {
	KMSKeyARN string `json:"kmsKeyArn"`
}

type autoDetection struct {
	Scope   string `json:"scope"`
	Enabled bool   `json:"enabled"`
}

// EncodeRegistryExtra returns the stored JSON of r's GA fields, nil when
// it has none.
func EncodeRegistryExtra(r registry.Registry) []byte {
	if r.Tags == nil && r.Encryption == nil && r.AutoDetection == nil {
		return nil
	}
	b, _ := json.Marshal(registryExtra{Tags: r.Tags, Encryption: (*encryption)(r.Encryption), AutoDetection: (*autoDetection)(r.AutoDetection)})
	return b
}

// DecodeRegistryExtra sets r's GA fields from their stored JSON.
func DecodeRegistryExtra(b []byte, r *registry.Registry) error {
	var e registryExtra
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	r.Tags, r.Encryption, r.AutoDetection = e.Tags, (*registry.EncryptionConfig)(e.Encryption), (*registry.AutoDetectionConfig)(e.AutoDetection)
	return nil
}

// recordExtra is the stored form of a record's own (not per-revision)
// fields, in their own column like registryExtra.
type recordExtra struct {
	Tags      map[string]string `json:"tags,omitempty"`
	CreatedBy string            `json:"createdBy,omitempty"`
}

// EncodeRecordExtra returns the stored JSON of r's tags and creator, nil
// when it has neither.
func EncodeRecordExtra(r registry.Record) []byte {
	if r.Tags == nil && r.CreatedBy == "" {
		return nil
	}
	b, _ := json.Marshal(recordExtra{Tags: r.Tags, CreatedBy: r.CreatedBy})
	return b
}

// DecodeRecordExtra sets r's tags and creator from their stored JSON.
func DecodeRecordExtra(b []byte, r *registry.Record) error {
	var e recordExtra
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	r.Tags, r.CreatedBy = e.Tags, e.CreatedBy
	return nil
}

// summaryExtra is what a record summary shows of the latest revision
// beyond the list columns: the GA members.
type summaryExtra struct {
	DisplayName string       `json:"displayName,omitempty"`
	Provenance  []provenance `json:"provenance,omitempty"`
}

// EncodeSummaryExtra returns the stored JSON of what a summary shows of r's
// latest revision beyond the list columns, nil when there is nothing.
func EncodeSummaryExtra(r registry.Revision) []byte {
	if r.DisplayName == "" && r.Provenance == nil {
		return nil
	}
	b, _ := json.Marshal(summaryExtra{DisplayName: r.DisplayName, Provenance: convertAll(r.Provenance, encodeProvenance)})
	return b
}

// DecodeSummary completes s from the stored JSON of its record's extra
// column and of its summary extra (EncodeSummaryExtra); nil means none.
func DecodeSummary(recordExtra, summary []byte, s *registry.RecordSummary) error {
	if recordExtra != nil {
		var r registry.Record
		if err := DecodeRecordExtra(recordExtra, &r); err != nil {
			return err
		}
		s.CreatedBy = r.CreatedBy
	}
	if summary != nil {
		var e summaryExtra
		if err := json.Unmarshal(summary, &e); err != nil {
			return err
		}
		s.DisplayName, s.Provenance = e.DisplayName, convertAll(e.Provenance, decodeProvenance)
	}
	return nil
}

func encodeProvenance(p registry.Provenance) provenance {
	return provenance{Relation: p.Relation, SourceID: p.SourceID, SourceType: p.SourceType, SourceDetails: p.SourceDetails}
}

func decodeProvenance(p provenance) registry.Provenance {
	return registry.Provenance{Relation: p.Relation, SourceID: p.SourceID, SourceType: p.SourceType, SourceDetails: p.SourceDetails}
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
