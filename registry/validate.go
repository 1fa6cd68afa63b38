package registry

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
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

// checkDescriptors validates that d holds exactly the branch of typ and that
// each document in it is valid for its format.
func checkDescriptors(fe *fieldErrors, typ DescriptorType, d Descriptors) {
	const f = "descriptors"
	branches := map[DescriptorType]bool{
		DescriptorMCP: d.MCP != nil, DescriptorA2A: d.A2A != nil,
		DescriptorCustom: d.Custom != nil, DescriptorAgentSkills: d.AgentSkills != nil,
	}
	wire := map[DescriptorType]string{DescriptorMCP: "mcp", DescriptorA2A: "a2a", DescriptorCustom: "custom", DescriptorAgentSkills: "agentSkills"}
	for _, t := range descriptorTypes {
		if t != typ && branches[t] {
			fe.add(f+"."+wire[t], "must not be set for a record of descriptorType %s", typ)
		}
	}
	if !branches[typ] {
		fe.add(f+"."+wire[typ], "is required for a record of descriptorType %s", typ)
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
	switch typ {
	case DescriptorMCP:
		if d.MCP.Server == nil {
			fe.add(f+".mcp.server", "is required for an MCP record")
		} else {
			doc(f+".mcp.server", descriptor.MCPServer(d.MCP.Server.SchemaVersion, d.MCP.Server.InlineContent))
		}
		if d.MCP.Tools != nil {
			doc(f+".mcp.tools", descriptor.MCPTools(d.MCP.Tools.ProtocolVersion, d.MCP.Tools.InlineContent))
		}
	case DescriptorA2A:
		if d.A2A.AgentCard == nil {
			fe.add(f+".a2a.agentCard", "is required for an A2A record")
		} else {
			doc(f+".a2a.agentCard", descriptor.A2AAgentCard(d.A2A.AgentCard.SchemaVersion, d.A2A.AgentCard.InlineContent))
		}
	case DescriptorAgentSkills:
		s := d.AgentSkills
		if s.SkillMd == nil && s.SkillDefinition == nil {
			fe.add(f+".agentSkills", "must set skillMd, skillDefinition or both")
		}
		if s.SkillMd != nil {
			doc(f+".agentSkills.skillMd", descriptor.SkillMarkdown(s.SkillMd.InlineContent))
		}
		if s.SkillDefinition != nil {
			doc(f+".agentSkills.skillDefinition", descriptor.SkillDefinition(s.SkillDefinition.SchemaVersion, s.SkillDefinition.InlineContent))
		}
	case DescriptorCustom:
		doc(f+".custom", descriptor.Custom(d.Custom.InlineContent))
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
