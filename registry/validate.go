package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/agentry/agentry/descriptor"
)

// Limits of the contract.
const (
	MaxRegistryNameLen = 64
	MaxRecordNameLen   = 255
	MaxDescriptionLen  = 4096
	MaxVersionLen      = 255
	MaxReasonLen       = 4096
	MinClientTokenLen  = 33
	MaxClientTokenLen  = 256
	MaxListResults     = 100
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_\-./]*$`)

func checkName(fe *fieldErrors, field, name string, max int) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		fe.add(field, "is required and must not be empty")
	case n > max:
		fe.add(field, "must be at most %d characters, got %d", max, n)
	case !namePattern.MatchString(name):
		fe.add(field, "must start with a letter or digit and contain only letters, digits and _ - . / (got %q)", name)
	}
}

func checkLength(fe *fieldErrors, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < min || n > max:
		fe.add(field, "must be %d to %d characters, got %d", min, max, n)
	case !utf8.ValidString(s):
		fe.add(field, "must be valid UTF-8")
	case strings.ContainsRune(s, 0):
		// No store can keep NUL in text, and no person means it.
		fe.add(field, "must not contain NUL characters")
	}
}

func checkClientToken(fe *fieldErrors, token string) {
	if token != "" {
		checkLength(fe, "clientToken", token, MinClientTokenLen, MaxClientTokenLen)
	}
}

// checkMaxResults validates a list page size; nil means the default.
func checkMaxResults(fe *fieldErrors, n *int) {
	if n != nil && (*n < 1 || *n > MaxListResults) {
		fe.add("maxResults", "must be between 1 and %d, got %d", MaxListResults, *n)
	}
}

func checkEnum[T ~string](fe *fieldErrors, field string, v T, allowed ...T) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	fe.add(field, "must be one of %s, got %q", joinEnum(allowed), string(v))
}

func joinEnum[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// checkAuthorizer validates the authorizer configuration against the
// registry's authorizer type, and its discovery URL against urlPolicy
// (nil = none).
func checkAuthorizer(fe *fieldErrors, typ AuthorizerType, cfg *AuthorizerConfig, urlPolicy func(string) error) {
	const field = "authorizerConfiguration"
	if typ == AuthorizerAWSIAM {
		if cfg != nil && cfg.CustomJWT != nil {
			fe.add(field, "must not be set for an AWS_IAM registry: the authorizer type is fixed when the registry is created "+
				"(UpdateRegistry has no authorizerType). To authorize consumers with JWTs, create a new registry with "+
				"authorizerType CUSTOM_JWT and this authorizerConfiguration, and create the records there")
		}
		return
	}
	if cfg == nil || cfg.CustomJWT == nil {
		fe.add(field+".customJWTAuthorizer", "is required for a CUSTOM_JWT registry")
		return
	}
	j := cfg.CustomJWT
	jf := field + ".customJWTAuthorizer"
	u, err := url.Parse(j.DiscoveryURL)
	switch {
	case j.DiscoveryURL == "":
		fe.add(jf+".discoveryUrl", "is required")
	case len(j.DiscoveryURL) > 2048:
		fe.add(jf+".discoveryUrl", "must be at most 2048 characters")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil:
		fe.add(jf+".discoveryUrl", "must be an absolute http or https URL without user information")
	case !IsDiscoveryPath(u.Path):
		fe.add(jf+".discoveryUrl", "must end with "+OpenIDDiscoverySuffix+" (OpenID Connect discovery) or begin with "+
			AuthorizationServerMetadataPrefix+" (RFC 8414 authorization server metadata)")
	case urlPolicy != nil:
		if err := urlPolicy(j.DiscoveryURL); err != nil {
			fe.add(jf+".discoveryUrl", "%s", err.Error())
		}
	}
	checkStrings(fe, jf+".allowedAudience", j.AllowedAudience)
	checkStrings(fe, jf+".allowedClients", j.AllowedClients)
	checkStrings(fe, jf+".allowedScopes", j.AllowedScopes)
	if len(j.CustomClaims) > 20 {
		fe.add(jf+".customClaims", "must have at most 20 entries")
	}
	for i, c := range j.CustomClaims {
		checkClaim(fe, fmt.Sprintf("%s.customClaims[%d]", jf, i), c)
	}
}

func checkStrings(fe *fieldErrors, field string, vs []string) {
	if len(vs) > 100 {
		fe.add(field, "must have at most 100 entries")
		return
	}
	for i, v := range vs {
		if v == "" || len(v) > 255 {
			fe.add(fmt.Sprintf("%s[%d]", field, i), "must be 1 to 255 characters")
		}
	}
}

func checkClaim(fe *fieldErrors, field string, c CustomClaim) {
	if c.InboundTokenClaimName == "" || len(c.InboundTokenClaimName) > 255 {
		fe.add(field+".inboundTokenClaimName", "must be 1 to 255 characters")
	}
	m := c.AuthorizingClaimMatchValue
	v := m.ClaimMatchValue
	one, list := v.MatchValueString != nil, v.MatchValueStringList != nil
	if one == list {
		fe.add(field+".authorizingClaimMatchValue.claimMatchValue", "must set exactly one of matchValueString and matchValueStringList")
	}
	switch c.InboundTokenClaimValueType {
	case "STRING":
		if m.ClaimMatchOperator != "EQUALS" {
			fe.add(field+".authorizingClaimMatchValue.claimMatchOperator", "must be EQUALS for a STRING claim, got %q", m.ClaimMatchOperator)
		}
		if !one {
			fe.add(field+".authorizingClaimMatchValue.claimMatchValue", "must be matchValueString for a STRING claim")
		}
	case "STRING_ARRAY":
		switch m.ClaimMatchOperator {
		case "CONTAINS":
			if !one {
				fe.add(field+".authorizingClaimMatchValue.claimMatchValue", "must be matchValueString for CONTAINS")
			}
		case "CONTAINS_ANY":
			if !list || len(v.MatchValueStringList) == 0 {
				fe.add(field+".authorizingClaimMatchValue.claimMatchValue", "must be a non-empty matchValueStringList for CONTAINS_ANY")
			}
		default:
			fe.add(field+".authorizingClaimMatchValue.claimMatchOperator", "must be CONTAINS or CONTAINS_ANY for a STRING_ARRAY claim, got %q", m.ClaimMatchOperator)
		}
	default:
		fe.add(field+".inboundTokenClaimValueType", "must be STRING or STRING_ARRAY, got %q", c.InboundTokenClaimValueType)
	}
}

// checkDescriptors validates that d holds exactly one branch, one its type
// allows, and that each document in it is valid for its format. The GA
// source-only descriptors (http, agui) describe agents and gateways; a
// gateway may also be described by an MCP server descriptor.
func checkDescriptors(fe *fieldErrors, typ DescriptorType, d Descriptors) {
	const f = "descriptors"
	type branch struct {
		wire string
		set  bool
	}
	branches := []branch{{"mcp", d.MCP != nil}, {"a2a", d.A2A != nil}, {"custom", d.Custom != nil},
		{"agentSkills", d.AgentSkills != nil}, {"http", d.HTTP != nil}, {"agui", d.AGUI != nil}}
	allowed := map[DescriptorType][]string{
		DescriptorMCP: {"mcp"}, DescriptorA2A: {"a2a", "http", "agui"}, DescriptorCustom: {"custom"},
		DescriptorAgentSkills: {"agentSkills"}, DescriptorGateway: {"mcp", "http", "agui"},
	}[typ]
	set := 0
	for _, b := range branches {
		if b.set {
			if !slices.Contains(allowed, b.wire) {
				fe.add(f+"."+b.wire, "must not be set for a record of descriptorType %s", typ)
			} else {
				set++
			}
		}
	}
	if set == 0 {
		fe.add(f+"."+allowed[0], "is required for a record of descriptorType %s", typ)
		return
	}
	if set > 1 {
		fe.add(f, "must set exactly one descriptor for a record of descriptorType %s", typ)
		return
	}
	doc := func(field string, err error) {
		var de *descriptor.Error
		if errors.As(err, &de) {
			fe.add(field+".inlineContent", "%s", de.Error())
		} else if err != nil {
			fe.add(field+".inlineContent", "%v", err)
		}
	}
	switch {
	case d.MCP != nil:
		checkSource(fe, f+".mcp.source", d.MCP.Source)
		if d.MCP.Server == nil {
			if d.MCP.Source == nil {
				fe.add(f+".mcp.server", "is required for an MCP record")
			}
		} else {
			doc(f+".mcp.server", descriptor.MCPServer(d.MCP.Server.SchemaVersion, d.MCP.Server.InlineContent))
		}
		if d.MCP.Tools != nil {
			doc(f+".mcp.tools", descriptor.MCPTools(d.MCP.Tools.ProtocolVersion, d.MCP.Tools.InlineContent))
		}
	case d.A2A != nil:
		checkSource(fe, f+".a2a.source", d.A2A.Source)
		if d.A2A.AgentCard == nil {
			if d.A2A.Source == nil {
				fe.add(f+".a2a.agentCard", "is required for an A2A record")
			}
		} else {
			doc(f+".a2a.agentCard", descriptor.A2AAgentCard(d.A2A.AgentCard.SchemaVersion, d.A2A.AgentCard.InlineContent))
		}
	case d.AgentSkills != nil:
		s := d.AgentSkills
		if s.SkillMd == nil && s.SkillDefinition == nil {
			fe.add(f+".agentSkills", "must set skillMd, skillDefinition or both")
		}
		if s.SkillMd != nil {
			checkSource(fe, f+".agentSkills.skillMd.source", s.SkillMd.Source)
			if s.SkillMd.Source == nil || s.SkillMd.InlineContent != "" {
				doc(f+".agentSkills.skillMd", descriptor.SkillMarkdown(s.SkillMd.InlineContent))
			}
			if len(s.SkillMd.SchemaVersion) > 255 {
				fe.add(f+".agentSkills.skillMd.schemaVersion", "must be at most 255 characters")
			}
		}
		if s.SkillDefinition != nil {
			doc(f+".agentSkills.skillDefinition", descriptor.SkillDefinition(s.SkillDefinition.SchemaVersion, s.SkillDefinition.InlineContent))
		}
	case d.Custom != nil:
		doc(f+".custom", descriptor.Custom(d.Custom.InlineContent))
	case d.HTTP != nil:
		if d.HTTP.Source == nil {
			fe.add(f+".http.source", "is required: an http descriptor has only a source")
		}
		checkSource(fe, f+".http.source", d.HTTP.Source)
	case d.AGUI != nil:
		if d.AGUI.Source == nil {
			fe.add(f+".agui.source", "is required: an agui descriptor has only a source")
		}
		checkSource(fe, f+".agui.source", d.AGUI.Source)
	}
}

// checkSource validates a descriptor source (GA source.fromUrl); nil is
// none. A source that is fetched is checked again as a SyncConfig.
func checkSource(fe *fieldErrors, field string, s *DescriptorSource) {
	if s == nil {
		return
	}
	field += ".fromUrl"
	switch {
	case s.URL == "":
		fe.add(field+".url", "is required")
	case len(s.URL) > 2048:
		fe.add(field+".url", "must be at most 2048 characters")
	case !strings.HasPrefix(s.URL, "https://"):
		fe.add(field+".url", "must be an https URL")
	}
	if s.CredentialProviders != nil {
		var list []map[string]any
		if err := json.Unmarshal(s.CredentialProviders, &list); err != nil || len(list) > 1 {
			fe.add(field+".credentialProviderConfigurations", "must be a list of at most one credential provider configuration")
			return
		}
		for _, c := range list {
			t, _ := c["credentialProviderType"].(string)
			if t != "OAUTH" && t != "IAM" {
				fe.add(field+".credentialProviderConfigurations[0].credentialProviderType", "must be OAUTH or IAM")
			}
			if _, ok := c["credentialProvider"].(map[string]any); !ok {
				fe.add(field+".credentialProviderConfigurations[0].credentialProvider", "is required")
			}
		}
	}
}

// Limits of the GA fields.
const (
	MaxTags           = 50
	MaxDisplayNameLen = 255
)

var (
	tagPattern        = regexp.MustCompile(`^[a-zA-Z0-9\s._:/=+@-]*$`)
	kmsKeyPattern     = regexp.MustCompile(`^arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}$`)
	provenanceSource  = regexp.MustCompile(`^arn:aws(-[^:]+)?:[a-zA-Z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$`)
	provenanceTypes   = []string{"AWS::BedrockAgentCore::Runtime", "AWS::BedrockAgentCore::Gateway"}
	autoDetectionScop = []string{"ORGANIZATION"}
)

// checkTags validates a tag map: 1 to 50 entries (0 allowed when
// optional), keys 1-128 and values 0-256 characters of the tag pattern.
func checkTags(fe *fieldErrors, field string, tags map[string]string) {
	if len(tags) > MaxTags {
		fe.add(field, "must have at most %d entries, got %d", MaxTags, len(tags))
		return
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || !tagPattern.MatchString(k) {
			fe.add(field, "key %q must be 1 to 128 letters, digits, spaces or . _ : / = + @ -", k)
		}
		if n := utf8.RuneCountInString(v); n > 256 || !tagPattern.MatchString(v) {
			fe.add(field+"."+k, "must be at most 256 letters, digits, spaces or . _ : / = + @ -")
		}
	}
}

func checkProvenance(fe *fieldErrors, field string, ps []Provenance) {
	if len(ps) > 1 {
		fe.add(field, "must have at most 1 entry, got %d", len(ps))
		return
	}
	for _, p := range ps {
		if p.Relation != "DETECTED_FROM" {
			fe.add(field+"[0].relation", "must be DETECTED_FROM, got %q", p.Relation)
		}
		if len(p.SourceID) > 2048 || !provenanceSource.MatchString(p.SourceID) {
			fe.add(field+"[0].sourceId", "must be an ARN of at most 2048 characters")
		}
		if p.SourceType != "" && !slices.Contains(provenanceTypes, p.SourceType) {
			fe.add(field+"[0].sourceType", "must be one of %s, got %q", strings.Join(provenanceTypes, ", "), p.SourceType)
		}
	}
}

func checkEncryption(fe *fieldErrors, e *EncryptionConfig) {
	if e != nil && (len(e.KMSKeyARN) > 2048 || !kmsKeyPattern.MatchString(e.KMSKeyARN)) {
		fe.add("encryptionConfiguration.kmsKeyArn", "must be the ARN of a KMS key (arn:aws:kms:{region}:{account}:key/{key-id})")
	}
}

func checkAutoDetection(fe *fieldErrors, a *AutoDetectionConfig) {
	if a != nil && !slices.Contains(autoDetectionScop, a.Scope) {
		fe.add("autoDetectionConfiguration.scope", "must be ORGANIZATION, got %q", a.Scope)
	}
}

// descriptorVersion is the version a record's documents declare, used when
// the publisher gives no recordVersion.
func descriptorVersion(typ DescriptorType, d Descriptors) string {
	switch {
	case typ == DescriptorMCP && d.MCP != nil && d.MCP.Server != nil:
		return descriptor.ServerVersion(d.MCP.Server.InlineContent)
	case typ == DescriptorA2A && d.A2A != nil && d.A2A.AgentCard != nil:
		return descriptor.AgentCardVersion(d.A2A.AgentCard.InlineContent)
	}
	return ""
}
