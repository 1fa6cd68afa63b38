package search

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// The evaluation indexes public benchmarks through the same path as the
// server: registry.Record values with an approved MCP revision, put into an
// Index, searched with Index.Search. See testdata/search-eval/README.md for
// the data and docs/search-quality.md for the figures.

var evalDir = filepath.Join("..", "testdata", "search-eval")

// evalSet is one benchmark: records to index and labelled queries.
type evalSet struct {
	name    string
	records []registry.Record
	queries []EvalQuery
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var invalidNameChars = regexp.MustCompile(`[^a-zA-Z0-9_\-./]+`)

// recordName makes a valid record name from a display name, as a
// publisher would: "MCP Server Chart" -> "MCP-Server-Chart".
func recordName(s string) string {
	s = strings.Trim(invalidNameChars.ReplaceAllString(s, "-"), "-_./")
	if s == "" {
		s = "unnamed"
	}
	return s
}

var evalEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// mcpRecord builds an approved MCP record with a server.json and, when
// tools is not nil, a tools/list descriptor.
func mcpRecord(id, name, description string, server map[string]any, tools []map[string]any) registry.Record {
	serverJSON, _ := json.Marshal(server)
	mcp := &registry.MCPDescriptor{Server: &registry.ServerDefinition{SchemaVersion: "2025-12-11", InlineContent: string(serverJSON)}}
	if tools != nil {
		toolsJSON, _ := json.Marshal(map[string]any{"tools": tools})
		mcp.Tools = &registry.ToolsDefinition{ProtocolVersion: "2025-06-18", InlineContent: string(toolsJSON)}
	}
	rev := registry.Revision{
		Name: name, Description: description, DescriptorType: registry.DescriptorMCP,
		Descriptors: registry.Descriptors{MCP: mcp}, Version: "1.0.0",
		Status: registry.StatusApproved, UpdatedAt: evalEpoch,
	}
	return registry.Record{RegistryID: "evalregistry", ID: id, CreatedAt: evalEpoch, Latest: rev, Approved: &rev}
}

func recordID(prefix string, i int) string { return fmt.Sprintf("%s%010d", prefix, i) }

// metatoolSets returns MetaTool's single-tool and multi-tool query sets
// over its 199 tools, each tool an MCP record whose server.json has its
// name and description.
func metatoolSets(t testing.TB) (single, multi evalSet) {
	type tool struct{ ID, Name, Description string }
	type query struct {
		ID, Query, Split string
		Relevant         []string
	}
	tools := readJSONL[tool](t, filepath.Join(evalDir, "metatool", "metatool_corpus.jsonl"))
	ids := map[string]string{}
	var recs []registry.Record
	for i, tl := range tools {
		id := recordID("mt", i)
		ids[tl.ID] = id
		name := recordName(tl.Name)
		recs = append(recs, mcpRecord(id, name, tl.Description,
			map[string]any{"name": name, "description": tl.Description, "version": "1.0.0"}, nil))
	}
	single = evalSet{name: "MetaTool single", records: recs}
	multi = evalSet{name: "MetaTool multi", records: recs}
	for _, q := range readJSONL[query](t, filepath.Join(evalDir, "metatool", "metatool_queries.jsonl")) {
		eq := EvalQuery{ID: q.ID, Text: q.Query}
		for _, r := range q.Relevant {
			eq.Relevant = append(eq.Relevant, ids[r])
		}
		if q.Split == "single" {
			single.queries = append(single.queries, eq)
		} else {
			multi.queries = append(multi.queries, eq)
		}
	}
	return single, multi
}

// liveMCPSets returns LiveMCPBench at two levels. Server level: each of the
// 70 servers is one MCP record (server.json with its name as title, and
// its tools/list with the tools' input schemas); a task's relevant records
// are the servers it needs. Tool level: each of the 527 tools is published
// as its own record, as a registry of single tools would hold them (record
// description = the tool's description; server.json = its server's name
// and description; tools/list = that one tool); a task's relevant records
// are the tools it needs. Hits are never mapped back or merged: what
// Search returns is what is scored.
func liveMCPSets(t testing.TB, withSchemas bool) (servers, tools evalSet) {
	type toolDoc struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	type server struct {
		ID, Name, Description string
		Tools                 []toolDoc
	}
	type schema struct {
		ID          string         `json:"id"`
		InputSchema map[string]any `json:"inputSchema"`
	}
	type query struct {
		ID, Query       string
		RelevantTools   []string `json:"relevant_tools"`
		RelevantServers []string `json:"relevant_servers"`
	}
	dir := filepath.Join(evalDir, "livemcpbench")
	schemas := map[string]map[string]any{}
	if withSchemas {
		for _, s := range readJSONL[schema](t, filepath.Join(dir, "livemcp_schemas.jsonl")) {
			schemas[s.ID] = s.InputSchema
		}
	}
	toolJSON := func(serverID string, tl toolDoc) map[string]any {
		m := map[string]any{"name": tl.Name, "description": tl.Description}
		if s := schemas[serverID+"::"+tl.Name]; s != nil {
			m["inputSchema"] = s
		} else {
			m["inputSchema"] = map[string]any{"type": "object"}
		}
		return m
	}
	serverIDs, toolIDs := map[string]string{}, map[string]string{}
	servers.name, tools.name = "LiveMCPBench server", "LiveMCPBench tool"
	for i, s := range readJSONL[server](t, filepath.Join(dir, "livemcp_servers.jsonl")) {
		name := recordName(s.Name)
		id := recordID("ls", i)
		serverIDs[s.ID] = id
		list := make([]map[string]any, 0, len(s.Tools))
		for j, tl := range s.Tools {
			list = append(list, toolJSON(s.ID, tl))
			toolName := name + "/" + recordName(tl.Name)
			tid := recordID("lt", i*1000+j)
			toolIDs[s.ID+"::"+tl.Name] = tid
			tools.records = append(tools.records, mcpRecord(tid, toolName, tl.Description,
				map[string]any{"name": toolName, "title": s.Name, "description": s.Description, "version": "1.0.0"},
				[]map[string]any{toolJSON(s.ID, tl)}))
		}
		servers.records = append(servers.records, mcpRecord(id, name, s.Description,
			map[string]any{"name": name, "title": s.Name, "description": s.Description, "version": "1.0.0"}, list))
	}
	for _, q := range readJSONL[query](t, filepath.Join(dir, "livemcp_queries.jsonl")) {
		sq, tq := EvalQuery{ID: q.ID, Text: q.Query}, EvalQuery{ID: q.ID, Text: q.Query}
		for _, r := range q.RelevantServers {
			sq.Relevant = append(sq.Relevant, serverIDs[r])
		}
		for _, r := range q.RelevantTools {
			tq.Relevant = append(tq.Relevant, toolIDs[r])
		}
		servers.queries = append(servers.queries, sq)
		tools.queries = append(tools.queries, tq)
	}
	return servers, tools
}

func (s evalSet) run(t testing.TB, opts Options) EvalResult {
	t.Helper()
	ix := NewIndex(opts)
	ix.PutMany(s.records)
	res, err := Evaluate(context.Background(), ix, "evalregistry", s.queries)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEvalFloors is the quality regression gate: lexical leg only, no
// model. The floors sit a little under the measured figures (docs/search-quality.md).
func TestEvalFloors(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation skipped in -short mode")
	}
	single, multi := metatoolSets(t)
	servers, tools := liveMCPSets(t, true)
	type floor struct{ ndcg, recall float64 }
	for _, c := range []struct {
		set   evalSet
		floor floor
	}{
		{single, floor{ndcg: 0.57, recall: 0.69}},
		{multi, floor{}},
		{servers, floor{recall: 0.72}},
		{tools, floor{recall: 0.43}},
	} {
		res := c.set.run(t, Options{})
		t.Logf("%-20s %s", c.set.name, res)
		if res.Queries != len(c.set.queries) {
			t.Errorf("%s: %d queries counted, want %d", c.set.name, res.Queries, len(c.set.queries))
		}
		if res.NDCG10 < c.floor.ndcg || res.Recall10 < c.floor.recall {
			t.Errorf("%s: nDCG@10 %.3f, Recall@10 %.3f; floors are %.2f and %.2f",
				c.set.name, res.NDCG10, res.Recall10, c.floor.ndcg, c.floor.recall)
		}
	}
}

var ablation = flag.Bool("ablation", false, "print the feature ablation table (TestAblation)")

// TestAblation prints what each feature contributes, as a Markdown table
// for docs/search-quality.md:
//
//	go test ./search/ -run TestAblation -ablation -v
func TestAblation(t *testing.T) {
	if !*ablation {
		t.Skip("run with -ablation")
	}
	single, multi := metatoolSets(t)
	servers, tools := liveMCPSets(t, true)
	serversNoSchema, toolsNoSchema := liveMCPSets(t, false)
	an := func(f func(*analyzer)) *analyzer {
		a := defaultAnalyzer
		f(&a)
		return &a
	}
	flat := map[Field]FieldParams{}
	for f := range NumFields {
		flat[f] = FieldParams{Weight: 1, B: 0.75}
	}
	variants := []struct {
		name string
		opts Options
		noIS bool // LiveMCPBench without inputSchema
		cut  bool // queries cut to 256 characters
	}{
		{name: "**all features (default)**"},
		{name: "one bag of words (no fields), k1=1.2, b=0.75", opts: Options{K1: 1.2, experiment: experiment{singleField: true}, Fields: map[Field]FieldParams{FieldDescription: {Weight: 1, B: 0.75}}}},
		{name: "fields, all weights 1, b=0.75, k1=1.2", opts: Options{K1: 1.2, Fields: flat}},
		{name: "tuned field weights and b, k1=1.2", opts: Options{K1: 1.2}},
		{name: "no stemming", opts: Options{experiment: experiment{analyzer: an(func(a *analyzer) { a.stem = false })}}},
		{name: "no stop words", opts: Options{experiment: experiment{analyzer: an(func(a *analyzer) { a.stopWords = false })}}},
		{name: "stop words dropped from names and titles too", opts: Options{experiment: experiment{stopNames: true}}},
		{name: "no camelCase splitting", opts: Options{experiment: experiment{analyzer: an(func(a *analyzer) { a.splitIdentifiers = false })}}},
		{name: "no joined form of split words", opts: Options{experiment: experiment{analyzer: an(func(a *analyzer) { a.compounds = false })}}},
		{name: "no synonyms", opts: Options{experiment: experiment{noSynonyms: true}}},
		{name: "repeated query words count again", opts: Options{experiment: experiment{countRepeats: true}}},
		{name: "average field length over all records", opts: Options{experiment: experiment{flatAvg: true}}},
		{name: "no tool inputSchema in the records", noIS: true},
		{name: "queries cut to the API's 256 characters", cut: true},
	}
	fmt.Println("| variant | MetaTool single nDCG / R@10 | MetaTool multi nDCG / R@10 | LiveMCP server nDCG / R@10 | LiveMCP tool nDCG / R@10 |")
	fmt.Println("|---|---|---|---|---|")
	for _, v := range variants {
		srv, tl := servers, tools
		if v.noIS {
			srv, tl = serversNoSchema, toolsNoSchema
		}
		var cells []string
		for _, s := range []evalSet{single, multi, srv, tl} {
			if v.cut {
				s.queries = slices.Clone(s.queries)
				for i := range s.queries {
					if r := []rune(s.queries[i].Text); len(r) > 256 {
						s.queries[i].Text = string(r[:256])
					}
				}
			}
			r := s.run(t, v.opts)
			cells = append(cells, fmt.Sprintf("%.3f / %.3f", r.NDCG10, r.Recall10))
		}
		fmt.Printf("| %s | %s |\n", v.name, strings.Join(cells, " | "))
	}
}
