package search

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The evaluation indexes public benchmarks through the same path as the
// server: registry.Record values with an approved MCP revision, put into an
// Index, searched with Index.Search. See testdata/search-eval/README.md for
// the data and docs/search-quality.md for the figures.

var evalDir = filepath.Join("..", "testdata", "search-eval")

func metatoolSets(t testing.TB) (single, multi EvalSet) {
	t.Helper()
	single, multi, err := LoadMetaTool(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	return single, multi
}

func liveMCPSets(t testing.TB, withSchemas bool) (servers, tools EvalSet) {
	t.Helper()
	servers, tools, err := LoadLiveMCPBench(evalDir, withSchemas)
	if err != nil {
		t.Fatal(err)
	}
	return servers, tools
}

func runEval(t testing.TB, s EvalSet, opts Options) EvalResult {
	t.Helper()
	ix := NewIndex(opts)
	ix.PutMany(s.Records)
	res, err := Evaluate(context.Background(), ix, "evalregistry", s.Queries)
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
		set   EvalSet
		floor floor
	}{
		{single, floor{ndcg: 0.57, recall: 0.69}},
		{multi, floor{}},
		{servers, floor{recall: 0.72}},
		{tools, floor{recall: 0.43}},
	} {
		res := runEval(t, c.set, Options{})
		t.Logf("%-20s %s", c.set.Name, res)
		if res.Queries != len(c.set.Queries) {
			t.Errorf("%s: %d queries counted, want %d", c.set.Name, res.Queries, len(c.set.Queries))
		}
		if res.NDCG10 < c.floor.ndcg || res.Recall10 < c.floor.recall {
			t.Errorf("%s: nDCG@10 %.3f, Recall@10 %.3f; floors are %.2f and %.2f",
				c.set.Name, res.NDCG10, res.Recall10, c.floor.ndcg, c.floor.recall)
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
		for _, s := range []EvalSet{single, multi, srv, tl} {
			if v.cut {
				s.Queries = slices.Clone(s.Queries)
				for i := range s.Queries {
					if r := []rune(s.Queries[i].Text); len(r) > 256 {
						s.Queries[i].Text = string(r[:256])
					}
				}
			}
			r := runEval(t, s, v.opts)
			cells = append(cells, fmt.Sprintf("%.3f / %.3f", r.NDCG10, r.Recall10))
		}
		fmt.Printf("| %s | %s |\n", v.name, strings.Join(cells, " | "))
	}
}
