package storetest

import (
	_ "embed"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// The stored JSON of revisions and authorizer configurations in
// testdata/stored-v1.txt is what agentry wrote, byte for byte, up to issue
// 12 (2026-12), when the stores still encoded the domain types directly.
// Every store must go on reading it as the values below, and writing the
// values below as exactly that JSON, so that existing databases keep
// loading and a change to the API's JSON cannot change what is stored.
//
// Each line of the file is "revision <name> <json>" or
// "authorizer <name> <json>"; JSON written by encoding/json has no newline.

//go:embed testdata/stored-v1.txt
var storedV1Text string

// Raw reads and writes the JSON columns of a store's rows directly, which
// registry.Tx hides. Each store's tests supply it for RunStoredV1.
type Raw struct {
	// InsertRegistry inserts a CUSTOM_JWT registry whose authorizer
	// configuration is authorizer, as stored.
	InsertRegistry func(id, name, authorizer string) error
	// InsertRecord inserts a record whose revisions are latest and
	// approved, as stored.
	InsertRecord func(registryID, id, name, latest, approved string) error
	// Authorizer returns a registry's stored authorizer configuration.
	Authorizer func(id string) (string, error)
	// Revisions return a record's stored revisions.
	Revisions func(registryID, id string) (latest, approved string, err error)
}

// RunStoredV1 checks that s reads the rows of testdata/stored-v1.txt as the
// values they hold, and writes those values as exactly that JSON.
func RunStoredV1(t *testing.T, s registry.Store, raw Raw) {
	revs, auths := storedV1(t)
	t.Run("Read", func(t *testing.T) {
		for i, a := range auths {
			id := "stored-reg-" + a.name
			if err := raw.InsertRegistry(id, a.name, a.json); err != nil {
				t.Fatalf("insert registry %s: %v", a.name, err)
			}
			got, err := getRegistry(t, s, id)
			if err != nil {
				t.Fatalf("authorizer %s: %v", a.name, err)
			}
			wantSame(t, "authorizer "+a.name, got.Authorizer, &auths[i].auth)
		}
		regID := "stored-reg-" + auths[0].name
		for i, r := range revs {
			// Each revision is stored as the latest of one record and the
			// approved one of the next.
			approved := revs[(i+1)%len(revs)]
			id := "stored-rec-" + r.name
			if err := raw.InsertRecord(regID, id, r.rev.Name, r.json, approved.json); err != nil {
				t.Fatalf("insert record %s: %v", r.name, err)
			}
			got, err := getRecord(t, s, regID, id)
			if err != nil {
				t.Fatalf("revision %s: %v", r.name, err)
			}
			wantSame(t, "latest revision "+r.name, got.Latest, r.rev)
			wantSame(t, "approved revision "+approved.name, got.Approved, &approved.rev)
		}
	})
	t.Run("Write", func(t *testing.T) {
		for _, a := range auths {
			reg := jwtRegistry("written-" + a.name)
			reg.Authorizer = &a.auth
			createRegistries(t, s, reg)
			got, err := raw.Authorizer(reg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got != a.json {
				t.Errorf("authorizer %s stored as\n%s\nwant\n%s", a.name, got, a.json)
			}
		}
		reg := sampleRegistry("written-records")
		createRegistries(t, s, reg)
		for i, r := range revs {
			approved := revs[(i+1)%len(revs)]
			rec := registry.Record{RegistryID: reg.ID, ID: registry.NewID(12), CreatedAt: t0, Latest: r.rev, Approved: &approved.rev}
			createRecords(t, s, rec)
			latest, approvedJSON, err := raw.Revisions(reg.ID, rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			if latest != r.json {
				t.Errorf("revision %s stored as\n%s\nwant\n%s", r.name, latest, r.json)
			}
			if approvedJSON != approved.json {
				t.Errorf("approved revision %s stored as\n%s\nwant\n%s", approved.name, approvedJSON, approved.json)
			}
		}
	})
}

type storedRevision struct {
	name, json string
	rev        registry.Revision
}

type storedAuthorizer struct {
	name, json string
	auth       registry.AuthorizerConfig
}

// storedV1 returns the revisions and authorizer configurations of
// testdata/stored-v1.txt with the values they hold.
func storedV1(t *testing.T) ([]storedRevision, []storedAuthorizer) {
	t.Helper()
	stored := map[string]string{}
	for line := range strings.Lines(storedV1Text) {
		kind, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		name, json, ok := strings.Cut(rest, " ")
		if !ok {
			t.Fatalf("testdata/stored-v1.txt: malformed line %q", line)
		}
		stored[kind+" "+name] = json
	}
	lookup := func(key string) string {
		json, ok := stored[key]
		if !ok {
			t.Fatalf("testdata/stored-v1.txt has no %s", key)
		}
		delete(stored, key)
		return json
	}
	var revs []storedRevision
	for _, r := range v1Revisions {
		revs = append(revs, storedRevision{name: r.name, json: lookup("revision " + r.name), rev: r.rev})
	}
	var auths []storedAuthorizer
	for _, a := range v1Authorizers {
		auths = append(auths, storedAuthorizer{name: a.name, json: lookup("authorizer " + a.name), auth: a.auth})
	}
	for key := range stored {
		t.Fatalf("testdata/stored-v1.txt: %s has no value in storetest", key)
	}
	return revs, auths
}

// v1At is a revision's update time, stored in Unix milliseconds.
var v1At = time.Date(2026, 12, 6, 9, 15, 30, 250_000_000, time.UTC)

// v1Revisions cover every descriptor type with every member set, members
// left out (omitempty), empty branches, and text that encoding/json
// escapes (<, > and & as \u003c, \u003e and \u0026; NUL; U+2028).
var v1Revisions = []struct {
	name string
	rev  registry.Revision
}{
	{"mcp", registry.Revision{
		Name: "weather", Description: "Forecasts <and> alerts & more", DescriptorType: registry.DescriptorMCP,
		Descriptors: descriptorsOf[registry.DescriptorMCP], Version: "2.3.1",
		Status: registry.StatusApproved, StatusReason: "Looks good.", UpdatedAt: v1At,
	}},
	{"a2a", registry.Revision{
		Name: "recipes", DescriptorType: registry.DescriptorA2A, Descriptors: descriptorsOf[registry.DescriptorA2A],
		Status: registry.StatusPendingApproval, UpdatedAt: v1At.Add(time.Millisecond),
	}},
	{"custom", registry.Revision{
		Name: "custom-thing", Description: "é\u2028 \x00 \t", DescriptorType: registry.DescriptorCustom,
		Descriptors: descriptorsOf[registry.DescriptorCustom], Version: "v1",
		Status: registry.StatusRejected, StatusReason: "No.", UpdatedAt: v1At.Add(time.Second),
	}},
	{"agent-skills", registry.Revision{
		Name: "pdf-forms", Description: "Fill in PDF forms.", DescriptorType: registry.DescriptorAgentSkills,
		Descriptors: descriptorsOf[registry.DescriptorAgentSkills], Version: "1.0",
		Status: registry.StatusDeprecated, StatusReason: "Superseded.", UpdatedAt: v1At.Add(time.Minute),
	}},
	{"empty-branches", registry.Revision{
		Name: "draft", DescriptorType: registry.DescriptorMCP,
		Descriptors: registry.Descriptors{
			MCP: &registry.MCPDescriptor{Server: &registry.ServerDefinition{}}, A2A: &registry.A2ADescriptor{},
			Custom: &registry.CustomDescriptor{}, AgentSkills: &registry.AgentSkillsDescriptor{SkillMd: &registry.SkillMdDefinition{}},
		},
		Status: registry.StatusDraft, UpdatedAt: v1At.Add(time.Hour),
	}},
	{"no-descriptors", registry.Revision{
		Name: "bare", DescriptorType: registry.DescriptorCustom, Status: registry.StatusDraft, UpdatedAt: time.UnixMilli(0).UTC(),
	}},
}

var v1Authorizers = []struct {
	name string
	auth registry.AuthorizerConfig
}{
	{"custom-jwt", *jwtRegistry("jwt").Authorizer},
	{"custom-jwt-minimal", registry.AuthorizerConfig{CustomJWT: &registry.CustomJWTAuthorizer{
		DiscoveryURL: "https://idp.example.com/.well-known/openid-configuration?a=1&b=<2>",
		CustomClaims: []registry.CustomClaim{{InboundTokenClaimName: "sub", InboundTokenClaimValueType: "STRING"}},
	}}},
	{"empty", registry.AuthorizerConfig{}},
}
