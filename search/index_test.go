package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/viterin/vek/vek32"
)

const testRegistry = "reg000000001"

func approved(id, name, description string, typ registry.DescriptorType, ds registry.Descriptors) registry.Record {
	rev := registry.Revision{Name: name, Description: description, DescriptorType: typ, Descriptors: ds,
		Version: "1.0", Status: registry.StatusApproved, UpdatedAt: time.Unix(1700000000, 0).UTC()}
	return registry.Record{RegistryID: testRegistry, ID: id, CreatedAt: time.Unix(1690000000, 0).UTC(), Latest: rev, Approved: &rev}
}

func mcp(id, name, description, server, tools string) registry.Record {
	d := &registry.MCPDescriptor{Server: &registry.ServerDefinition{SchemaVersion: "2025-12-11", InlineContent: server}}
	if tools != "" {
		d.Tools = &registry.ToolsDefinition{ProtocolVersion: "2025-06-18", InlineContent: tools}
	}
	return approved(id, name, description, registry.DescriptorMCP, registry.Descriptors{MCP: d})
}

func a2a(id, name, card string) registry.Record {
	return approved(id, name, "", registry.DescriptorA2A, registry.Descriptors{A2A: &registry.A2ADescriptor{
		AgentCard: &registry.AgentCardDefinition{SchemaVersion: "0.3", InlineContent: card}}})
}

func skill(id, name, md, def string) registry.Record {
	s := &registry.AgentSkillsDescriptor{}
	if md != "" {
		s.SkillMd = &registry.SkillMdDefinition{InlineContent: md}
	}
	if def != "" {
		s.SkillDefinition = &registry.SkillDefinition{InlineContent: def}
	}
	return approved(id, name, "", registry.DescriptorAgentSkills, registry.Descriptors{AgentSkills: s})
}

func custom(id, name, content string) registry.Record {
	return approved(id, name, "", registry.DescriptorCustom, registry.Descriptors{Custom: &registry.CustomDescriptor{InlineContent: content}})
}

func search(t testing.TB, ix *Index, text string) []string {
	t.Helper()
	return searchQ(t, ix, Query{RegistryID: testRegistry, Text: text, MaxResults: 20})
}

func searchQ(t testing.TB, ix *Index, q Query) []string {
	t.Helper()
	hits, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.RecordID
	}
	return ids
}

// fixture is one record of each kind, each with words found only in one
// part of its descriptors.
func fixture() []registry.Record {
	return []registry.Record{
		mcp("mcp000000001", "io.github.acme/weather-mcp", "Forecasts for any city.",
			`{"name": "io.github.acme/weather-mcp", "title": "Acme Meteo", "description": "Severe storm alerts",
			  "packages": [{"registryType": "npm", "identifier": "@acme/zephyrpkg", "environmentVariables": [{"name": "ACME_TOKEN", "description": "the token"}]}],
			  "remotes": [{"type": "sse", "url": "https://remote.example.com/sse"}]}`,
			`{"tools": [{"name": "get_hourly_forecast", "title": "Hourly", "description": "Hour by hour precipitation outlook",
			  "inputSchema": {"type": "object", "properties": {"latitude": {"type": "number", "description": "degrees north"},
			  "options": {"type": "object", "properties": {"units": {"type": "string", "description": "metric or imperial"}}}}}}]}`),
		a2a("a2a000000001", "travel-planner",
			`{"name": "Voyage Planner", "description": "Plans trips end to end.", "version": "1.0", "url": "https://x",
			  "provider": {"organization": "Globex"},
			  "skills": [{"id": "book-flight", "name": "Flight booking", "description": "Reserves airline seats", "tags": ["itinerary"], "examples": ["get me to Lisbon on Friday"]}]}`),
		skill("skl000000001", "pdf-processing",
			"---\nname: pdf-processing\ndescription: >-\n  Extracts tables from PDF files.\nlicense: MIT\n---\n\n# Usage\n\nRun pdftotext with the layout flag.\n",
			`{"name": "pdf-processing", "description": "Merges documents", "notes": ["handles watermarks"]}`),
		custom("cus000000001", "internal-runbook", `{"title": "Incident runbook", "description": "Paging policy", "steps": ["rollback the canary", {"owner": "sre"}], "count": 3}`),
	}
}

func TestExtractionFindsEveryPart(t *testing.T) {
	ix := NewIndex(Options{})
	ix.PutMany(fixture())
	tests := []struct{ query, want string }{
		{"weather", "mcp000000001"},          // record name
		{"forecasts", "mcp000000001"},        // record description
		{"meteo", "mcp000000001"},            // server.json title
		{"storm alerts", "mcp000000001"},     // server.json description
		{"zephyrpkg", "mcp000000001"},        // package identifier
		{"acme token", "mcp000000001"},       // environment variable name
		{"remote", "mcp000000001"},           // remote URL
		{"hourly forecast", "mcp000000001"},  // tool name and title
		{"precipitation", "mcp000000001"},    // tool description
		{"latitude", "mcp000000001"},         // parameter name
		{"units imperial", "mcp000000001"},   // nested parameter and its description
		{"voyage", "a2a000000001"},           // agent card name
		{"plans trips", "a2a000000001"},      // agent card description
		{"flight booking", "a2a000000001"},   // skill name
		{"airline seats", "a2a000000001"},    // skill description
		{"itinerary", "a2a000000001"},        // skill tag
		{"lisbon", "a2a000000001"},           // skill example
		{"globex", "a2a000000001"},           // provider
		{"extracts tables", "skl000000001"},  // SKILL.md front matter description
		{"pdftotext layout", "skl000000001"}, // SKILL.md body
		{"merges", "skl000000001"},           // skill definition description
		{"watermarks", "skl000000001"},       // skill definition other strings
		{"incident", "cus000000001"},         // custom title
		{"paging", "cus000000001"},           // custom description
		{"canary rollback", "cus000000001"},  // custom nested strings
		{"sre", "cus000000001"},
	}
	for _, tt := range tests {
		if got := search(t, ix, tt.query); len(got) == 0 || got[0] != tt.want {
			t.Errorf("search %q = %v, want %s first", tt.query, got, tt.want)
		}
	}
	// Keys of custom JSON and numbers are not text.
	if got := search(t, ix, "steps owner"); len(got) != 0 {
		t.Errorf("JSON keys were indexed: %v", got)
	}
}

func TestMalformedContentNeverPanics(t *testing.T) {
	bad := []string{``, `{`, `[`, `{"name": `, `{"name": 5, "title": ["x"], "description": {"a": 1}}`, `null`, `42`,
		`"just a string"`, `{"tools": "nope"}`, `{"tools": [1, "x", null, {"name": {}}]}`, `[{"name": "bare_array_tool"}]`,
		`{"skills": [{"tags": "notalist"}]}`, "\xff\xfe", `{"a":"\u12"}`, `{"a":"\ud800"}`, strings.Repeat("[", 10000),
		strings.Repeat(`{"a":`, 5000), "not json at all plaintextword", "---\nname: [unclosed\n---\nbody", "---\n: :\n"}
	ix := NewIndex(Options{})
	for i, c := range bad {
		id := fmt.Sprintf("bad%09d", i)
		ix.Put(mcp(id+"m", "bad-mcp", "", c, c))
		ix.Put(a2a(id+"a", "bad-a2a", c))
		ix.Put(skill(id+"s", "bad-skill", c, c))
		ix.Put(custom(id+"c", "bad-custom", c))
	}
	if got := search(t, ix, "bad"); len(got) != 20 {
		t.Errorf("found %d records by name, want 20 (max results)", len(got))
	}
	if got := search(t, ix, "bare array tool"); len(got) == 0 {
		t.Error("a bare array of tools was not read")
	}
	if got := search(t, ix, "plaintextword"); len(got) == 0 {
		t.Error("content that is not JSON was not indexed as text")
	}
}

func TestOnlyApprovedRevisionsAreSearchable(t *testing.T) {
	ix := NewIndex(Options{})
	rec := mcp("rec000000001", "alpha", "first words", `{"name": "alpha"}`, "")
	ix.Put(rec)
	if got := search(t, ix, "first"); len(got) != 1 {
		t.Fatalf("approved record not found: %v", got)
	}
	// A new draft does not change what search serves.
	draft := rec
	draft.Latest.Description = "draft words"
	ix.Put(draft)
	if got := search(t, ix, "draft"); len(got) != 0 {
		t.Errorf("draft content is searchable: %v", got)
	}
	// Approving the draft replaces the old content at once.
	next := draft.Latest
	draft.Approved = &next
	ix.Put(draft)
	if got := search(t, ix, "draft"); len(got) != 1 {
		t.Errorf("approved revision not searchable: %v", got)
	}
	if got := search(t, ix, "first"); len(got) != 0 {
		t.Errorf("replaced revision still searchable: %v", got)
	}
	// No approved revision: gone.
	draft.Approved = nil
	ix.Put(draft)
	if got := search(t, ix, "draft"); len(got) != 0 || ix.Len(testRegistry) != 0 {
		t.Errorf("record without approved revision still searchable: %v", got)
	}
}

func TestRemoveAndRegistries(t *testing.T) {
	ix := NewIndex(Options{})
	a := mcp("rec000000001", "shared-name", "", `{}`, "")
	b := a
	b.RegistryID = "otherregistry1"
	ix.Put(a)
	ix.Put(b)
	if got := search(t, ix, "shared"); len(got) != 1 {
		t.Fatalf("got %v", got)
	}
	ix.Remove(testRegistry, "rec000000001")
	ix.Remove(testRegistry, "nonexistent1")
	ix.Remove("noregistry", "x")
	if got := search(t, ix, "shared"); len(got) != 0 {
		t.Errorf("removed record found: %v", got)
	}
	if got := searchQ(t, ix, Query{RegistryID: "otherregistry1", Text: "shared"}); len(got) != 1 {
		t.Errorf("other registry affected: %v", got)
	}
	ix.RemoveRegistry("otherregistry1")
	if got := searchQ(t, ix, Query{RegistryID: "otherregistry1", Text: "shared"}); len(got) != 0 {
		t.Errorf("removed registry still answers: %v", got)
	}
}

func TestSearchIsSafeOnAnyInput(t *testing.T) {
	ix := NewIndex(Options{})
	ix.PutMany(fixture())
	for _, text := range []string{"", " ", "*", `"`, `" OR 1=1 --`, "$and", "\x00\xff", strings.Repeat("weather ", 5000),
		strings.Repeat("x", 1<<20), "天気予報 погода 🚀", "{\"$or\": []}"} {
		for _, k := range []int{-5, 0, 1, 20, 1 << 30} {
			if _, err := ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: text, MaxResults: k}); err != nil {
				t.Errorf("Search(%.20q, %d): %v", text, k, err)
			}
		}
	}
	if got := searchQ(t, ix, Query{RegistryID: "unknown", Text: "weather"}); len(got) != 0 {
		t.Errorf("unknown registry found %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Search(ctx, Query{RegistryID: testRegistry, Text: "weather"}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled search: %v", err)
	}
}

func TestMaxResultsAndDefaults(t *testing.T) {
	ix := NewIndex(Options{})
	var recs []registry.Record
	for i := range 30 {
		recs = append(recs, mcp(fmt.Sprintf("rec%09d", i), fmt.Sprintf("tool-%d", i), "common word", `{}`, ""))
	}
	ix.PutMany(recs)
	for k, want := range map[int]int{0: defaultMaxResults, 1: 1, 20: 20, 100: 30} {
		if got := searchQ(t, ix, Query{RegistryID: testRegistry, Text: "common", MaxResults: k}); len(got) != want {
			t.Errorf("MaxResults %d: %d hits, want %d", k, len(got), want)
		}
	}
	// Equal scores come in record id order, whatever the insertion order.
	got := searchQ(t, ix, Query{RegistryID: testRegistry, Text: "common", MaxResults: 5})
	if !slices.Equal(got, []string{"rec000000000", "rec000000001", "rec000000002", "rec000000003", "rec000000004"}) {
		t.Errorf("ties not broken by id: %v", got)
	}
}

func TestFilterAppliesBeforeTheCut(t *testing.T) {
	ix := NewIndex(Options{})
	var recs []registry.Record
	for i := range 50 {
		// Strong matches, all MCP.
		recs = append(recs, mcp(fmt.Sprintf("mcp%09d", i), "weather-weather", "weather weather weather", `{}`, ""))
	}
	// The one A2A record matches weakly.
	recs = append(recs, a2a("a2a000000001", "planner", `{"name": "Planner", "description": "mentions the weather once among many other words of a long text"}`))
	ix.PutMany(recs)
	f, err := ParseFilter(json.RawMessage(`{"descriptorType": {"$eq": "A2A"}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := searchQ(t, ix, Query{RegistryID: testRegistry, Text: "weather", Filter: f, MaxResults: 1})
	if !slices.Equal(got, []string{"a2a000000001"}) {
		t.Errorf("filtered search = %v, want the A2A record", got)
	}
}

func TestRanking(t *testing.T) {
	ix := NewIndex(Options{})
	ix.PutMany([]registry.Record{
		mcp("desc00000001", "helper", "Also talks to github sometimes, among other things it does.", `{}`, ""),
		mcp("name00000001", "github", "A server.", `{}`, ""),
		mcp("kube00000001", "cluster-ops", "Manage Kubernetes deployments.", `{}`, ""),
		mcp("pg0000000001", "pg", "Query a PostgreSQL database.", `{}`, ""),
		mcp("who000000001", "the-who", "A band.", `{}`, ""),
	})
	tests := []struct{ query, first string }{
		{"github", "name00000001"},      // a name match beats a description match
		{"GitHub", "name00000001"},      // whatever the case
		{"k8s", "kube00000001"},         // synonym
		{"postgres db", "pg0000000001"}, // synonyms
		{"the who", "who000000001"},     // a query of stop words is read with them
		{"kubernetes clusters", "kube00000001"},
	}
	for _, tt := range tests {
		if got := search(t, ix, tt.query); len(got) == 0 || got[0] != tt.first {
			t.Errorf("search %q = %v, want %s first", tt.query, got, tt.first)
		}
	}
}

func TestHitsAreCopies(t *testing.T) {
	ix := NewIndex(Options{})
	rec := fixture()[0]
	ix.Put(rec)
	rec.Approved.Descriptors.MCP.Server.InlineContent = "changed by the caller"
	hits, _ := ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: "weather"})
	if len(hits) != 1 || !strings.Contains(hits[0].Revision().Descriptors.MCP.Server.InlineContent, "acme") {
		t.Fatalf("index shares the caller's descriptors: %+v", hits)
	}
	rev := hits[0].Revision()
	rev.Descriptors.MCP.Server.InlineContent = "changed by a reader"
	if !strings.Contains(hits[0].Revision().Descriptors.MCP.Server.InlineContent, "acme") {
		t.Error("a reader changed the hit's revision")
	}
	hits, _ = ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: "weather"})
	if !strings.Contains(hits[0].Revision().Descriptors.MCP.Server.InlineContent, "acme") {
		t.Error("a reader changed the index's copy")
	}
	if hits[0].CreatedAt != fixture()[0].CreatedAt || hits[0].Revision().Version != "1.0" {
		t.Errorf("hit metadata: %+v", hits[0])
	}
}

func TestUnchangedRevisionOnlyUpdatesCreatedAt(t *testing.T) {
	ix := NewIndex(Options{})
	rec := fixture()[0]
	ix.Put(rec)
	rec.CreatedAt = rec.CreatedAt.Add(time.Hour)
	ix.Put(rec)
	hits, _ := ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: "weather"})
	if len(hits) != 1 || !hits[0].CreatedAt.Equal(rec.CreatedAt) {
		t.Errorf("hits %+v", hits)
	}
	if sh := ix.shard(testRegistry, false); len(sh.docs) != 1 {
		t.Errorf("an unchanged revision was indexed again (%d slots)", len(sh.docs))
	}
}

// syntheticRecords draws n records from the seed vocabulary.
func syntheticRecords(t testing.TB, n int, seed uint64) []registry.Record {
	g := newCorpusGen(t)
	g.rnd = rand.New(rand.NewPCG(seed, 7))
	recs := make([]registry.Record, n)
	for i := range recs {
		recs[i] = g.record(i)
		recs[i].RegistryID = testRegistry
		if i%3 == 0 {
			recs[i].Approved.DescriptorType = registry.DescriptorCustom // for filters
		}
	}
	return recs
}

// TestUpdatesKeepStatisticsExact changes, replaces and removes records at
// random (forcing compactions) and checks that the index then ranks
// exactly as one built from the final records.
func TestUpdatesKeepStatisticsExact(t *testing.T) {
	recs := syntheticRecords(t, 300, 1)
	ix := NewIndex(Options{})
	ix.PutMany(recs)
	rnd := rand.New(rand.NewPCG(3, 4))
	final := map[string]registry.Record{}
	for _, r := range recs {
		final[r.ID] = r
	}
	extra := syntheticRecords(t, 300, 2)
	for i := range 1000 {
		r := recs[rnd.IntN(len(recs))]
		switch rnd.IntN(3) {
		case 0:
			ix.Remove(testRegistry, r.ID)
			delete(final, r.ID)
		default:
			e := extra[rnd.IntN(len(extra))]
			e.ID, e.CreatedAt = r.ID, r.CreatedAt.Add(time.Duration(i))
			ix.Put(e)
			final[r.ID] = e
		}
	}
	if sh := ix.shard(testRegistry, false); len(sh.docs) > 2*len(final) {
		t.Errorf("%d slots for %d records: no compaction", len(sh.docs), len(final))
	}
	fresh := NewIndex(Options{})
	var all []registry.Record
	for _, r := range final {
		all = append(all, r)
	}
	fresh.PutMany(all)
	if ix.Len(testRegistry) != len(final) || fresh.Len(testRegistry) != len(final) {
		t.Fatalf("Len %d and %d, want %d", ix.Len(testRegistry), fresh.Len(testRegistry), len(final))
	}
	g := newCorpusGen(t)
	for range 100 {
		q := Query{RegistryID: testRegistry, Text: g.text(1, 5), MaxResults: 20}
		a, _ := ix.Search(context.Background(), q)
		b, _ := fresh.Search(context.Background(), q)
		if len(a) != len(b) {
			t.Fatalf("%q: %d hits after updates, %d fresh", q.Text, len(a), len(b))
		}
		for i := range a {
			if a[i].RecordID != b[i].RecordID || math.Abs(a[i].Score-b[i].Score) > 1e-5 {
				t.Fatalf("%q hit %d: %s %.6f after updates, %s %.6f fresh", q.Text, i, a[i].RecordID, a[i].Score, b[i].RecordID, b[i].Score)
			}
		}
	}
}

// TestPruningIsExact compares the pruned search with a full scoring of
// every posting, with and without filters.
func TestPruningIsExact(t *testing.T) {
	recs := syntheticRecords(t, 1500, 5)
	pruned, full := NewIndex(Options{}), NewIndex(Options{Ablation: Ablation{NoPruning: true}})
	pruned.PutMany(recs)
	full.PutMany(recs)
	filters := someFilters(t)
	g := newCorpusGen(t)
	for i := range 300 {
		q := Query{RegistryID: testRegistry, Text: g.text(1, 7), Filter: filters[i%3], MaxResults: 1 + i%20}
		a, _ := pruned.Search(context.Background(), q)
		b, _ := full.Search(context.Background(), q)
		if len(a) != len(b) {
			t.Fatalf("%q: %d hits pruned, %d full", q.Text, len(a), len(b))
		}
		for j := range a {
			if a[j].RecordID != b[j].RecordID || a[j].Score != b[j].Score {
				t.Fatalf("%q hit %d: pruned %s %.6f, full %s %.6f", q.Text, j, a[j].RecordID, a[j].Score, b[j].RecordID, b[j].Score)
			}
		}
	}
}

// someFilters returns no filter, one that keeps the CUSTOM records and one
// that keeps the others.
func someFilters(t *testing.T) []*Filter {
	t.Helper()
	filters := []*Filter{nil}
	for _, s := range []string{`{"descriptorType": {"$eq": "CUSTOM"}}`, `{"descriptorType": {"$ne": "CUSTOM"}}`} {
		f, err := ParseFilter(json.RawMessage(s))
		if err != nil {
			t.Fatal(err)
		}
		filters = append(filters, f)
	}
	return filters
}

// TestLexicalTopKIsExact checks the lexical leg's pruning and top-k
// selection against the plain exhaustive ranking (every posting scored,
// every record sorted) on random queries, for k up to 150 as a hybrid
// search asks: with many ties (records of the same text, ranked by id),
// dead slots and filters.
func TestLexicalTopKIsExact(t *testing.T) {
	recs := syntheticRecords(t, 500, 11)
	for i := range 300 { // copies: equal scores, ranked by record id
		r := recs[(i*7)%len(recs)]
		r.ID = fmt.Sprintf("c%d-%s", i%5, r.ID)
		recs = append(recs, r)
	}
	pruned, full := NewIndex(Options{}), NewIndex(Options{Ablation: Ablation{NoPruning: true}})
	for _, ix := range []*Index{pruned, full} {
		ix.PutMany(recs)
		for i := 0; i < len(recs); i += 9 { // dead slots, left until compaction
			ix.Remove(testRegistry, recs[i].ID)
		}
	}
	filters := someFilters(t)
	g := newCorpusGen(t)
	g.rnd = rand.New(rand.NewPCG(12, 13))
	ctx := context.Background()
	ties := 0
	for i := range 400 {
		text, f := g.text(1, 6), filters[i%3]
		k := 1 + g.rnd.IntN(150)
		// The reference: every record that matches, in the exhaustive
		// index (k above the registry's size: no selection), cut to k.
		want, _ := full.Search(ctx, Query{RegistryID: testRegistry, Text: text, Filter: f, MaxResults: maxHits})
		if len(want) >= maxHits {
			t.Fatalf("%q: %d hits, the reference must see them all", text, len(want))
		}
		want = want[:min(k, len(want))]
		for j := 1; j < len(want); j++ {
			if want[j].Score == want[j-1].Score {
				ties++
			}
		}
		for _, ix := range []*Index{pruned, full} {
			got, _ := ix.Search(ctx, Query{RegistryID: testRegistry, Text: text, Filter: f, MaxResults: k})
			if len(got) != len(want) {
				t.Fatalf("%q k=%d: %d hits, want %d", text, k, len(got), len(want))
			}
			for j := range got {
				if got[j].RecordID != want[j].RecordID || got[j].Score != want[j].Score {
					t.Fatalf("%q k=%d hit %d: %s %v, want %s %v", text, k, j, got[j].RecordID, got[j].Score, want[j].RecordID, want[j].Score)
				}
			}
		}
	}
	if ties < 1000 {
		t.Errorf("only %d ties in the rankings compared: the test should have many", ties)
	}
}

// TestConcurrentSearchAndWrites runs searches while records change; with
// -race it checks the locking, and it checks that a Put is visible to
// the next Search of the goroutine that made it.
func TestConcurrentSearchAndWrites(t *testing.T) {
	recs := syntheticRecords(t, 300, 9)
	ix := NewIndex(Options{})
	ix.PutMany(recs)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newCorpusGen(t)
			for ctx.Err() == nil {
				if _, err := ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: g.text(1, 4)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("w%d%010d", w, i%50)
				word := fmt.Sprintf("uniqueword%dx%d", w, i)
				ix.Put(mcp(id, "writer", word, `{}`, ""))
				if got := searchQ(t, ix, Query{RegistryID: testRegistry, Text: word}); !slices.Equal(got, []string{id}) {
					t.Errorf("Put not visible to the next search: %v", got)
					return
				}
				if i%7 == 0 {
					ix.Remove(testRegistry, id)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			ix.Put(registry.Record{RegistryID: fmt.Sprintf("tmpregistry%d", i%3), ID: "x", Approved: recs[i%len(recs)].Approved})
			ix.RemoveRegistry(fmt.Sprintf("tmpregistry%d", (i+1)%3))
		}
	}()
	wg.Wait()
}

// bagEmbedder is a toy model: a word's vector is fixed by its hash, and
// "concepts" put chosen words on the same axis, the way a real model puts
// synonyms close together.
type bagEmbedder struct {
	concepts map[string]int
	fail     atomic.Bool
}

func (e *bagEmbedder) Fingerprint() string { return "bag-v1" }
func (e *bagEmbedder) Dimension() int      { return 16 }
func (e *bagEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if e.fail.Load() {
		return nil, errors.New("model offline")
	}
	out := make([][]float32, len(texts))
	for i, text := range texts {
		v := make([]float32, 16)
		for _, tok := range Tokenize(text) {
			axis, ok := e.concepts[tok]
			if !ok {
				axis = 8 + int(hashString(tok)%8)
			}
			v[axis]++
		}
		out[i] = v
	}
	return out, nil
}

func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func TestSemanticLegFusion(t *testing.T) {
	recs := []registry.Record{
		mcp("lex000000001", "notes", "Write down automobile repair notes.", `{}`, ""),
		mcp("sem000000001", "garage", "Vehicle maintenance scheduling.", `{}`, ""),
		mcp("oth000000001", "cooking", "Recipes and meal plans.", `{}`, ""),
	}
	emb := &bagEmbedder{concepts: map[string]int{"car": 1, "vehicl": 1, "automobil": 1, "mainten": 2, "repair": 2}}
	var reported []error
	var mu sync.Mutex
	ix := NewIndex(Options{Embedder: emb, OnError: func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }})
	t.Cleanup(ix.Close)
	ix.PutMany(recs)
	lexical := NewIndex(Options{})
	lexical.PutMany(recs)

	// "car" appears in no record: only the semantic leg can find them.
	if got := search(t, lexical, "car"); len(got) != 0 {
		t.Fatalf("lexical found %v", got)
	}
	got := search(t, ix, "car")
	slices.Sort(got)
	if !slices.Equal(got, []string{"lex000000001", "sem000000001"}) {
		t.Errorf("hybrid search = %v, want the two records about cars", got)
	}
	for _, m := range []FusionMethod{FusionRRF, FusionConvex} {
		ix := NewIndex(Options{Embedder: emb, Fusion: Fusion{Method: m}})
		ix.PutMany(recs)
		if got := search(t, ix, "repair notes"); len(got) == 0 || got[0] != "lex000000001" {
			t.Errorf("fusion %d: %v, want the lexical match first", m, got)
		}
	}
	// The model goes down: search falls back to the lexical ranking.
	emb.fail.Store(true)
	if got, want := search(t, ix, "automobile"), search(t, lexical, "automobile"); !slices.Equal(got, want) {
		t.Errorf("fallback = %v, want the lexical %v", got, want)
	}
	ix.Put(mcp("new000000001", "automobile-new", "", `{}`, "")) // embedding fails: still found lexically
	if got := search(t, ix, "automobile"); !slices.Contains(got, "new000000001") {
		t.Errorf("record without a vector not found: %v", got)
	}
	// The query's failure and, from the background, the record's.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(reported)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("errors reported: %v", reported)
		}
	}
}

func TestPutManyMatchesPut(t *testing.T) {
	recs := syntheticRecords(t, 600, 11)
	other := recs[5]
	other.RegistryID = "otherregistry1"
	gone := recs[7]
	gone.Approved = nil
	recs = append(recs, other, gone, registry.Record{RegistryID: "noregistry", ID: "x"})
	bulk, single := NewIndex(Options{}), NewIndex(Options{})
	bulk.PutMany(recs)
	for _, r := range recs {
		single.Put(r)
	}
	if bulk.Len(testRegistry) != 599 || single.Len(testRegistry) != 599 || bulk.Len("otherregistry1") != 1 {
		t.Fatalf("Len: bulk %d, single %d, other %d", bulk.Len(testRegistry), single.Len(testRegistry), bulk.Len("otherregistry1"))
	}
	g := newCorpusGen(t)
	for range 100 {
		q := Query{RegistryID: testRegistry, Text: g.text(1, 4)}
		a, _ := bulk.Search(context.Background(), q)
		b, _ := single.Search(context.Background(), q)
		if len(a) != len(b) {
			t.Fatalf("%q: %d and %d hits", q.Text, len(a), len(b))
		}
		for i := range a {
			if a[i].RecordID != b[i].RecordID || a[i].Score != b[i].Score {
				t.Fatalf("%q hit %d: %s and %s", q.Text, i, a[i].RecordID, b[i].RecordID)
			}
		}
	}
}

func TestSentences(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"find a weather server", []string{"find a weather server"}},
		{"Get www.example.com. Save it to /root/out.md.", []string{"Get www.example.com", "Save it to /root/out.md"}},
		{"Version 1.2 please! Is it free? yes;no\nmaybe", []string{"Version 1.2 please", "Is it free", "yes", "no", "maybe"}},
		{" . ; \n", nil},
		{"a. b. c. d. e. f. g. h. i. j.", []string{"a", "b", "c", "d", "e", "f", "g", "h. i. j."}},
	} {
		if got := sentences(c.in); !slices.Equal(got, c.want) {
			t.Errorf("sentences(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A task of several steps: the record for its short last step must not be
// lost in the average of the whole text.
func TestSemanticLegScoresSentences(t *testing.T) {
	emb := &bagEmbedder{concepts: map[string]int{"car": 1, "vehicl": 1, "recip": 3, "meal": 3, "dinner": 3, "cook": 3, "famili": 3}}
	ix := NewIndex(Options{Embedder: emb})
	ix.PutMany([]registry.Record{
		mcp("cook00000001", "kitchen", "Cook a family dinner.", `{}`, ""),
		mcp("car000000001", "garage", "Vehicle care.", `{}`, ""),
	})
	q := ix.embedQuery(context.Background(), "Plan the meals, recipes and dinners of my family. Then wash the car.")
	if q == nil || len(q.parts) != 2 {
		t.Fatalf("query vectors %+v, want two sentences", q)
	}
	sh := ix.shard(testRegistry, false)
	top := slices.Clone(sh.semantic(new(accumulator), q, nil, 10))
	whole := sh.semantic(new(accumulator), &queryVectors{whole: q.whole}, nil, 10)
	if len(top) != 2 || len(whole) != 2 {
		t.Fatalf("semantic leg found %v and %v, want both records", top, whole)
	}
	if sh.docs[whole[1].slot].recordID != "car000000001" || whole[1].score > 0.5 {
		t.Fatalf("by the whole query: %v", whole)
	}
	var car float32
	var carVec []float32
	for _, c := range top {
		if d := &sh.docs[c.slot]; d.recordID == "car000000001" {
			car, carVec = c.score, d.vec
		}
	}
	last := vek32.Dot(carVec, q.parts[1])
	if want := (whole[1].score + last) / 2; math.Abs(float64(car-want)) > 1e-5 || car <= whole[1].score {
		t.Errorf("similarity of the car record %v, want %v: the mean of the whole query's cosine (%v) and the last sentence's (%v)",
			car, want, whole[1].score, last)
	}
}

func TestVectorKeys(t *testing.T) {
	emb := &bagEmbedder{}
	emb.fail.Store(true)
	ix := NewIndex(Options{Embedder: emb})
	ix.vq.retryMin = time.Millisecond
	t.Cleanup(ix.Close)
	ix.PutMany([]registry.Record{
		mcp("a00000000001", "notes", "Write down notes.", `{}`, ""),
		mcp("b00000000001", "garage", "Vehicle care.", `{}`, ""),
	})
	if keys, complete := ix.vectorKeys(); complete || len(keys) != 0 {
		t.Fatalf("with the model offline: %d keys, complete %v; want none, incomplete", len(keys), complete)
	}
	emb.fail.Store(false)
	if err := ix.FillVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, complete := ix.vectorKeys()
	if !complete || len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("after FillVectors: keys %x, complete %v; want two, complete", keys, complete)
	}
	// An edit changes the key; a removed record's key goes.
	rec := mcp("a00000000001", "notes", "Write down notes, now with tags.", `{}`, "")
	ix.Put(rec)
	ix.Remove(testRegistry, "b00000000001")
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, complete := ix.vectorKeys()
	if !complete || len(after) != 1 || after[0] == keys[0] || after[0] == keys[1] {
		t.Fatalf("after an edit and a removal: keys %x, complete %v", after, complete)
	}
}

// TestSortSlots: both ways of sorting give what a sort does, and leave
// the bitmap clear for the next query.
func TestSortSlots(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	acc := new(accumulator)
	for _, c := range []struct{ n, m int }{{1000, 5}, {1000, 900}, {10_000, 3000}, {70, 70}, {64, 1}, {100_000, 0}} {
		slots := make([]uint32, 0, c.m)
		for _, p := range rng.Perm(c.n)[:c.m] {
			slots = append(slots, uint32(p))
		}
		want := slices.Sorted(slices.Values(slots))
		if got := sortSlots(acc, slots, c.n); !slices.Equal(got, want) {
			t.Fatalf("n %d, %d slots: got %v", c.n, c.m, got)
		}
		for _, w := range acc.bits {
			if w != 0 {
				t.Fatal("bitmap left dirty")
			}
		}
	}
}
