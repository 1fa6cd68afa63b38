package search

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// The benchmarks search synthetic registries made from the vocabulary of
// the official MCP Registry seed (testdata/search-eval/mcp-registry-seed):
// each record is an MCP server with a server.json (name, title,
// description, package) and a tools/list of 2 to 6 tools with parameters,
// its words drawn with the frequencies of the seed's descriptions. Queries
// are 2 to 6 words drawn the same way, or taken from a record's name and
// tools. Run:
//
//	go test ./search/ -run '^$' -bench . -benchtime 2000x

// corpusGen draws records and queries from the seed's vocabulary.
type corpusGen struct {
	words   []string // description words, repeated by frequency
	owners  []string
	verbs   []string
	rnd     *rand.Rand
	records []registry.Record
}

func newCorpusGen(tb testing.TB) *corpusGen {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "search-eval", "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var seed []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(raw, &seed); err != nil {
		tb.Fatal(err)
	}
	g := &corpusGen{
		rnd:   rand.New(rand.NewPCG(1, 2)),
		verbs: []string{"get", "list", "create", "update", "delete", "search", "find", "run", "fetch", "query", "send", "read", "write"},
	}
	for _, s := range seed {
		for _, w := range strings.FieldsFunc(s.Description, func(r rune) bool { return r == ' ' || r == ',' || r == '.' || r == '(' || r == ')' }) {
			if len(w) > 1 {
				g.words = append(g.words, strings.ToLower(w))
			}
		}
		if owner, _, ok := strings.Cut(strings.TrimPrefix(s.Name, "io.github."), "/"); ok {
			g.owners = append(g.owners, owner)
		}
	}
	return g
}

func (g *corpusGen) word() string { return g.words[g.rnd.IntN(len(g.words))] }

func (g *corpusGen) text(lo, hi int) string {
	n := lo + g.rnd.IntN(hi-lo+1)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = g.word()
	}
	return strings.Join(ws, " ")
}

// nonNameChars are what a record name cannot hold.
var nonNameChars = regexp.MustCompile(`[^a-zA-Z0-9_\-./]+`)

func (g *corpusGen) ident(sep string, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = strings.Trim(nonNameChars.ReplaceAllString(g.word(), ""), "-_./")
	}
	return strings.Join(ws, sep)
}

// record returns the i-th synthetic record, about 1.2 KB of descriptors.
func (g *corpusGen) record(i int) registry.Record {
	owner := g.owners[g.rnd.IntN(len(g.owners))]
	short := g.ident("-", 2)
	name := fmt.Sprintf("io.github.%s/%s-%d", owner, short, i)
	desc := g.text(8, 25)
	var tools []map[string]any
	for range 2 + g.rnd.IntN(5) {
		props := map[string]any{}
		for range 1 + g.rnd.IntN(3) {
			props[g.ident("_", 1+g.rnd.IntN(2))] = map[string]any{"type": "string", "description": g.text(3, 8)}
		}
		tools = append(tools, map[string]any{
			"name":        g.verbs[g.rnd.IntN(len(g.verbs))] + "_" + g.ident("_", 1+g.rnd.IntN(2)),
			"description": g.text(6, 18),
			"inputSchema": map[string]any{"type": "object", "properties": props},
		})
	}
	server := map[string]any{
		"name": name, "title": strings.ReplaceAll(short, "-", " "), "description": desc, "version": "1.0.0",
		"packages": []any{map[string]any{"registryType": "npm", "identifier": "@" + owner + "/" + short, "version": "1.0.0"}},
	}
	id := fmt.Sprintf("r%011d", i)
	serverJSON, _ := json.Marshal(server)
	toolsJSON, _ := json.Marshal(map[string]any{"tools": tools})
	rec := mcp(id, strings.ReplaceAll(name, "io.github.", ""), desc, string(serverJSON), string(toolsJSON))
	rec.RegistryID = "bench"
	return rec
}

func (g *corpusGen) query() string {
	if g.rnd.IntN(10) < 3 && len(g.records) > 0 {
		// Words of an existing record's name or tools, as people type them.
		r := g.records[g.rnd.IntN(len(g.records))]
		toks := strings.FieldsFunc(r.Approved.Name+" "+r.Approved.Description, func(r rune) bool { return r == '/' || r == '-' || r == ' ' })
		n := min(len(toks), 2+g.rnd.IntN(3))
		return strings.Join(toks[:n], " ")
	}
	return g.text(2, 6)
}

type benchCorpus struct {
	ix        *Index
	queries   []string
	build     time.Duration
	heapMB    float64 // live heap of the records and their index
	contentMB float64 // of which the records' own text
}

var (
	corporaMu sync.Mutex
	corpora   = map[int]*benchCorpus{}
)

// corpus builds (once per size) an index of n synthetic records.
func corpus(b *testing.B, n int) *benchCorpus {
	corporaMu.Lock()
	defer corporaMu.Unlock()
	if c := corpora[n]; c != nil {
		return c
	}
	g := newCorpusGen(b)
	queries := make([]string, 1000)
	before := heapLive()
	recs := make([]registry.Record, n)
	var content int
	for i := range recs {
		recs[i] = g.record(i)
		rev := recs[i].Approved
		content += len(rev.Name) + len(rev.Description) + len(rev.Descriptors.MCP.Server.InlineContent) + len(rev.Descriptors.MCP.Tools.InlineContent)
	}
	g.records = recs
	for i := range queries {
		queries[i] = g.query()
	}
	start := time.Now()
	ix := NewIndex(Options{})
	ix.PutMany(recs)
	build := time.Since(start)
	recs, g.records = nil, nil // the index holds its own copies
	c := &benchCorpus{ix: ix, queries: queries, build: build,
		heapMB: (heapLive() - before) / (1 << 20), contentMB: float64(content) / (1 << 20)}
	corpora[n] = c
	return c
}

// heapLive returns the bytes of live heap objects after a collection.
// residentMB is the resident set of the whole benchmark process (the index,
// its records, and the test's own data), after returning free memory to
// the system.
func residentMB() float64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func heapLive() float64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64())
}

func benchmarkSearch(b *testing.B, n int) {
	c := corpus(b, n)
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, err := c.ix.Search(ctx, Query{RegistryID: "bench", Text: c.queries[i%len(c.queries)], MaxResults: 10})
		durations = append(durations, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(c.build.Seconds(), "build-s")
	b.ReportMetric(c.heapMB, "heap-MB")
	b.ReportMetric(residentMB(), "rss-MB")
	b.ReportMetric(c.contentMB, "content-MB")
}

func BenchmarkSearch10k(b *testing.B)  { benchmarkSearch(b, 10_000) }
func BenchmarkSearch100k(b *testing.B) { benchmarkSearch(b, 100_000) }

// BenchmarkSearchParallel10k measures throughput with all cores searching.
func BenchmarkSearchParallel10k(b *testing.B) {
	c := corpus(b, 10_000)
	ctx := context.Background()
	b.ResetTimer()
	var next int64
	var mu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			if _, err := c.ix.Search(ctx, Query{RegistryID: "bench", Text: c.queries[i%int64(len(c.queries))], MaxResults: 10}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPut measures one record update in a 10k registry.
func BenchmarkPut10k(b *testing.B) {
	c := corpus(b, 10_000)
	g := newCorpusGen(b)
	recs := make([]registry.Record, 1000)
	for i := range recs {
		recs[i] = g.record(i) // replaces records r0..r999
		recs[i].Approved.Description += " updated"
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.ix.Put(recs[i%len(recs)])
	}
}
