package storetest

import (
	"time"

	"github.com/agentry/agentry/registry"
)

// t0 is the time samples are created at: millisecond precision, UTC.
var t0 = time.Date(2025, 6, 1, 12, 30, 45, 123_000_000, time.UTC)

func sampleRegistry(name string) registry.Registry {
	return registry.Registry{
		ID:             registry.NewID(12),
		Name:           name,
		Description:    "Sample registry " + name,
		AuthorizerType: registry.AuthorizerAWSIAM,
		Status:         registry.RegistryReady,
		CreatedAt:      t0,
		UpdatedAt:      t0,
	}
}

// jwtRegistry is a CUSTOM_JWT registry with every authorizer member set.
func jwtRegistry(name string) registry.Registry {
	r := sampleRegistry(name)
	r.AuthorizerType = registry.AuthorizerCustomJWT
	r.AutoApproval = true
	r.Authorizer = &registry.AuthorizerConfig{CustomJWT: &registry.CustomJWTAuthorizer{
		DiscoveryURL:    "https://idp.example.com/.well-known/openid-configuration",
		AllowedAudience: []string{"agents", "tools"},
		AllowedClients:  []string{"client-1"},
		AllowedScopes:   []string{"registry:read"},
		CustomClaims: []registry.CustomClaim{
			{
				InboundTokenClaimName:      "dept",
				InboundTokenClaimValueType: "STRING",
				AuthorizingClaimMatchValue: registry.ClaimMatch{
					ClaimMatchValue:    registry.ClaimMatchValue{MatchValueString: new("research")},
					ClaimMatchOperator: "EQUALS",
				},
			},
			{
				InboundTokenClaimName:      "groups",
				InboundTokenClaimValueType: "STRING_ARRAY",
				AuthorizingClaimMatchValue: registry.ClaimMatch{
					ClaimMatchValue:    registry.ClaimMatchValue{MatchValueStringList: []string{"admins", "curators"}},
					ClaimMatchOperator: "CONTAINS_ANY",
				},
			},
		},
		AdvertisedScopeMapping: map[string]string{"read": "registry:read"},
	}}
	return r
}

func sampleRecord(registryID, name string) registry.Record {
	return registry.Record{
		RegistryID: registryID,
		ID:         registry.NewID(12),
		CreatedAt:  t0,
		Latest: registry.Revision{
			Name:           name,
			Description:    "Sample record " + name,
			DescriptorType: registry.DescriptorCustom,
			Descriptors:    registry.Descriptors{Custom: &registry.CustomDescriptor{InlineContent: `{"sample": true}`}},
			Version:        "1.0.0",
			Status:         registry.StatusDraft,
			UpdatedAt:      t0,
		},
	}
}

// withStatus returns r with its latest revision in status.
func withStatus(r registry.Record, status registry.RecordStatus) registry.Record {
	r.Latest.Status = status
	return r
}

// withType returns r with a CUSTOM or MCP latest revision.
func withType(r registry.Record, typ registry.DescriptorType) registry.Record {
	r.Latest.DescriptorType = typ
	r.Latest.Descriptors = descriptorsOf[typ]
	return r
}

// descriptorsOf holds one fully populated descriptor per type.
var descriptorsOf = map[registry.DescriptorType]registry.Descriptors{
	registry.DescriptorMCP: {MCP: &registry.MCPDescriptor{
		Server: &registry.ServerDefinition{
			SchemaVersion: "2025-12-11",
			InlineContent: "{\n  \"name\": \"io.example/weather\",\n  \"description\": \"Forecasts \\u00e9t\u00e9\",\n  \"version\": \"2.3.1\"\n}\n",
		},
		Tools: &registry.ToolsDefinition{
			ProtocolVersion: "2025-06-18",
			InlineContent:   `{"tools":[{"name":"get_forecast","inputSchema":{"type":"object"}}]}`,
		},
	}},
	registry.DescriptorA2A: {A2A: &registry.A2ADescriptor{AgentCard: &registry.AgentCardDefinition{
		SchemaVersion: "0.3",
		InlineContent: `{"name":"Recipe Agent","url":"https://agents.example.com/a2a","version":"1.4.0"}`,
	}}},
	registry.DescriptorCustom: {Custom: &registry.CustomDescriptor{
		InlineContent: `[1, 2.50, "three", null, {"nested": {"emoji": "🚀", "tab": "\t"}}]`,
	}},
	registry.DescriptorAgentSkills: {AgentSkills: &registry.AgentSkillsDescriptor{
		SkillMd: &registry.SkillMdDefinition{
			InlineContent: "---\nname: pdf-forms\ndescription: Fill in PDF forms.\n---\n# PDF forms\r\n\nUse <this> & \"that\".\n",
		},
		SkillDefinition: &registry.SkillDefinition{
			SchemaVersion: "1.0",
			InlineContent: `{"name":"pdf-forms","description":"Fill in PDF forms."}`,
		},
	}},
}
