package stored

import (
	"reflect"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// TestEveryFieldStored fails when a domain type has a field that its
// stored twin lacks, which encoding would drop without a word. (The stored
// bytes themselves are pinned by storetest.RunStoredV1, on both stores.)
func TestEveryFieldStored(t *testing.T) {
	sameFields(t, "Revision", reflect.TypeFor[registry.Revision](), reflect.TypeFor[revision]())
	sameFields(t, "AuthorizerConfig", reflect.TypeFor[registry.AuthorizerConfig](), reflect.TypeFor[authorizer]())
}

func sameFields(t *testing.T, path string, domain, stored reflect.Type) {
	t.Helper()
	if domain == reflect.TypeFor[time.Time]() {
		if stored.Kind() != reflect.Int64 {
			t.Errorf("%s: a time is stored in Unix milliseconds, not as %s", path, stored)
		}
		return
	}
	if domain.Kind() != stored.Kind() {
		t.Errorf("%s: domain %s, stored %s", path, domain, stored)
		return
	}
	switch domain.Kind() {
	case reflect.Pointer, reflect.Slice:
		sameFields(t, path, domain.Elem(), stored.Elem())
	case reflect.Map:
		sameFields(t, path+" key", domain.Key(), stored.Key())
		sameFields(t, path, domain.Elem(), stored.Elem())
	case reflect.Struct:
		if domain.NumField() != stored.NumField() {
			t.Errorf("%s: domain %s has %d fields, stored %s %d", path, domain, domain.NumField(), stored, stored.NumField())
		}
		for f := range domain.Fields() {
			s, ok := stored.FieldByName(f.Name)
			if !ok {
				t.Errorf("%s.%s is not stored", path, f.Name)
				continue
			}
			sameFields(t, path+"."+f.Name, f.Type, s.Type)
		}
	}
}

// TestGAFieldsRoundTrip: the GA API's members survive encoding, and a
// registry or record without them stores nothing extra.
func TestGAFieldsRoundTrip(t *testing.T) {
	src := &registry.DescriptorSource{URL: "https://mcp.example.com/mcp", CredentialProviders: []byte(`[{"credentialProviderType":"IAM","credentialProvider":{"iamCredentialProvider":{}}}]`)}
	rev := registry.Revision{
		Name: "gw", DescriptorType: registry.DescriptorGateway, Status: registry.StatusDraft, UpdatedAt: time.UnixMilli(1796548530250).UTC(),
		DisplayName: "Gateway",
		Provenance: []registry.Provenance{{Relation: "DETECTED_FROM", SourceID: "arn:aws:bedrock-agentcore:us-east-1:111122223333:gateway/g",
			SourceType: "AWS::BedrockAgentCore::Gateway", SourceDetails: []byte(`{"agentcoreGateway":{"protocolType":"MCP"}}`)}},
		Descriptors: registry.Descriptors{
			MCP:         &registry.MCPDescriptor{Server: &registry.ServerDefinition{InlineContent: "{}"}, Source: src},
			A2A:         &registry.A2ADescriptor{Source: src},
			AgentSkills: &registry.AgentSkillsDescriptor{SkillMd: &registry.SkillMdDefinition{InlineContent: "# x", SchemaVersion: "1", Source: src}},
			HTTP:        &registry.SourceDescriptor{Source: src},
			AGUI:        &registry.SourceDescriptor{},
		},
	}
	got, err := DecodeRevision(EncodeRevision(rev))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rev) {
		t.Fatalf("revision round trip:\n got %+v\nwant %+v", got, rev)
	}

	reg := registry.Registry{Tags: map[string]string{"team": "a"}, Encryption: &registry.EncryptionConfig{KMSKeyARN: "arn:aws:kms:x"},
		AutoDetection: &registry.AutoDetectionConfig{Scope: "ORGANIZATION", Enabled: true}}
	var reg2 registry.Registry
	if err := DecodeRegistryExtra(EncodeRegistryExtra(reg), &reg2); err != nil || !reflect.DeepEqual(reg2, reg) {
		t.Fatalf("registry extra round trip: %+v, %v", reg2, err)
	}
	if b := EncodeRegistryExtra(registry.Registry{Name: "plain"}); b != nil {
		t.Fatalf("a registry without GA fields stores %s", b)
	}
	rec := registry.Record{Tags: map[string]string{"k": ""}, CreatedBy: "111122223333"}
	var rec2 registry.Record
	if err := DecodeRecordExtra(EncodeRecordExtra(rec), &rec2); err != nil || !reflect.DeepEqual(rec2, rec) {
		t.Fatalf("record extra round trip: %+v, %v", rec2, err)
	}
	if b := EncodeRecordExtra(registry.Record{ID: "x"}); b != nil {
		t.Fatalf("a record without tags or creator stores %s", b)
	}
}
