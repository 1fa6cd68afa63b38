package registry

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// problems runs check and returns the fields it complained about, and the
// messages by field.
func problems(check func(fe *fieldErrors)) ([]string, map[string]string) {
	var fe fieldErrors
	check(&fe)
	names := []string{}
	messages := map[string]string{}
	for _, f := range fe {
		names = append(names, f.Name)
		messages[f.Name] = f.Message
	}
	return names, messages
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		problem  string // "" = valid
	}{
		{"simple", "weather", MaxRegistryNameLen, ""},
		{"every allowed character", "Az09_-./z", MaxRegistryNameLen, ""},
		{"starts with a digit", "0weather", MaxRegistryNameLen, ""},
		{"one character", "a", MaxRegistryNameLen, ""},
		{"longest registry name", strings.Repeat("a", 64), MaxRegistryNameLen, ""},
		{"longest record name", strings.Repeat("a", 255), MaxRecordNameLen, ""},
		{"empty", "", MaxRegistryNameLen, "is required"},
		{"registry name too long", strings.Repeat("a", 65), MaxRegistryNameLen, "at most 64 characters, got 65"},
		{"record name too long", strings.Repeat("a", 256), MaxRecordNameLen, "at most 255 characters, got 256"},
		// Lengths count characters, not bytes: 40 two-byte runes are within
		// the limit (and then fail the alphabet), 65 are over it.
		{"length in runes, within", strings.Repeat("é", 40), MaxRegistryNameLen, "must start with a letter or digit"},
		{"length in runes, over", strings.Repeat("é", 65), MaxRegistryNameLen, "got 65"},
		{"starts with underscore", "_weather", MaxRegistryNameLen, "must start with a letter or digit"},
		{"starts with hyphen", "-weather", MaxRegistryNameLen, "must start with a letter or digit"},
		{"starts with dot", ".weather", MaxRegistryNameLen, "must start with a letter or digit"},
		{"starts with slash", "/weather", MaxRegistryNameLen, "must start with a letter or digit"},
		{"space", "my weather", MaxRegistryNameLen, "only letters, digits"},
		{"colon", "weather:v2", MaxRegistryNameLen, "only letters, digits"},
		{"at sign", "me@weather", MaxRegistryNameLen, "only letters, digits"},
		{"newline", "weather\n", MaxRegistryNameLen, "only letters, digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields, messages := problems(func(fe *fieldErrors) { checkName(fe, "name", tt.in, tt.max) })
			if tt.problem == "" {
				if len(fields) > 0 {
					t.Errorf("checkName(%q) = %v, want valid", tt.in, messages)
				}
				return
			}
			if !slices.Equal(fields, []string{"name"}) || !strings.Contains(messages["name"], tt.problem) {
				t.Errorf("checkName(%q) = %v, want a name problem containing %q", tt.in, messages, tt.problem)
			}
		})
	}
}

func TestCheckDescriptionLength(t *testing.T) {
	tests := []struct {
		name, in string
		valid    bool
	}{
		{"empty", "", false},
		{"one character", "x", true},
		{"longest", strings.Repeat("x", MaxDescriptionLen), true},
		{"longest in multi-byte runes", strings.Repeat("€", MaxDescriptionLen), true},
		{"one too long", strings.Repeat("x", MaxDescriptionLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields, messages := problems(func(fe *fieldErrors) { checkLength(fe, "description", tt.in, 1, MaxDescriptionLen) })
			if tt.valid != (len(fields) == 0) {
				t.Errorf("valid = %v, want %v (%v)", len(fields) == 0, tt.valid, messages)
			}
			if !tt.valid && !strings.Contains(messages["description"], "must be 1 to 4096 characters") {
				t.Errorf("message %q does not give the bounds", messages["description"])
			}
		})
	}
}

func TestCheckMaxResultsAndClientToken(t *testing.T) {
	tests := []struct {
		name  string
		check func(fe *fieldErrors)
		want  []string
	}{
		{"maxResults default", func(fe *fieldErrors) { checkMaxResults(fe, nil) }, nil},
		{"maxResults 1", func(fe *fieldErrors) { checkMaxResults(fe, new(1)) }, nil},
		{"maxResults 100", func(fe *fieldErrors) { checkMaxResults(fe, new(MaxListResults)) }, nil},
		{"maxResults 101", func(fe *fieldErrors) { checkMaxResults(fe, new(MaxListResults+1)) }, []string{"maxResults"}},
		{"maxResults 0", func(fe *fieldErrors) { checkMaxResults(fe, new(0)) }, []string{"maxResults"}},
		{"maxResults negative", func(fe *fieldErrors) { checkMaxResults(fe, new(-1)) }, []string{"maxResults"}},
		{"no clientToken", func(fe *fieldErrors) { checkClientToken(fe, "") }, nil},
		{"shortest clientToken", func(fe *fieldErrors) { checkClientToken(fe, strings.Repeat("t", 33)) }, nil},
		{"clientToken too short", func(fe *fieldErrors) { checkClientToken(fe, strings.Repeat("t", 32)) }, []string{"clientToken"}},
		{"clientToken too long", func(fe *fieldErrors) { checkClientToken(fe, strings.Repeat("t", 257)) }, []string{"clientToken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fields, messages := problems(tt.check); !slices.Equal(fields, tt.want) {
				t.Errorf("got %v, want problems with %v", messages, tt.want)
			}
		})
	}
}

// ---- authorizer ----

const jwtField = "authorizerConfiguration.customJWTAuthorizer"

func validJWT() *CustomJWTAuthorizer {
	return &CustomJWTAuthorizer{
		DiscoveryURL:    "https://idp.example.com/realms/main/.well-known/openid-configuration",
		AllowedAudience: []string{"agents"},
		AllowedClients:  []string{"client-1", "client-2"},
		AllowedScopes:   []string{"registry:read"},
	}
}

func claim(valueType, operator string, value ClaimMatchValue) CustomClaim {
	return CustomClaim{
		InboundTokenClaimName:      "groups",
		InboundTokenClaimValueType: valueType,
		AuthorizingClaimMatchValue: ClaimMatch{ClaimMatchValue: value, ClaimMatchOperator: operator},
	}
}

var (
	oneValue   = ClaimMatchValue{MatchValueString: new("admins")}
	listValue  = ClaimMatchValue{MatchValueStringList: []string{"admins", "curators"}}
	emptyList  = ClaimMatchValue{MatchValueStringList: []string{}}
	bothValues = ClaimMatchValue{MatchValueString: new("admins"), MatchValueStringList: []string{"admins"}}
)

func TestCheckAuthorizer(t *testing.T) {
	const (
		claim0 = jwtField + ".customClaims[0]"
		value  = claim0 + ".authorizingClaimMatchValue.claimMatchValue"
		op     = claim0 + ".authorizingClaimMatchValue.claimMatchOperator"
	)
	tests := []struct {
		name   string
		typ    AuthorizerType
		cfg    *AuthorizerConfig // for CUSTOM_JWT cases, built from validJWT when nil and edit is set
		edit   func(j *CustomJWTAuthorizer)
		fields []string // nil = valid
	}{
		{name: "IAM without configuration", typ: AuthorizerAWSIAM},
		{name: "IAM with an empty configuration", typ: AuthorizerAWSIAM, cfg: &AuthorizerConfig{}},
		{name: "IAM with a JWT configuration", typ: AuthorizerAWSIAM, cfg: &AuthorizerConfig{CustomJWT: validJWT()},
			fields: []string{"authorizerConfiguration"}},
		{name: "JWT without configuration", typ: AuthorizerCustomJWT, fields: []string{jwtField}},
		{name: "JWT with an empty configuration", typ: AuthorizerCustomJWT, cfg: &AuthorizerConfig{}, fields: []string{jwtField}},
		{name: "JWT valid", typ: AuthorizerCustomJWT, edit: func(*CustomJWTAuthorizer) {}},
		{name: "JWT minimal", typ: AuthorizerCustomJWT, cfg: &AuthorizerConfig{CustomJWT: &CustomJWTAuthorizer{
			DiscoveryURL: "http://localhost:8080/.well-known/openid-configuration"}}},

		{name: "discovery URL missing", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) { j.DiscoveryURL = "" },
			fields: []string{jwtField + ".discoveryUrl"}},
		{name: "discovery URL too long", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) {
			j.DiscoveryURL = "https://idp.example.com/" + strings.Repeat("a", 2048) + "/.well-known/openid-configuration"
		}, fields: []string{jwtField + ".discoveryUrl"}},
		{name: "discovery URL relative", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) { j.DiscoveryURL = "/.well-known/openid-configuration" },
			fields: []string{jwtField + ".discoveryUrl"}},
		{name: "discovery URL not http", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) {
			j.DiscoveryURL = "ftp://idp.example.com/.well-known/openid-configuration"
		}, fields: []string{jwtField + ".discoveryUrl"}},
		{name: "discovery URL with user", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) {
			j.DiscoveryURL = "https://me:secret@idp.example.com/.well-known/openid-configuration"
		}, fields: []string{jwtField + ".discoveryUrl"}},
		{name: "discovery URL not OIDC", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) { j.DiscoveryURL = "https://idp.example.com/jwks.json" },
			fields: []string{jwtField + ".discoveryUrl"}},

		{name: "empty audience", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) { j.AllowedAudience = []string{"ok", ""} },
			fields: []string{jwtField + ".allowedAudience[1]"}},
		{name: "client too long", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) { j.AllowedClients = []string{strings.Repeat("c", 256)} },
			fields: []string{jwtField + ".allowedClients[0]"}},
		{name: "too many scopes", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) { j.AllowedScopes = make([]string, 101) },
			fields: []string{jwtField + ".allowedScopes"}},
		{name: "too many claims", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) {
			j.CustomClaims = slices.Repeat([]CustomClaim{claim("STRING", "EQUALS", oneValue)}, 21)
		}, fields: []string{jwtField + ".customClaims"}},

		// Claims: the operator and the value's shape must fit the value type.
		{name: "STRING EQUALS one value", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING", "EQUALS", oneValue))},
		{name: "STRING EQUALS a list", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING", "EQUALS", listValue)), fields: []string{value}},
		{name: "STRING CONTAINS", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING", "CONTAINS", oneValue)), fields: []string{op}},
		{name: "STRING CONTAINS_ANY", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING", "CONTAINS_ANY", listValue)), fields: []string{op, value}},
		{name: "STRING_ARRAY CONTAINS one value", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING_ARRAY", "CONTAINS", oneValue))},
		{name: "STRING_ARRAY CONTAINS a list", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING_ARRAY", "CONTAINS", listValue)), fields: []string{value}},
		{name: "STRING_ARRAY CONTAINS_ANY a list", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING_ARRAY", "CONTAINS_ANY", listValue))},
		{name: "STRING_ARRAY CONTAINS_ANY one value", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING_ARRAY", "CONTAINS_ANY", oneValue)), fields: []string{value}},
		{name: "STRING_ARRAY CONTAINS_ANY an empty list", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING_ARRAY", "CONTAINS_ANY", emptyList)), fields: []string{value}},
		{name: "STRING_ARRAY EQUALS", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING_ARRAY", "EQUALS", oneValue)), fields: []string{op}},
		{name: "both values", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING", "EQUALS", bothValues)), fields: []string{value}},
		{name: "no value", typ: AuthorizerCustomJWT, edit: withClaim(claim("STRING", "EQUALS", ClaimMatchValue{})), fields: []string{value, value}},
		{name: "unknown value type", typ: AuthorizerCustomJWT, edit: withClaim(claim("NUMBER", "EQUALS", oneValue)),
			fields: []string{claim0 + ".inboundTokenClaimValueType"}},
		{name: "claim without a name", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) {
			c := claim("STRING", "EQUALS", oneValue)
			c.InboundTokenClaimName = ""
			j.CustomClaims = []CustomClaim{c}
		}, fields: []string{claim0 + ".inboundTokenClaimName"}},
		{name: "second claim is named by index", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) {
			j.CustomClaims = []CustomClaim{claim("STRING", "EQUALS", oneValue), claim("STRING", "CONTAINS", oneValue)}
		}, fields: []string{jwtField + ".customClaims[1].authorizingClaimMatchValue.claimMatchOperator"}},
		{name: "problems are collected", typ: AuthorizerCustomJWT, edit: func(j *CustomJWTAuthorizer) {
			j.DiscoveryURL = ""
			j.AllowedAudience = []string{""}
		}, fields: []string{jwtField + ".discoveryUrl", jwtField + ".allowedAudience[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if tt.edit != nil {
				j := validJWT()
				tt.edit(j)
				cfg = &AuthorizerConfig{CustomJWT: j}
			}
			fields, messages := problems(func(fe *fieldErrors) { checkAuthorizer(fe, tt.typ, cfg, nil) })
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("got problems %v, want problems with %q", messages, tt.fields)
			}
		})
	}
}

// The URL policy judges a discoveryUrl that passes the contract's own
// rules; its message is the field's.
func TestCheckAuthorizerURLPolicy(t *testing.T) {
	var judged []string
	policy := func(u string) error {
		judged = append(judged, u)
		if strings.HasPrefix(u, "http:") {
			return errors.New("must use https")
		}
		return nil
	}
	for url, want := range map[string]string{
		"https://idp.example/.well-known/openid-configuration":              "",
		"http://idp.example/.well-known/openid-configuration":               "must use https",
		"https://idp.example/.well-known/oauth-authorization-server":        "",
		"https://idp.example/.well-known/oauth-authorization-server/tenant": "",
		"http://idp.example/elsewhere": "must end with /.well-known/openid-configuration (OpenID Connect discovery) " +
			"or begin with /.well-known/oauth-authorization-server (RFC 8414 authorization server metadata)",
		"https://idp.example/tenant/.well-known/oauth-authorization-server": "must end with /.well-known/openid-configuration (OpenID Connect discovery) " +
			"or begin with /.well-known/oauth-authorization-server (RFC 8414 authorization server metadata)",
		"https://idp.example/.well-known/oauth-authorization-serverX": "must end with /.well-known/openid-configuration (OpenID Connect discovery) " +
			"or begin with /.well-known/oauth-authorization-server (RFC 8414 authorization server metadata)",
	} {
		j := validJWT()
		j.DiscoveryURL = url
		_, messages := problems(func(fe *fieldErrors) {
			checkAuthorizer(fe, AuthorizerCustomJWT, &AuthorizerConfig{CustomJWT: j}, policy)
		})
		got := messages[jwtField+".discoveryUrl"]
		if got != want {
			t.Errorf("%s: got %q, want %q", url, got, want)
		}
	}
	if len(judged) != 4 {
		t.Errorf("the policy judged %v, want only the URLs that pass the contract's rules", judged)
	}
}

func withClaim(c CustomClaim) func(j *CustomJWTAuthorizer) {
	return func(j *CustomJWTAuthorizer) { j.CustomClaims = []CustomClaim{c} }
}

// ---- descriptors ----

const (
	validServer = `{"name": "io.example/weather", "description": "Forecasts for any place.", "version": "1.2.0"}`
	validTools  = `{"tools": [{"name": "get_forecast", "inputSchema": {"type": "object"}}]}`
	validCard   = `{
		"protocolVersion": "0.3.0", "name": "Recipe Agent", "description": "Finds recipes.",
		"url": "https://agents.example.com/a2a", "version": "1.4.0", "capabilities": {},
		"defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"],
		"skills": [{"id": "find", "name": "Find", "description": "Finds a recipe.", "tags": ["cooking"]}]
	}`
	validSkillMd    = "---\nname: pdf-forms\ndescription: Fill in PDF forms.\n---\n# PDF forms\nUse this skill to fill forms.\n"
	validSkillDef   = `{"name": "pdf-forms", "description": "Fill in PDF forms."}`
	validCustomJSON = `{"anything": ["goes", 1, null]}`
)

var (
	mcpServer   = &MCPDescriptor{Server: &ServerDefinition{InlineContent: validServer}}
	a2aCard     = &A2ADescriptor{AgentCard: &AgentCardDefinition{InlineContent: validCard}}
	customDoc   = &CustomDescriptor{InlineContent: validCustomJSON}
	skillMdOnly = &AgentSkillsDescriptor{SkillMd: &SkillMdDefinition{InlineContent: validSkillMd}}
)

func TestCheckDescriptors(t *testing.T) {
	tests := []struct {
		name   string
		typ    DescriptorType
		d      Descriptors
		fields []string // nil = valid
	}{
		{"MCP server", DescriptorMCP, Descriptors{MCP: mcpServer}, nil},
		{"MCP server and tools", DescriptorMCP, Descriptors{MCP: &MCPDescriptor{
			Server: &ServerDefinition{SchemaVersion: "2025-12-11", InlineContent: validServer},
			Tools:  &ToolsDefinition{ProtocolVersion: "2025-06-18", InlineContent: validTools},
		}}, nil},
		{"A2A", DescriptorA2A, Descriptors{A2A: a2aCard}, nil},
		{"custom", DescriptorCustom, Descriptors{Custom: customDoc}, nil},
		{"skill markdown", DescriptorAgentSkills, Descriptors{AgentSkills: skillMdOnly}, nil},
		{"skill definition", DescriptorAgentSkills, Descriptors{AgentSkills: &AgentSkillsDescriptor{
			SkillDefinition: &SkillDefinition{InlineContent: validSkillDef}}}, nil},
		{"skill both parts", DescriptorAgentSkills, Descriptors{AgentSkills: &AgentSkillsDescriptor{
			SkillMd: &SkillMdDefinition{InlineContent: validSkillMd}, SkillDefinition: &SkillDefinition{InlineContent: validSkillDef}}}, nil},

		{"missing branch", DescriptorMCP, Descriptors{}, []string{"descriptors.mcp"}},
		{"wrong branch", DescriptorMCP, Descriptors{A2A: a2aCard}, []string{"descriptors.a2a", "descriptors.mcp"}},
		{"extra branch", DescriptorCustom, Descriptors{Custom: customDoc, AgentSkills: skillMdOnly}, []string{"descriptors.agentSkills"}},
		{"every branch", DescriptorA2A, Descriptors{MCP: mcpServer, A2A: a2aCard, Custom: customDoc, AgentSkills: skillMdOnly},
			[]string{"descriptors.mcp", "descriptors.custom", "descriptors.agentSkills"}},
		{"MCP without server", DescriptorMCP, Descriptors{MCP: &MCPDescriptor{
			Tools: &ToolsDefinition{InlineContent: validTools}}}, []string{"descriptors.mcp.server"}},
		{"A2A without card", DescriptorA2A, Descriptors{A2A: &A2ADescriptor{}}, []string{"descriptors.a2a.agentCard"}},
		{"skill with neither part", DescriptorAgentSkills, Descriptors{AgentSkills: &AgentSkillsDescriptor{}}, []string{"descriptors.agentSkills"}},

		{"invalid server", DescriptorMCP, Descriptors{MCP: &MCPDescriptor{Server: &ServerDefinition{InlineContent: `{"name": 1}`}}},
			[]string{"descriptors.mcp.server.inlineContent"}},
		{"unknown server schema", DescriptorMCP, Descriptors{MCP: &MCPDescriptor{Server: &ServerDefinition{SchemaVersion: "1999-01-01", InlineContent: validServer}}},
			[]string{"descriptors.mcp.server.inlineContent"}},
		{"invalid tools", DescriptorMCP, Descriptors{MCP: &MCPDescriptor{Server: mcpServer.Server, Tools: &ToolsDefinition{InlineContent: `{"tools": 3}`}}},
			[]string{"descriptors.mcp.tools.inlineContent"}},
		{"invalid card", DescriptorA2A, Descriptors{A2A: &A2ADescriptor{AgentCard: &AgentCardDefinition{InlineContent: `{}`}}},
			[]string{"descriptors.a2a.agentCard.inlineContent"}},
		{"custom not JSON", DescriptorCustom, Descriptors{Custom: &CustomDescriptor{InlineContent: `{"open": `}},
			[]string{"descriptors.custom.inlineContent"}},
		{"skill markdown without front matter", DescriptorAgentSkills, Descriptors{AgentSkills: &AgentSkillsDescriptor{
			SkillMd: &SkillMdDefinition{InlineContent: "# Just markdown\n"}}}, []string{"descriptors.agentSkills.skillMd.inlineContent"}},
		{"both skill parts invalid", DescriptorAgentSkills, Descriptors{AgentSkills: &AgentSkillsDescriptor{
			SkillMd: &SkillMdDefinition{InlineContent: "# Just markdown\n"}, SkillDefinition: &SkillDefinition{InlineContent: `[]`}}},
			[]string{"descriptors.agentSkills.skillMd.inlineContent", "descriptors.agentSkills.skillDefinition.inlineContent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields, messages := problems(func(fe *fieldErrors) { checkDescriptors(fe, tt.typ, tt.d) })
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("got problems %v, want problems with %q", messages, tt.fields)
			}
		})
	}
}

func TestDescriptorVersion(t *testing.T) {
	tests := []struct {
		name string
		typ  DescriptorType
		d    Descriptors
		want string
	}{
		{"server.json", DescriptorMCP, Descriptors{MCP: mcpServer}, "1.2.0"},
		{"agent card", DescriptorA2A, Descriptors{A2A: a2aCard}, "1.4.0"},
		{"MCP without server", DescriptorMCP, Descriptors{MCP: &MCPDescriptor{}}, ""},
		{"custom", DescriptorCustom, Descriptors{Custom: &CustomDescriptor{InlineContent: `{"version": "9"}`}}, ""},
		{"branch of another type", DescriptorA2A, Descriptors{MCP: mcpServer}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := descriptorVersion(tt.typ, tt.d); got != tt.want {
				t.Errorf("descriptorVersion = %q, want %q", got, tt.want)
			}
		})
	}
}
