// Package storetest is the contract test suite for registry.Store
// implementations. Every store runs the same behaviours from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) registry.Store {
//			s, err := mystore.Open(t.Context(), ...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// open must return a fresh, empty store; Run closes it when the subtest
// ends, so open only needs to clean up what it created besides the store.
//
// Beyond what registry.Store and registry.Tx document, the suite pins down
// what the Service relies on:
//
//   - lists are ordered by (name, id) in byte order, whatever the database's
//     collation, and AfterName/AfterID resume strictly after that pair;
//   - timestamps given with millisecond precision come back equal, in UTC;
//   - Put and Delete of a missing registry or record return KindNotFound;
//   - Update transactions are serializable: concurrent read-modify-write
//     cycles lose nothing, and View sees only committed transactions;
//   - the change feed shows committed entries only, in sequence order, and
//     a follower that polls it while writers append misses none.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) registry.Store) {
	suites := []struct {
		name  string
		tests []test
	}{
		{"Registries", registryTests},
		{"Records", recordTests},
		{"Idempotency", idempotencyTests},
		{"Settings", settingTests},
		{"Transactions", transactionTests},
		{"Changes", changeTests},
		{"Vectors", vectorTests},
	}
	for _, suite := range suites {
		t.Run(suite.name, func(t *testing.T) {
			for _, tt := range suite.tests {
				t.Run(tt.name, func(t *testing.T) {
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tt.run(t, s)
				})
			}
		})
	}
}

type test struct {
	name string
	run  func(t *testing.T, s registry.Store)
}

// ---- sample data ----

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

// ---- helpers ----

// write runs fn in an Update and fails the test if it returns an error.
func write(t *testing.T, s registry.Store, fn func(registry.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// read runs fn in a View and returns its result, failing the test on error.
func read[T any](t *testing.T, s registry.Store, fn func(registry.Tx) (T, error)) T {
	t.Helper()
	v, err := readErr(t, s, fn)
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}

// readErr runs fn in a View and returns its result and error.
func readErr[T any](t *testing.T, s registry.Store, fn func(registry.Tx) (T, error)) (T, error) {
	t.Helper()
	var v T
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

func createRegistries(t *testing.T, s registry.Store, rs ...registry.Registry) {
	t.Helper()
	write(t, s, func(tx registry.Tx) error {
		for _, r := range rs {
			if err := tx.CreateRegistry(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func createRecords(t *testing.T, s registry.Store, rs ...registry.Record) {
	t.Helper()
	write(t, s, func(tx registry.Tx) error {
		for _, r := range rs {
			if err := tx.CreateRecord(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func getRegistry(t *testing.T, s registry.Store, id string) (registry.Registry, error) {
	t.Helper()
	return readErr(t, s, func(tx registry.Tx) (registry.Registry, error) { return tx.Registry(id) })
}

func getRecord(t *testing.T, s registry.Store, registryID, recordID string) (registry.Record, error) {
	t.Helper()
	return readErr(t, s, func(tx registry.Tx) (registry.Record, error) { return tx.Record(registryID, recordID) })
}

func countRecords(t *testing.T, s registry.Store, registryID string) int {
	t.Helper()
	return read(t, s, func(tx registry.Tx) (int, error) { return tx.CountRecords(registryID) })
}

func listRegistries(t *testing.T, s registry.Store, q registry.RegistryQuery) []registry.Registry {
	t.Helper()
	return read(t, s, func(tx registry.Tx) ([]registry.Registry, error) { return tx.ListRegistries(q) })
}

func listRecords(t *testing.T, s registry.Store, q registry.RecordQuery) []registry.Record {
	t.Helper()
	return read(t, s, func(tx registry.Tx) ([]registry.Record, error) { return tx.ListRecords(q) })
}

// wantKind fails the test unless err is a *registry.Error of kind want.
func wantKind(t *testing.T, err error, want registry.Kind) {
	t.Helper()
	var e *registry.Error
	switch {
	case err == nil:
		t.Fatalf("got no error, want a %s error", want)
	case !errors.As(err, &e):
		t.Fatalf("got %T %v, want a *registry.Error of kind %s", err, err, want)
	case e.Kind != want:
		t.Fatalf("got a %s error (%v), want %s", e.Kind, err, want)
	}
}

// wantSame compares got and want by their JSON encodings, which show every
// member, nil pointers, and times with their precision and UTC offset.
func wantSame(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

func registryNames(rs []registry.Registry) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names
}

func recordNames(rs []registry.Record) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Latest.Name
	}
	return names
}

func wantNames(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got names %q, want %q", got, want)
	}
}

// pageThrough lists every item with pages of limit, following the keyset of
// the last item of each page, and returns the pages.
func pageThrough[T any](t *testing.T, limit int, list func(afterName, afterID string) []T, key func(T) (string, string)) [][]T {
	t.Helper()
	var pages [][]T
	afterName, afterID := "", ""
	for range 100 {
		page := list(afterName, afterID)
		if len(page) > limit {
			t.Fatalf("page of %d items exceeds Limit %d", len(page), limit)
		}
		if len(page) == 0 {
			return pages
		}
		pages = append(pages, page)
		afterName, afterID = key(page[len(page)-1])
	}
	t.Fatal("paging did not end after 100 pages")
	return nil
}

func flatten[T any](pages [][]T) []T {
	var all []T
	for _, p := range pages {
		all = append(all, p...)
	}
	return all
}

// byteOrderNames are valid names whose byte order differs from a
// case-insensitive or locale-aware order.
var byteOrderNames = []string{"delta", "Bravo", "alpha", "charlie-2", "Charlie", "alpha.v2", "0-zero", "echo/x", "a_b"}

func sortedCopy(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return s
}

// ---- registries ----

var registryTests = []test{
	{"CreateAndGet", func(t *testing.T, s registry.Store) {
		plain, jwt := sampleRegistry("plain"), jwtRegistry("jwt")
		plain.Description = ""
		jwt.Status, jwt.StatusReason = registry.RegistryUpdateFailed, "The discovery URL did not answer."
		createRegistries(t, s, plain, jwt)
		for _, want := range []registry.Registry{plain, jwt} {
			got, err := getRegistry(t, s, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantSame(t, "registry "+want.Name, got, want)
		}
	}},
	{"GetMissing", func(t *testing.T, s registry.Store) {
		_, err := getRegistry(t, s, registry.NewID(12))
		wantKind(t, err, registry.KindNotFound)
	}},
	{"CreateDuplicateName", func(t *testing.T, s registry.Store) {
		first := sampleRegistry("taken")
		createRegistries(t, s, first)
		second := sampleRegistry("taken")
		second.Description = "the second"
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRegistry(second) })
		wantKind(t, err, registry.KindConflict)
		if _, err := getRegistry(t, s, second.ID); !registry.IsNotFound(err) {
			t.Errorf("the rejected registry was stored (err %v)", err)
		}
		got, _ := getRegistry(t, s, first.ID)
		wantSame(t, "first registry", got, first)
	}},
	{"Put", func(t *testing.T, s registry.Store) {
		r := sampleRegistry("before")
		createRegistries(t, s, r)
		changed := jwtRegistry("after")
		changed.ID, changed.CreatedAt = r.ID, r.CreatedAt
		changed.UpdatedAt = t0.Add(time.Hour)
		write(t, s, func(tx registry.Tx) error { return tx.PutRegistry(changed) })
		got, _ := getRegistry(t, s, r.ID)
		wantSame(t, "changed registry", got, changed)

		cleared := changed
		cleared.Description, cleared.Authorizer, cleared.AutoApproval = "", nil, false
		write(t, s, func(tx registry.Tx) error { return tx.PutRegistry(cleared) })
		got, _ = getRegistry(t, s, r.ID)
		wantSame(t, "cleared registry", got, cleared)
	}},
	{"PutRenameToTakenName", func(t *testing.T, s registry.Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		renamed := b
		renamed.Name = "a"
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRegistry(renamed) })
		wantKind(t, err, registry.KindConflict)
		got, _ := getRegistry(t, s, b.ID)
		wantSame(t, "registry b", got, b)
	}},
	{"PutMissing", func(t *testing.T, s registry.Store) {
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRegistry(sampleRegistry("ghost")) })
		wantKind(t, err, registry.KindNotFound)
		wantNames(t, registryNames(listRegistries(t, s, registry.RegistryQuery{Limit: 10})), nil)
	}},
	{"Delete", func(t *testing.T, s registry.Store) {
		keep, gone := sampleRegistry("keep"), sampleRegistry("gone")
		createRegistries(t, s, keep, gone)
		write(t, s, func(tx registry.Tx) error { return tx.DeleteRegistry(gone.ID) })
		_, err := getRegistry(t, s, gone.ID)
		wantKind(t, err, registry.KindNotFound)
		if _, err := getRegistry(t, s, keep.ID); err != nil {
			t.Errorf("the other registry: %v", err)
		}
		// The name is free again.
		createRegistries(t, s, sampleRegistry("gone"))
	}},
	{"DeleteMissing", func(t *testing.T, s registry.Store) {
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.DeleteRegistry(registry.NewID(12)) })
		wantKind(t, err, registry.KindNotFound)
	}},
	{"ListFilters", func(t *testing.T, s registry.Store) {
		iamReady, iamFailed := sampleRegistry("iam-ready"), sampleRegistry("iam-failed")
		iamFailed.Status = registry.RegistryCreateFailed
		jwtReady, jwtUpdating := jwtRegistry("jwt-ready"), jwtRegistry("jwt-updating")
		jwtUpdating.Status = registry.RegistryUpdating
		createRegistries(t, s, iamReady, iamFailed, jwtReady, jwtUpdating)
		tests := []struct {
			name string
			q    registry.RegistryQuery
			want []string
		}{
			{"none", registry.RegistryQuery{}, []string{"iam-failed", "iam-ready", "jwt-ready", "jwt-updating"}},
			{"status", registry.RegistryQuery{Status: registry.RegistryReady}, []string{"iam-ready", "jwt-ready"}},
			{"authorizer", registry.RegistryQuery{AuthorizerType: registry.AuthorizerCustomJWT}, []string{"jwt-ready", "jwt-updating"}},
			{"both", registry.RegistryQuery{Status: registry.RegistryReady, AuthorizerType: registry.AuthorizerAWSIAM}, []string{"iam-ready"}},
			{"no match", registry.RegistryQuery{Status: registry.RegistryDeleting}, nil},
			{"limit", registry.RegistryQuery{Limit: 3}, []string{"iam-failed", "iam-ready", "jwt-ready"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.q.Limit == 0 {
					tt.q.Limit = 100
				}
				got := listRegistries(t, s, tt.q)
				wantNames(t, registryNames(got), tt.want)
			})
		}
		got := listRegistries(t, s, registry.RegistryQuery{AuthorizerType: registry.AuthorizerCustomJWT, Limit: 1})
		if len(got) == 1 {
			wantSame(t, "listed registry", got[0], jwtReady)
		}
	}},
	{"ListPaging", func(t *testing.T, s registry.Store) {
		var rs []registry.Registry
		for i, name := range byteOrderNames {
			r := sampleRegistry(name)
			if i%3 == 0 {
				r.Status = registry.RegistryUpdateFailed
			}
			rs = append(rs, r)
		}
		createRegistries(t, s, rs...)
		key := func(r registry.Registry) (string, string) { return r.Name, r.ID }
		for _, limit := range []int{1, 2, 4, len(rs), len(rs) + 1} {
			pages := pageThrough(t, limit, func(afterName, afterID string) []registry.Registry {
				return listRegistries(t, s, registry.RegistryQuery{AfterName: afterName, AfterID: afterID, Limit: limit})
			}, key)
			wantNames(t, registryNames(flatten(pages)), sortedCopy(byteOrderNames))
			if want := (len(rs) + limit - 1) / limit; len(pages) != want {
				t.Errorf("limit %d: got %d pages, want %d", limit, len(pages), want)
			}
		}
		var ready []string
		for _, r := range rs {
			if r.Status == registry.RegistryReady {
				ready = append(ready, r.Name)
			}
		}
		pages := pageThrough(t, 2, func(afterName, afterID string) []registry.Registry {
			return listRegistries(t, s, registry.RegistryQuery{Status: registry.RegistryReady, AfterName: afterName, AfterID: afterID, Limit: 2})
		}, key)
		wantNames(t, registryNames(flatten(pages)), sortedCopy(ready))
	}},
	{"ListAfterComparesNameThenID", func(t *testing.T, s registry.Store) {
		a, b, c := sampleRegistry("a"), sampleRegistry("b"), sampleRegistry("c")
		createRegistries(t, s, a, b, c)
		tests := []struct {
			name               string
			afterName, afterID string
			want               []string
		}{
			{"after a listed item", "a", a.ID, []string{"b", "c"}},
			{"same name, lower id", "b", "", []string{"b", "c"}},
			{"same name, higher id", "b", strings.Repeat("z", 16), []string{"c"}},
			{"between names", "aa", "", []string{"b", "c"}},
			{"after the last", "c", c.ID, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := listRegistries(t, s, registry.RegistryQuery{AfterName: tt.afterName, AfterID: tt.afterID, Limit: 10})
				wantNames(t, registryNames(got), tt.want)
			})
		}
	}},
}

// ---- records ----

var recordTests = []test{
	{"CreateAndGet", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		plain := sampleRecord(reg.ID, "plain")
		bare := sampleRecord(reg.ID, "bare")
		bare.Latest.Description, bare.Latest.Version = "", ""
		rejected := withStatus(sampleRecord(reg.ID, "rejected"), registry.StatusRejected)
		rejected.Latest.StatusReason = "Missing a license."
		createRecords(t, s, plain, bare, rejected)
		for _, want := range []registry.Record{plain, bare, rejected} {
			got, err := getRecord(t, s, reg.ID, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantSame(t, "record "+want.Latest.Name, got, want)
		}
	}},
	{"DescriptorsRoundTrip", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		for typ := range descriptorsOf {
			t.Run(string(typ), func(t *testing.T) {
				r := withType(sampleRecord(reg.ID, "rec-"+strings.ToLower(string(typ))), typ)
				approved := r.Latest
				approved.Status = registry.StatusApproved
				r.Approved = &approved
				createRecords(t, s, r)
				got, err := getRecord(t, s, reg.ID, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantSame(t, "record", got, r)
			})
		}
	}},
	{"ControlCharactersRoundTrip", func(t *testing.T, s registry.Store) {
		// Validation lets any character through in descriptions and in
		// SKILL.md, U+0000 included; a record's revisions keep them all.
		// (A PostgreSQL jsonb column, for one, would refuse U+0000.)
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		r := withType(sampleRecord(reg.ID, "controls"), registry.DescriptorAgentSkills)
		r.Latest.Description = "nul \x00, bell \a, escape \x1b, del \x7f, line separator \u2028, replacement \ufffd"
		skills := *r.Latest.Descriptors.AgentSkills
		md := *skills.SkillMd
		md.InlineContent += "binary tail: \x00\x01\x02\n"
		skills.SkillMd = &md
		r.Latest.Descriptors.AgentSkills = &skills
		approved := r.Latest
		approved.Status, approved.StatusReason = registry.StatusApproved, "ok \x00"
		r.Approved = &approved
		createRecords(t, s, r)
		got, err := getRecord(t, s, reg.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantSame(t, "record", got, r)
	}},
	{"GetMissing", func(t *testing.T, s registry.Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		rec := sampleRecord(a.ID, "rec")
		createRecords(t, s, rec)
		tests := []struct{ name, registryID, recordID string }{
			{"unknown record", a.ID, registry.NewID(12)},
			{"record of another registry", b.ID, rec.ID},
			{"unknown registry", registry.NewID(12), rec.ID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := getRecord(t, s, tt.registryID, tt.recordID)
				wantKind(t, err, registry.KindNotFound)
			})
		}
	}},
	{"UniqueNamePerRegistry", func(t *testing.T, s registry.Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		first := sampleRecord(a.ID, "shared")
		createRecords(t, s, first)

		dup := sampleRecord(a.ID, "shared")
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRecord(dup) })
		wantKind(t, err, registry.KindConflict)
		if n := countRecords(t, s, a.ID); n != 1 {
			t.Errorf("registry a has %d records after the conflict, want 1", n)
		}

		createRecords(t, s, sampleRecord(b.ID, "shared"))
		if n := countRecords(t, s, b.ID); n != 1 {
			t.Errorf("registry b has %d records, want 1", n)
		}
	}},
	{"Put", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		r := sampleRecord(reg.ID, "before")
		createRecords(t, s, r)

		changed := withType(r, registry.DescriptorMCP)
		changed.Latest.Name = "after"
		changed.Latest.Description = "Changed."
		changed.Latest.Version = "2.0.0"
		changed.Latest.Status, changed.Latest.StatusReason = registry.StatusPendingApproval, "Please review."
		changed.Latest.UpdatedAt = t0.Add(time.Minute)
		write(t, s, func(tx registry.Tx) error { return tx.PutRecord(changed) })
		got, _ := getRecord(t, s, reg.ID, r.ID)
		wantSame(t, "changed record", got, changed)
	}},
	{"PutRenameToTakenName", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		a, b := sampleRecord(reg.ID, "a"), sampleRecord(reg.ID, "b")
		createRecords(t, s, a, b)
		renamed := b
		renamed.Latest.Name = "a"
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRecord(renamed) })
		wantKind(t, err, registry.KindConflict)
		got, _ := getRecord(t, s, reg.ID, b.ID)
		wantSame(t, "record b", got, b)
	}},
	{"PutMissing", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRecord(sampleRecord(reg.ID, "ghost")) })
		wantKind(t, err, registry.KindNotFound)
		if n := countRecords(t, s, reg.ID); n != 0 {
			t.Errorf("got %d records, want 0", n)
		}
	}},
	{"ApprovedStoredAndCleared", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		r := sampleRecord(reg.ID, "rec")
		createRecords(t, s, r)

		// Approved, then a new draft with other content: both revisions kept.
		approved := r.Latest
		approved.Status, approved.StatusReason = registry.StatusApproved, "Looks good."
		approved.UpdatedAt = t0.Add(time.Minute)
		r.Approved = &approved
		r.Latest.Name, r.Latest.Description, r.Latest.Version = "rec-renamed", "Second draft.", "1.1.0"
		r.Latest.UpdatedAt = t0.Add(2 * time.Minute)
		write(t, s, func(tx registry.Tx) error { return tx.PutRecord(r) })
		got, _ := getRecord(t, s, reg.ID, r.ID)
		wantSame(t, "record with an approved revision", got, r)

		r.Latest.Status = registry.StatusDeprecated
		r.Approved = nil
		write(t, s, func(tx registry.Tx) error { return tx.PutRecord(r) })
		got, _ = getRecord(t, s, reg.ID, r.ID)
		if got.Approved != nil {
			t.Errorf("Approved = %+v after it was cleared, want nil", got.Approved)
		}
		wantSame(t, "record with the approved revision cleared", got, r)
	}},
	{"Delete", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		keep, gone := sampleRecord(reg.ID, "keep"), sampleRecord(reg.ID, "gone")
		createRecords(t, s, keep, gone)
		write(t, s, func(tx registry.Tx) error { return tx.DeleteRecord(reg.ID, gone.ID) })
		_, err := getRecord(t, s, reg.ID, gone.ID)
		wantKind(t, err, registry.KindNotFound)
		if _, err := getRecord(t, s, reg.ID, keep.ID); err != nil {
			t.Errorf("the other record: %v", err)
		}
		// The name is free again.
		createRecords(t, s, sampleRecord(reg.ID, "gone"))
	}},
	{"DeleteMissing", func(t *testing.T, s registry.Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		rec := sampleRecord(a.ID, "rec")
		createRecords(t, s, rec)
		for _, ids := range [][2]string{{a.ID, registry.NewID(12)}, {b.ID, rec.ID}} {
			err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.DeleteRecord(ids[0], ids[1]) })
			wantKind(t, err, registry.KindNotFound)
		}
		if _, err := getRecord(t, s, a.ID, rec.ID); err != nil {
			t.Errorf("deleting it through another registry removed the record: %v", err)
		}
	}},
	{"Count", func(t *testing.T, s registry.Store) {
		a, b, empty := sampleRegistry("a"), sampleRegistry("b"), sampleRegistry("empty")
		createRegistries(t, s, a, b, empty)
		createRecords(t, s, sampleRecord(a.ID, "1"), sampleRecord(a.ID, "2"), sampleRecord(a.ID, "3"), sampleRecord(b.ID, "1"))
		for _, tc := range []struct {
			id   string
			want int
		}{{a.ID, 3}, {b.ID, 1}, {empty.ID, 0}, {registry.NewID(12), 0}} {
			if n := countRecords(t, s, tc.id); n != tc.want {
				t.Errorf("CountRecords(%s) = %d, want %d", tc.id, n, tc.want)
			}
		}
	}},
	{"ListFilters", func(t *testing.T, s registry.Store) {
		reg, other := sampleRegistry("reg"), sampleRegistry("other")
		createRegistries(t, s, reg, other)
		// Filters apply to the latest revision: "edited" is approved under
		// its old name and drafted under its new one.
		edited := sampleRecord(reg.ID, "edited-new")
		oldRev := edited.Latest
		oldRev.Name, oldRev.Status = "edited-old", registry.StatusApproved
		edited.Approved = &oldRev
		createRecords(t, s,
			withType(sampleRecord(reg.ID, "mcp-draft"), registry.DescriptorMCP),
			withStatus(withType(sampleRecord(reg.ID, "mcp-approved"), registry.DescriptorMCP), registry.StatusApproved),
			withStatus(sampleRecord(reg.ID, "custom-approved"), registry.StatusApproved),
			withStatus(withType(sampleRecord(reg.ID, "a2a-pending"), registry.DescriptorA2A), registry.StatusPendingApproval),
			edited,
			withStatus(withType(sampleRecord(other.ID, "other-mcp"), registry.DescriptorMCP), registry.StatusApproved),
		)
		tests := []struct {
			name string
			q    registry.RecordQuery
			want []string
		}{
			{"none", registry.RecordQuery{}, []string{"a2a-pending", "custom-approved", "edited-new", "mcp-approved", "mcp-draft"}},
			{"name", registry.RecordQuery{Name: "mcp-draft"}, []string{"mcp-draft"}},
			{"approved name", registry.RecordQuery{Name: "edited-old"}, nil},
			{"other registry's name", registry.RecordQuery{Name: "other-mcp"}, nil},
			{"status", registry.RecordQuery{Status: registry.StatusApproved}, []string{"custom-approved", "mcp-approved"}},
			{"draft", registry.RecordQuery{Status: registry.StatusDraft}, []string{"edited-new", "mcp-draft"}},
			{"type", registry.RecordQuery{DescriptorType: registry.DescriptorMCP}, []string{"mcp-approved", "mcp-draft"}},
			{"status and type", registry.RecordQuery{Status: registry.StatusApproved, DescriptorType: registry.DescriptorMCP}, []string{"mcp-approved"}},
			{"all three", registry.RecordQuery{Name: "a2a-pending", Status: registry.StatusPendingApproval, DescriptorType: registry.DescriptorA2A}, []string{"a2a-pending"}},
			{"no match", registry.RecordQuery{DescriptorType: registry.DescriptorAgentSkills}, nil},
			{"limit", registry.RecordQuery{Limit: 2}, []string{"a2a-pending", "custom-approved"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.RegistryID = reg.ID
				if tt.q.Limit == 0 {
					tt.q.Limit = 100
				}
				wantNames(t, recordNames(listRecords(t, s, tt.q)), tt.want)
			})
		}
		got := listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, Name: "edited-new", Limit: 1})
		if len(got) == 1 {
			wantSame(t, "listed record", got[0], edited)
		}
		wantNames(t, recordNames(listRecords(t, s, registry.RecordQuery{RegistryID: registry.NewID(12), Limit: 10})), nil)
	}},
	{"ListPaging", func(t *testing.T, s registry.Store) {
		reg, other := sampleRegistry("reg"), sampleRegistry("other")
		createRegistries(t, s, reg, other)
		var recs []registry.Record
		var mcp []string
		for i, name := range byteOrderNames {
			r := sampleRecord(reg.ID, name)
			if i%2 == 0 {
				r = withType(r, registry.DescriptorMCP)
				mcp = append(mcp, name)
			}
			recs = append(recs, r, sampleRecord(other.ID, name))
		}
		createRecords(t, s, recs...)
		key := func(r registry.Record) (string, string) { return r.Latest.Name, r.ID }
		for _, limit := range []int{1, 2, 3, len(byteOrderNames), len(byteOrderNames) + 1} {
			pages := pageThrough(t, limit, func(afterName, afterID string) []registry.Record {
				return listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, AfterName: afterName, AfterID: afterID, Limit: limit})
			}, key)
			all := flatten(pages)
			wantNames(t, recordNames(all), sortedCopy(byteOrderNames))
			for _, r := range all {
				if r.RegistryID != reg.ID {
					t.Fatalf("listed record %s of registry %s", r.ID, r.RegistryID)
				}
			}
		}
		pages := pageThrough(t, 2, func(afterName, afterID string) []registry.Record {
			return listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, DescriptorType: registry.DescriptorMCP,
				AfterName: afterName, AfterID: afterID, Limit: 2})
		}, key)
		wantNames(t, recordNames(flatten(pages)), sortedCopy(mcp))
	}},
	{"ListAfterComparesNameThenID", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		a, b, c := sampleRecord(reg.ID, "a"), sampleRecord(reg.ID, "b"), sampleRecord(reg.ID, "c")
		createRecords(t, s, a, b, c)
		tests := []struct {
			name               string
			afterName, afterID string
			want               []string
		}{
			{"after a listed item", "a", a.ID, []string{"b", "c"}},
			{"same name, lower id", "b", "", []string{"b", "c"}},
			{"same name, higher id", "b", strings.Repeat("z", 12), []string{"c"}},
			{"between names", "aa", "", []string{"b", "c"}},
			{"after the last", "c", c.ID, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, AfterName: tt.afterName, AfterID: tt.afterID, Limit: 10})
				wantNames(t, recordNames(got), tt.want)
			})
		}
	}},
	{"TimestampsInUTC", func(t *testing.T, s registry.Store) {
		// Millisecond instants given in other zones come back equal and in UTC.
		india := time.FixedZone("IST", 5*3600+1800)
		created := time.Date(2024, 2, 29, 23, 59, 59, 999_000_000, india)
		updated := time.Date(2031, 12, 31, 0, 0, 0, 1_000_000, time.FixedZone("PST", -8*3600))
		reg := sampleRegistry("reg")
		reg.CreatedAt, reg.UpdatedAt = created, updated
		rec := sampleRecord(reg.ID, "rec")
		rec.CreatedAt, rec.Latest.UpdatedAt = created, updated
		approved := rec.Latest
		approved.UpdatedAt = created
		rec.Approved = &approved
		createRegistries(t, s, reg)
		createRecords(t, s, rec)

		gotReg, _ := getRegistry(t, s, reg.ID)
		gotRec, _ := getRecord(t, s, reg.ID, rec.ID)
		var gotApproved time.Time
		if gotRec.Approved != nil {
			gotApproved = gotRec.Approved.UpdatedAt
		}
		for _, tc := range []struct {
			name      string
			got, want time.Time
		}{
			{"registry CreatedAt", gotReg.CreatedAt, created},
			{"registry UpdatedAt", gotReg.UpdatedAt, updated},
			{"record CreatedAt", gotRec.CreatedAt, created},
			{"Latest.UpdatedAt", gotRec.Latest.UpdatedAt, updated},
			{"Approved.UpdatedAt", gotApproved, created},
		} {
			if !tc.got.Equal(tc.want) || tc.got.Location() != time.UTC {
				t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want.UTC())
			}
		}
	}},
	{"RequiresExistingRegistry", func(t *testing.T, s registry.Store) {
		missing := registry.NewID(12)
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRecord(sampleRecord(missing, "orphan")) })
		if err == nil {
			t.Fatal("CreateRecord in a registry that does not exist succeeded")
		}
		if n := countRecords(t, s, missing); n != 0 {
			t.Errorf("the orphan was stored: %d records", n)
		}
	}},
}

// ---- idempotency ----

var idempotencyTests = []test{
	{"PutAndGet", func(t *testing.T, s registry.Store) {
		e := registry.Idempotency{
			Key:         "CreateRegistry\x00token-0123456789abcdef0123456789abcdef",
			Fingerprint: strings.Repeat("ab", 32),
			Result:      []byte(`{"id":"abcdefghijkl","status":"READY"}`),
			CreatedAt:   t0,
		}
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(e) })
		got, ok, err := getIdempotency(t, s, e.Key)
		if err != nil || !ok {
			t.Fatalf("Idempotency(%q) = ok %v, err %v; want the entry", e.Key, ok, err)
		}
		wantSame(t, "entry", got, e)
	}},
	{"GetMissing", func(t *testing.T, s registry.Store) {
		write(t, s, func(tx registry.Tx) error {
			return tx.PutIdempotency(registry.Idempotency{Key: "present", Fingerprint: "f", Result: []byte("{}"), CreatedAt: t0})
		})
		if _, ok, err := getIdempotency(t, s, "absent"); ok || err != nil {
			t.Errorf("Idempotency(absent) = ok %v, err %v; want ok false, no error", ok, err)
		}
	}},
	{"PutReplaces", func(t *testing.T, s registry.Store) {
		first := registry.Idempotency{Key: "k", Fingerprint: "first", Result: []byte("1"), CreatedAt: t0}
		second := registry.Idempotency{Key: "k", Fingerprint: "second", Result: []byte("2"), CreatedAt: t0.Add(registry.IdempotencyWindow)}
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(first) })
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(second) })
		got, ok, err := getIdempotency(t, s, "k")
		if err != nil || !ok {
			t.Fatalf("ok %v, err %v", ok, err)
		}
		wantSame(t, "entry", got, second)
	}},
	{"PutPurgesExpired", func(t *testing.T, s registry.Store) {
		entry := func(key string, at time.Time) registry.Idempotency {
			return registry.Idempotency{Key: key, Fingerprint: "f-" + key, Result: []byte(key), CreatedAt: at}
		}
		old := entry("old", t0)
		recent := entry("recent", t0.Add(2*time.Hour))
		later := entry("later", t0.Add(registry.IdempotencyWindow+time.Hour))
		for _, e := range []registry.Idempotency{old, recent} {
			write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(e) })
		}
		if _, ok, _ := getIdempotency(t, s, old.Key); !ok {
			t.Fatal("the old entry is gone before any entry outlived the window")
		}
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(later) })
		for _, tc := range []struct {
			key  string
			want bool
		}{{old.Key, false}, {recent.Key, true}, {later.Key, true}} {
			if _, ok, err := getIdempotency(t, s, tc.key); ok != tc.want || err != nil {
				t.Errorf("after a put %v later, Idempotency(%s) = ok %v, err %v; want ok %v",
					later.CreatedAt.Sub(t0), tc.key, ok, err, tc.want)
			}
		}
	}},
}

func getIdempotency(t *testing.T, s registry.Store, key string) (registry.Idempotency, bool, error) {
	t.Helper()
	var (
		e  registry.Idempotency
		ok bool
	)
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		e, ok, err = tx.Idempotency(key)
		return err
	})
	return e, ok, err
}

// ---- settings ----

var settingTests = []test{
	{"GetMissing", func(t *testing.T, s registry.Store) {
		v, ok, err := getSetting(t, s, "paging-key")
		if ok || err != nil || v != nil {
			t.Errorf("Setting(missing) = %q, ok %v, err %v; want nil, false, nil", v, ok, err)
		}
	}},
	{"PutAndOverwrite", func(t *testing.T, s registry.Store) {
		binary := []byte{0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0}
		write(t, s, func(tx registry.Tx) error {
			if err := tx.PutSetting("a", binary); err != nil {
				return err
			}
			return tx.PutSetting("b", []byte("bee"))
		})
		wantSetting(t, s, "a", binary)
		write(t, s, func(tx registry.Tx) error { return tx.PutSetting("a", []byte("second")) })
		wantSetting(t, s, "a", []byte("second"))
		wantSetting(t, s, "b", []byte("bee"))
	}},
}

func getSetting(t *testing.T, s registry.Store, name string) ([]byte, bool, error) {
	t.Helper()
	var (
		v  []byte
		ok bool
	)
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		v, ok, err = tx.Setting(name)
		return err
	})
	return v, ok, err
}

func wantSetting(t *testing.T, s registry.Store, name string, want []byte) {
	t.Helper()
	v, ok, err := getSetting(t, s, name)
	if err != nil || !ok || string(v) != string(want) {
		t.Errorf("Setting(%s) = %q, ok %v, err %v; want %q", name, v, ok, err, want)
	}
}

// ---- transactions ----

// snapshot is everything a fixture store holds that the transaction tests
// look at.
type snapshot struct {
	Registries  []registry.Registry
	Records     []registry.Record
	Idempotency map[string]registry.Idempotency
	Settings    map[string]string
}

// fixture is what newFixture stores.
type fixture struct {
	reg       registry.Registry
	rec, rec2 registry.Record
	entry     registry.Idempotency
}

// newFixture fills s with a registry holding two records, an idempotency
// entry and a setting.
func newFixture(t *testing.T, s registry.Store) fixture {
	t.Helper()
	f := fixture{reg: sampleRegistry("reg")}
	f.rec, f.rec2 = sampleRecord(f.reg.ID, "rec"), sampleRecord(f.reg.ID, "rec2")
	f.entry = registry.Idempotency{Key: "k", Fingerprint: "f", Result: []byte("r"), CreatedAt: t0}
	write(t, s, func(tx registry.Tx) error {
		return errors.Join(tx.CreateRegistry(f.reg), tx.CreateRecord(f.rec), tx.CreateRecord(f.rec2),
			tx.PutIdempotency(f.entry), tx.PutSetting("s", []byte("v")))
	})
	return f
}

// take reads what the fixture tests look at, including the names a failed
// transaction may have tried to add.
func take(t *testing.T, s registry.Store, f fixture) snapshot {
	t.Helper()
	snap := snapshot{Idempotency: map[string]registry.Idempotency{}, Settings: map[string]string{}}
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		if snap.Registries, err = tx.ListRegistries(registry.RegistryQuery{Limit: 100}); err != nil {
			return err
		}
		for _, r := range snap.Registries {
			recs, err := tx.ListRecords(registry.RecordQuery{RegistryID: r.ID, Limit: 100})
			if err != nil {
				return err
			}
			snap.Records = append(snap.Records, recs...)
		}
		for _, key := range []string{f.entry.Key, "new-entry"} {
			if e, ok, err := tx.Idempotency(key); err != nil {
				return err
			} else if ok {
				snap.Idempotency[key] = e
			}
		}
		for _, name := range []string{"s", "new-setting"} {
			if v, ok, err := tx.Setting(name); err != nil {
				return err
			} else if ok {
				snap.Settings[name] = string(v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

var errAbort = errors.New("storetest: abort the transaction")

var transactionTests = []test{
	{"UpdateRollsBackOnError", func(t *testing.T, s registry.Store) {
		f := newFixture(t, s)
		before := take(t, s, f)
		newReg := sampleRegistry("new-reg")
		err := s.Update(t.Context(), func(tx registry.Tx) error {
			renamed := f.reg
			renamed.Name = "renamed"
			edited := f.rec
			edited.Latest.Name = "edited"
			steps := []error{
				tx.CreateRegistry(newReg),
				tx.PutRegistry(renamed),
				tx.CreateRecord(sampleRecord(newReg.ID, "new-rec")),
				tx.PutRecord(edited),
				tx.DeleteRecord(f.reg.ID, f.rec2.ID),
				tx.PutIdempotency(registry.Idempotency{Key: "new-entry", Fingerprint: "f", Result: []byte("r"), CreatedAt: t0.Add(48 * time.Hour)}),
				tx.PutSetting("s", []byte("changed")),
				tx.PutSetting("new-setting", []byte("v")),
			}
			if err := errors.Join(steps...); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if r, err := tx.Registry(f.reg.ID); err != nil || r.Name != "renamed" {
				t.Errorf("inside the transaction: registry %q, err %v; want the renamed registry", r.Name, err)
			}
			if _, err := tx.Record(f.reg.ID, f.rec2.ID); !registry.IsNotFound(err) {
				t.Errorf("inside the transaction: the deleted record is still there (err %v)", err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		wantSame(t, "store after the failed transaction", take(t, s, f), before)
	}},
	{"UpdateReturnsDomainErrors", func(t *testing.T, s registry.Store) {
		want := registry.Errorf(registry.KindConflict, "Record x cannot change from DRAFT to REJECTED.")
		err := s.Update(t.Context(), func(registry.Tx) error { return want })
		var got *registry.Error
		if !errors.As(err, &got) || got.Kind != want.Kind || got.Message != want.Message {
			t.Errorf("Update returned %v, want %v unchanged", err, want)
		}
	}},
	{"ViewRejectsWrites", func(t *testing.T, s registry.Store) {
		f := newFixture(t, s)
		before := take(t, s, f)
		changed := f.rec
		changed.Latest.Description = "changed"
		renamed := f.reg
		renamed.Name = "renamed"
		writes := []struct {
			name string
			fn   func(registry.Tx) error
		}{
			{"CreateRegistry", func(tx registry.Tx) error { return tx.CreateRegistry(sampleRegistry("new-reg")) }},
			{"PutRegistry", func(tx registry.Tx) error { return tx.PutRegistry(renamed) }},
			{"DeleteRegistry", func(tx registry.Tx) error { return tx.DeleteRegistry(f.reg.ID) }},
			{"CreateRecord", func(tx registry.Tx) error { return tx.CreateRecord(sampleRecord(f.reg.ID, "new-rec")) }},
			{"PutRecord", func(tx registry.Tx) error { return tx.PutRecord(changed) }},
			{"DeleteRecord", func(tx registry.Tx) error { return tx.DeleteRecord(f.reg.ID, f.rec.ID) }},
			{"PutIdempotency", func(tx registry.Tx) error {
				return tx.PutIdempotency(registry.Idempotency{Key: "new-entry", Fingerprint: "f", Result: []byte("r"), CreatedAt: t0.Add(48 * time.Hour)})
			}},
			{"PutSetting", func(tx registry.Tx) error { return tx.PutSetting("new-setting", []byte("v")) }},
		}
		for _, w := range writes {
			t.Run(w.name, func(t *testing.T) {
				var writeErr error
				viewErr := s.View(t.Context(), func(tx registry.Tx) error {
					writeErr = w.fn(tx)
					return writeErr
				})
				if writeErr == nil {
					t.Errorf("%s inside View succeeded", w.name)
				}
				if viewErr == nil {
					t.Errorf("View returned no error after a failed %s", w.name)
				}
			})
		}
		wantSame(t, "store after writes inside View", take(t, s, f), before)
	}},
	{"ConcurrentUpdates", func(t *testing.T, s registry.Store) {
		// Every Update creates one registry and increments a counter
		// setting; the counter then always equals the number of registries,
		// in every snapshot, and no increment is lost.
		const writers, perWriter = 8, 5
		writersDone := make(chan struct{})
		var readers, wg sync.WaitGroup
		for range 2 {
			readers.Go(func() {
				for {
					select {
					case <-writersDone:
						return
					default:
					}
					var n, listed int
					err := s.View(t.Context(), func(tx registry.Tx) error {
						var err error
						if n, err = counter(tx); err != nil {
							return err
						}
						rs, err := tx.ListRegistries(registry.RegistryQuery{Limit: 1000})
						listed = len(rs)
						return err
					})
					if err != nil {
						t.Errorf("View during writes: %v", err)
						return
					}
					if n != listed {
						t.Errorf("a View saw counter %d and %d registries", n, listed)
						return
					}
				}
			})
		}
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					err := s.Update(t.Context(), func(tx registry.Tx) error {
						n, err := counter(tx)
						if err != nil {
							return err
						}
						if err := tx.CreateRegistry(sampleRegistry("w" + strconv.Itoa(w) + "-" + strconv.Itoa(i))); err != nil {
							return err
						}
						return tx.PutSetting("counter", []byte(strconv.Itoa(n+1)))
					})
					if err != nil {
						t.Errorf("writer %d, update %d: %v", w, i, err)
					}
				}
			})
		}
		wg.Wait()
		close(writersDone)
		readers.Wait()
		n := read(t, s, counter)
		listed := len(listRegistries(t, s, registry.RegistryQuery{Limit: 1000}))
		if n != writers*perWriter || listed != writers*perWriter {
			t.Errorf("after %d updates: counter %d, %d registries", writers*perWriter, n, listed)
		}
	}},
	{"ViewDuringUpdate", func(t *testing.T, s registry.Store) {
		committed := sampleRegistry("committed")
		createRegistries(t, s, committed)
		inFlight := sampleRegistry("in-flight")

		started, release := make(chan struct{}), make(chan struct{})
		releaseOnce := sync.OnceFunc(func() { close(release) })
		t.Cleanup(releaseOnce) // runs before the store is closed
		updated := make(chan error, 1)
		go func() {
			updated <- s.Update(t.Context(), func(tx registry.Tx) error {
				if err := tx.CreateRegistry(inFlight); err != nil {
					return err
				}
				close(started)
				<-release
				return nil
			})
		}()
		select {
		case <-started:
		case err := <-updated:
			t.Fatalf("Update: %v", err)
		}

		type result struct {
			names []string
			err   error
		}
		viewed := make(chan result, 1)
		go func() {
			var names []string
			err := s.View(t.Context(), func(tx registry.Tx) error {
				rs, err := tx.ListRegistries(registry.RegistryQuery{Limit: 10})
				names = registryNames(rs)
				return err
			})
			viewed <- result{names, err}
		}()
		select {
		case got := <-viewed:
			if got.err != nil {
				t.Fatalf("View during an Update: %v", got.err)
			}
			wantNames(t, got.names, []string{"committed"})
		case <-time.After(10 * time.Second):
			t.Fatal("View waited for an Update in progress")
		}

		releaseOnce()
		if err := <-updated; err != nil {
			t.Fatalf("Update: %v", err)
		}
		wantNames(t, registryNames(listRegistries(t, s, registry.RegistryQuery{Limit: 10})), []string{"committed", "in-flight"})
	}},
}

// counter reads the "counter" setting, 0 when unset.
func counter(tx registry.Tx) (int, error) {
	v, ok, err := tx.Setting("counter")
	if err != nil || !ok {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

// ---- change feed ----

// changesSince reads the feed, failing the test on error.
func changesSince(t *testing.T, s registry.Store, after int64, limit int) []registry.ChangeEntry {
	t.Helper()
	es, err := s.ChangesSince(t.Context(), after, limit)
	if err != nil {
		t.Fatalf("ChangesSince(%d, %d): %v", after, limit, err)
	}
	return es
}

// appendChanges appends es, in order, in one Update.
func appendChanges(t *testing.T, s registry.Store, es ...registry.ChangeEntry) {
	t.Helper()
	write(t, s, func(tx registry.Tx) error {
		for _, e := range es {
			if err := tx.AppendChange(e.RegistryID, e.RecordID, e.At); err != nil {
				return err
			}
		}
		return nil
	})
}

// wantChanges compares entries without their sequence numbers, which must
// be positive and increasing.
func wantChanges(t *testing.T, got, want []registry.ChangeEntry) {
	t.Helper()
	var prev int64
	unnumbered := make([]registry.ChangeEntry, len(got))
	for i, e := range got {
		if e.Seq <= prev {
			t.Errorf("entry %d has seq %d after seq %d; want positive, increasing numbers", i, e.Seq, prev)
		}
		prev = e.Seq
		e.Seq = 0
		unnumbered[i] = e
	}
	normalized := make([]registry.ChangeEntry, len(want))
	for i, e := range want {
		e.At = e.At.UTC()
		normalized[i] = e
	}
	wantSame(t, "change feed", unnumbered, normalized)
}

var changeTests = []test{
	{"Empty", func(t *testing.T, s registry.Store) {
		if es := changesSince(t, s, 0, 10); len(es) != 0 {
			t.Errorf("a new store's feed holds %d entries", len(es))
		}
	}},
	{"AppendInOrder", func(t *testing.T, s registry.Store) {
		// The same instant in another zone comes back equal, in UTC.
		tokyo := time.FixedZone("JST", 9*3600)
		first := []registry.ChangeEntry{
			{RegistryID: "reg-a", RecordID: "rec-1", At: t0},
			{RegistryID: "reg-a", RecordID: "", At: t0.Add(time.Millisecond)},
			{RegistryID: "reg-b", RecordID: "rec-1", At: t0.Add(time.Second).In(tokyo)},
		}
		second := []registry.ChangeEntry{{RegistryID: "reg-a", RecordID: "rec-2", At: t0.Add(-time.Hour)}}
		appendChanges(t, s, first...)
		got := changesSince(t, s, 0, 100)
		wantChanges(t, got, first)
		appendChanges(t, s, second...)
		all := changesSince(t, s, 0, 100)
		wantChanges(t, all, append(slices.Clone(first), second...))
		if len(got) == len(first) && len(all) == len(first)+1 {
			wantSame(t, "entries read before the second Update", all[:len(first)], got)
			wantChanges(t, changesSince(t, s, got[len(got)-1].Seq, 100), second)
		}
	}},
	{"AppendWithOtherWrites", func(t *testing.T, s registry.Store) {
		reg := sampleRegistry("reg")
		rec := sampleRecord(reg.ID, "rec")
		write(t, s, func(tx registry.Tx) error {
			return errors.Join(tx.CreateRegistry(reg), tx.CreateRecord(rec), tx.AppendChange(reg.ID, rec.ID, t0))
		})
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{{RegistryID: reg.ID, RecordID: rec.ID, At: t0}})
	}},
	{"NothingFromRolledBackUpdates", func(t *testing.T, s registry.Store) {
		err := s.Update(t.Context(), func(tx registry.Tx) error {
			if err := tx.AppendChange("rolled-back", "rec", t0); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		if es := changesSince(t, s, 0, 10); len(es) != 0 {
			t.Errorf("the feed holds %d entries of a rolled-back Update", len(es))
		}
		committed := registry.ChangeEntry{RegistryID: "committed", At: t0}
		appendChanges(t, s, committed)
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{committed})
	}},
	{"AfterAndLimit", func(t *testing.T, s registry.Store) {
		var want []registry.ChangeEntry
		for i := range 5 {
			e := registry.ChangeEntry{RegistryID: "reg", RecordID: "rec-" + strconv.Itoa(i), At: t0.Add(time.Duration(i) * time.Second)}
			appendChanges(t, s, e)
			want = append(want, e)
		}
		all := changesSince(t, s, 0, 100)
		wantChanges(t, all, want)
		if len(all) != len(want) {
			return
		}
		for _, tc := range []struct {
			name        string
			after       int64
			limit, from int
			n           int
		}{
			{"first page", 0, 2, 0, 2},
			{"next page", all[1].Seq, 2, 2, 2},
			{"last page", all[3].Seq, 2, 4, 1},
			{"after the last", all[4].Seq, 2, 5, 0},
			{"limit above the rest", all[2].Seq, 10, 3, 2},
			{"after below the first", all[0].Seq - 1, 10, 0, 5},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := changesSince(t, s, tc.after, tc.limit)
				if len(got) != tc.n {
					t.Fatalf("ChangesSince(%d, %d) returned %d entries, want %d", tc.after, tc.limit, len(got), tc.n)
				}
				if tc.n > 0 {
					wantSame(t, "entries", got, all[tc.from:tc.from+tc.n])
				}
			})
		}
	}},
	{"PrunedPastRetention", func(t *testing.T, s registry.Store) {
		old := registry.ChangeEntry{RegistryID: "old", At: t0}
		kept := registry.ChangeEntry{RegistryID: "kept", At: t0.Add(time.Hour)}
		latest := registry.ChangeEntry{RegistryID: "latest", At: t0.Add(registry.ChangeRetention + 30*time.Minute)}
		appendChanges(t, s, old)
		appendChanges(t, s, kept)
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{old, kept})
		// Appending at latest puts old past the retention, kept not yet.
		appendChanges(t, s, latest)
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{kept, latest})
	}},
	{"ViewRejectsAppend", func(t *testing.T, s registry.Store) {
		var appendErr error
		viewErr := s.View(t.Context(), func(tx registry.Tx) error {
			appendErr = tx.AppendChange("reg", "rec", t0)
			return appendErr
		})
		if appendErr == nil || viewErr == nil {
			t.Errorf("AppendChange inside View: %v, View returned %v; want both to fail", appendErr, viewErr)
		}
		if es := changesSince(t, s, 0, 10); len(es) != 0 {
			t.Errorf("the feed holds %d entries after an append inside View", len(es))
		}
	}},
	{"FollowerMissesNothing", func(t *testing.T, s registry.Store) {
		// Writers append while a follower polls the feed the way a replica
		// does, resuming after the last seq it saw. Entries must become
		// visible in seq order, or the follower skips some for good.
		const writers, perWriter = 4, 10
		var (
			wg       sync.WaitGroup
			followed []registry.ChangeEntry
		)
		writersDone := make(chan struct{})
		followerDone := make(chan struct{})
		go func() {
			defer close(followerDone)
			var after int64
			for caughtUp := false; !caughtUp; {
				select {
				case <-writersDone:
					caughtUp = true // one more read after the last commit
				default:
				}
				es, err := s.ChangesSince(t.Context(), after, 7)
				if err != nil {
					t.Errorf("ChangesSince: %v", err)
					return
				}
				followed = append(followed, es...)
				if len(es) > 0 {
					after = es[len(es)-1].Seq
					caughtUp = false // the page may not hold everything
				}
			}
		}()
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					err := s.Update(t.Context(), func(tx registry.Tx) error {
						return tx.AppendChange("w"+strconv.Itoa(w), strconv.Itoa(i), t0.Add(time.Duration(i)*time.Millisecond))
					})
					if err != nil {
						t.Errorf("writer %d, append %d: %v", w, i, err)
					}
				}
			})
		}
		wg.Wait()
		close(writersDone)
		<-followerDone
		all := changesSince(t, s, 0, 1000)
		if len(all) != writers*perWriter {
			t.Errorf("the feed holds %d entries after %d appends", len(all), writers*perWriter)
		}
		if len(followed) != len(all) {
			t.Errorf("the follower saw %d of %d entries", len(followed), len(all))
		}
		wantSame(t, "entries the follower saw", followed, all)
	}},
}

// ---- vectors ----

var vectorTests = []test{
	{"SaveAndLoad", func(t *testing.T, s registry.Store) {
		ctx := context.Background()
		a, b, c := [32]byte{1}, [32]byte{2}, [32]byte{3}
		va, vb := []float32{0.5, -1.25, 3e-8}, []float32{1, 2, 3}
		if err := s.SaveVectors(ctx, "model-1", map[[32]byte][]float32{a: va, b: vb}); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadVectors(ctx, "model-1", [][32]byte{a, b, c})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !slices.Equal(got[a], va) || !slices.Equal(got[b], vb) {
			t.Fatalf("LoadVectors = %v", got)
		}
		// Another model has none of them.
		if got, err := s.LoadVectors(ctx, "model-2", [][32]byte{a, b}); err != nil || len(got) != 0 {
			t.Fatalf("other model: %v, %v", got, err)
		}
		// A vector once stored stays: the same text under the same model
		// always has the same vector.
		if err := s.SaveVectors(ctx, "model-1", map[[32]byte][]float32{a: {9, 9, 9}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.LoadVectors(ctx, "model-1", [][32]byte{a}); !slices.Equal(got[a], va) {
			t.Fatalf("overwritten: %v", got[a])
		}
	}},
	{"ManyKeys", func(t *testing.T, s registry.Store) {
		ctx := context.Background()
		vecs := map[[32]byte][]float32{}
		var keys [][32]byte
		for i := range 1200 {
			k := [32]byte{byte(i), byte(i >> 8), 7}
			vecs[k] = []float32{float32(i)}
			keys = append(keys, k)
		}
		if err := s.SaveVectors(ctx, "m", vecs); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadVectors(ctx, "m", keys)
		if err != nil || len(got) != len(keys) {
			t.Fatalf("loaded %d of %d: %v", len(got), len(keys), err)
		}
	}},
	{"Prune", func(t *testing.T, s registry.Store) {
		ctx := context.Background()
		vecs := map[[32]byte][]float32{}
		var keys [][32]byte
		for i := range 1200 {
			k := [32]byte{byte(i), byte(i >> 8), 9}
			vecs[k] = []float32{float32(i)}
			keys = append(keys, k)
		}
		if err := s.SaveVectors(ctx, "current", vecs); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveVectors(ctx, "old-model", map[[32]byte][]float32{keys[0]: {1}, keys[1]: {2}}); err != nil {
			t.Fatal(err)
		}
		// Keep every other key, some twice (records with the same text).
		var keep [][32]byte
		for i := 0; i < len(keys); i += 2 {
			keep = append(keep, keys[i])
		}
		keep = append(keep, keys[0], keys[2])
		n, err := s.PruneVectors(ctx, "current", keep)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(len(keys)/2 + 2); n != want {
			t.Errorf("PruneVectors deleted %d vectors, want %d (the odd keys and the old model's two)", n, want)
		}
		got, err := s.LoadVectors(ctx, "current", keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys)/2 {
			t.Fatalf("%d vectors left, want %d", len(got), len(keys)/2)
		}
		for i, k := range keys {
			if _, ok := got[k]; ok != (i%2 == 0) {
				t.Fatalf("key %d: kept %v", i, ok)
			}
		}
		if got, _ := s.LoadVectors(ctx, "old-model", keys[:2]); len(got) != 0 {
			t.Fatalf("the old model's vectors are still there: %v", got)
		}
		// Nothing left to prune; an empty keep list removes the rest.
		if n, err := s.PruneVectors(ctx, "current", keep); err != nil || n != 0 {
			t.Fatalf("second prune: %d, %v", n, err)
		}
		if n, err := s.PruneVectors(ctx, "current", nil); err != nil || n != int64(len(keys)/2) {
			t.Fatalf("prune keeping nothing: %d, %v", n, err)
		}
	}},
}
