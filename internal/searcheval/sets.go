package searcheval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/agentry/agentry/registry"
)

// The public benchmarks of testdata/search-eval, as records to index
// through the same path as the server (approved MCP revisions, Put into an
// Index) and labelled queries. dir is the search-eval folder.

// RegistryID is the registry the evaluation records belong to.
const RegistryID = "evalregistry"

// Set is one benchmark: records to index and labelled queries.
type Set struct {
	Name    string
	Records []registry.Record
	Queries []Query
}

// LoadMetaTool returns MetaTool's single-tool and multi-tool query sets
// over its 199 tools, each tool an MCP record whose server.json has its
// name and description.
func LoadMetaTool(dir string) (single, multi Set, err error) {
	type tool struct{ ID, Name, Description string }
	type query struct {
		ID, Query, Split string
		Relevant         []string
	}
	tools, err := readJSONL[tool](filepath.Join(dir, "metatool", "metatool_corpus.jsonl"))
	if err != nil {
		return single, multi, err
	}
	queries, err := readJSONL[query](filepath.Join(dir, "metatool", "metatool_queries.jsonl"))
	if err != nil {
		return single, multi, err
	}
	ids := map[string]string{}
	var recs []registry.Record
	for i, tl := range tools {
		id := recordID("mt", i)
		ids[tl.ID] = id
		name := recordName(tl.Name)
		recs = append(recs, Record(id, name, tl.Description,
			map[string]any{"name": name, "description": tl.Description, "version": "1.0.0"}, nil))
	}
	single = Set{Name: "MetaTool single", Records: recs}
	multi = Set{Name: "MetaTool multi", Records: recs}
	for _, q := range queries {
		eq := Query{ID: q.ID, Text: q.Query}
		for _, r := range q.Relevant {
			eq.Relevant = append(eq.Relevant, ids[r])
		}
		if q.Split == "single" {
			single.Queries = append(single.Queries, eq)
		} else {
			multi.Queries = append(multi.Queries, eq)
		}
	}
	return single, multi, nil
}

// LoadLiveMCPBench returns LiveMCPBench at two levels. Server level: each
// of the 70 servers is one MCP record (server.json with its name as title,
// and its tools/list, with the tools' input schemas when withSchemas); a
// task's relevant records are the servers it needs. Tool level: each of
// the 527 tools is published as its own record, as a registry of single
// tools would hold them (record description = the tool's description;
// server.json = its server's name and description; tools/list = that one
// tool); a task's relevant records are the tools it needs. Hits are never
// mapped back or merged: what Search returns is what is scored.
func LoadLiveMCPBench(dir string, withSchemas bool) (servers, tools Set, err error) {
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
	dir = filepath.Join(dir, "livemcpbench")
	schemas := map[string]map[string]any{}
	if withSchemas {
		list, err := readJSONL[schema](filepath.Join(dir, "livemcp_schemas.jsonl"))
		if err != nil {
			return servers, tools, err
		}
		for _, s := range list {
			schemas[s.ID] = s.InputSchema
		}
	}
	serverList, err := readJSONL[server](filepath.Join(dir, "livemcp_servers.jsonl"))
	if err != nil {
		return servers, tools, err
	}
	queries, err := readJSONL[query](filepath.Join(dir, "livemcp_queries.jsonl"))
	if err != nil {
		return servers, tools, err
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
	servers.Name, tools.Name = "LiveMCPBench server", "LiveMCPBench tool"
	for i, s := range serverList {
		name := recordName(s.Name)
		id := recordID("ls", i)
		serverIDs[s.ID] = id
		list := make([]map[string]any, 0, len(s.Tools))
		for j, tl := range s.Tools {
			list = append(list, toolJSON(s.ID, tl))
			toolName := name + "/" + recordName(tl.Name)
			tid := recordID("lt", i*1000+j)
			toolIDs[s.ID+"::"+tl.Name] = tid
			tools.Records = append(tools.Records, Record(tid, toolName, tl.Description,
				map[string]any{"name": toolName, "title": s.Name, "description": s.Description, "version": "1.0.0"},
				[]map[string]any{toolJSON(s.ID, tl)}))
		}
		servers.Records = append(servers.Records, Record(id, name, s.Description,
			map[string]any{"name": name, "title": s.Name, "description": s.Description, "version": "1.0.0"}, list))
	}
	for _, q := range queries {
		sq, tq := Query{ID: q.ID, Text: q.Query}, Query{ID: q.ID, Text: q.Query}
		for _, r := range q.RelevantServers {
			sq.Relevant = append(sq.Relevant, serverIDs[r])
		}
		for _, r := range q.RelevantTools {
			tq.Relevant = append(tq.Relevant, toolIDs[r])
		}
		servers.Queries = append(servers.Queries, sq)
		tools.Queries = append(tools.Queries, tq)
	}
	return servers, tools, nil
}

// LoadParaphrase returns the MCP Registry seed (471 servers, each an MCP
// record named by its seed name) with the paraphrase queries of
// paraphrase/seed_paraphrase.jsonl, whose relevant records are seed names.
func LoadParaphrase(dir string) (Set, error) {
	return loadSeedSet(dir, "paraphrase (MCP Registry seed)", filepath.Join("paraphrase", "seed_paraphrase.jsonl"))
}

// LoadNoAnswer returns the MCP Registry seed with the requests of
// no-answer/seed_no_answer.jsonl, which no server of the seed answers:
// what counts is how few results they get (Result.Returned).
func LoadNoAnswer(dir string) (Set, error) {
	return loadSeedSet(dir, "no answer (MCP Registry seed)", filepath.Join("no-answer", "seed_no_answer.jsonl"))
}

// loadSeedSet returns the MCP Registry seed's servers as records named by
// their seed names, with the queries of file (relevant: seed names).
func loadSeedSet(dir, name, file string) (Set, error) {
	set := Set{Name: name}
	b, err := os.ReadFile(filepath.Join(dir, "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		return set, err
	}
	var seed []struct{ Name, Description string }
	if err := json.Unmarshal(b, &seed); err != nil {
		return set, err
	}
	names := map[string]string{}
	for i, s := range seed {
		name := recordName(s.Name)
		names[s.Name] = name
		server := map[string]any{"name": s.Name, "description": s.Description, "version": "1.0.0"}
		set.Records = append(set.Records, Record(recordID("seed", i), name, s.Description, server, nil))
	}
	if set.Queries, err = readJSONL[Query](filepath.Join(dir, file)); err != nil {
		return set, err
	}
	if err := relabel(set.Queries, names, file); err != nil {
		return set, err
	}
	return set, nil
}

// relabel replaces the server names of queries' relevant lists by record
// names; a name that is not in names is an error.
func relabel(queries []Query, names map[string]string, file string) error {
	for i := range queries {
		q := &queries[i]
		for j, r := range q.Relevant {
			name, ok := names[r]
			if !ok {
				return fmt.Errorf("%s: query %s: %q is not in the registry", file, q.ID, r)
			}
			q.Relevant[j] = name
		}
	}
	return nil
}

// LoadUserReported returns the small registry of user-reported/servers.jsonl
// (about 50 MCP servers, each a record with a server.json of its name,
// title and description) with the queries of user-reported/queries.jsonl,
// which users reported as badly ranked (relevant: server names).
func LoadUserReported(dir string) (Set, error) {
	set := Set{Name: "user-reported"}
	type server struct{ Name, Title, Description string }
	list, err := readJSONL[server](filepath.Join(dir, "user-reported", "servers.jsonl"))
	if err != nil {
		return set, err
	}
	names := map[string]string{}
	for i, s := range list {
		name := recordName(s.Name)
		names[s.Name] = name
		srv := map[string]any{"name": s.Name, "description": s.Description, "version": "1.0.0"}
		if s.Title != "" {
			srv["title"] = s.Title
		}
		set.Records = append(set.Records, Record(recordID("ur", i), name, s.Description, srv, nil))
	}
	if set.Queries, err = readJSONL[Query](filepath.Join(dir, "user-reported", "queries.jsonl")); err != nil {
		return set, err
	}
	return set, relabel(set.Queries, names, "user-reported/queries.jsonl")
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Record builds an approved MCP record of RegistryID with a
// server.json and, when tools is not nil, a tools/list descriptor.
func Record(id, name, description string, server map[string]any, tools []map[string]any) registry.Record {
	serverJSON, _ := json.Marshal(server)
	mcp := &registry.MCPDescriptor{Server: &registry.ServerDefinition{SchemaVersion: "2025-12-11", InlineContent: string(serverJSON)}}
	if tools != nil {
		toolsJSON, _ := json.Marshal(map[string]any{"tools": tools})
		mcp.Tools = &registry.ToolsDefinition{ProtocolVersion: "2025-06-18", InlineContent: string(toolsJSON)}
	}
	rev := registry.Revision{
		Name: name, Description: description, DescriptorType: registry.DescriptorMCP,
		Descriptors: registry.Descriptors{MCP: mcp}, Version: "1.0.0",
		Status: registry.StatusApproved, UpdatedAt: epoch,
	}
	return registry.Record{RegistryID: RegistryID, ID: id, CreatedAt: epoch, Latest: rev, Approved: &rev}
}

func recordID(prefix string, i int) string { return fmt.Sprintf("%s%010d", prefix, i) }

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

// readJSONL reads a JSON Lines file.
func readJSONL[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// SeedCorpus makes n synthetic records and 500 queries for benchmarks and
// recall tests: each record takes the description of one of the MCP
// Registry seed's 471 servers and a dozen words drawn from all
// descriptions, so that records come in groups of near duplicates (a hard
// case for a graph index); every third has version 2.0.0, for filters.
// Queries are 3 to 7 words of the same vocabulary; words draws more. The
// result depends on n only. dir is the search-eval folder.
func SeedCorpus(dir string, n int) (recs []registry.Record, queries []string, words func(k int) string, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		return nil, nil, nil, err
	}
	var seed []struct{ Name, Description string }
	if err := json.Unmarshal(raw, &seed); err != nil {
		return nil, nil, nil, err
	}
	var vocab []string
	for _, s := range seed {
		vocab = append(vocab, strings.Fields(s.Description)...)
	}
	r := rand.New(rand.NewPCG(7, 8))
	words = func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	recs = make([]registry.Record, n)
	for i := range recs {
		desc := seed[i%len(seed)].Description + " " + words(12)
		server := map[string]any{"name": fmt.Sprintf("io.bench/s%d", i), "description": desc, "version": "1.0.0"}
		recs[i] = Record(fmt.Sprintf("b%010d", i), fmt.Sprintf("server-%d", i), desc, server, nil)
		if i%3 == 0 {
			recs[i].Approved.Version = "2.0.0"
		}
	}
	queries = make([]string, 500)
	for i := range queries {
		queries[i] = words(3 + r.IntN(5))
	}
	return recs, queries, words, nil
}
