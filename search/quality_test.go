package search_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

// The evaluation indexes public benchmarks through the same path as the
// server: registry.Record values with an approved MCP revision, put into an
// Index, searched with Index.Search (internal/searcheval). See
// testdata/search-eval/README.md for the data and docs/search-quality.md
// for the figures.

var evalDir = filepath.Join("..", "testdata", "search-eval")

func metatoolSets(t testing.TB) (single, multi searcheval.Set) {
	t.Helper()
	single, multi, err := searcheval.LoadMetaTool(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	return single, multi
}

func liveMCPSets(t testing.TB, withSchemas bool) (servers, tools searcheval.Set) {
	t.Helper()
	servers, tools, err := searcheval.LoadLiveMCPBench(evalDir, withSchemas)
	if err != nil {
		t.Fatal(err)
	}
	return servers, tools
}

func runEval(t testing.TB, s searcheval.Set, opts search.Options) searcheval.Result {
	t.Helper()
	ix := search.NewIndex(opts)
	ix.PutMany(s.Records)
	res, err := searcheval.Evaluate(context.Background(), ix, searcheval.RegistryID, s.Queries)
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
		set   searcheval.Set
		floor floor
	}{
		{single, floor{ndcg: 0.57, recall: 0.69}},
		{multi, floor{}},
		{servers, floor{recall: 0.76}},
		{tools, floor{recall: 0.46}},
	} {
		res := runEval(t, c.set, search.Options{})
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
	flat := map[search.Field]search.FieldParams{}
	for f := range search.NumFields {
		flat[f] = search.FieldParams{Weight: 1, B: 0.75}
	}
	ablate := func(a search.Ablation) search.Options { return search.Options{Ablation: a} }
	variants := []struct {
		name string
		opts search.Options
		noIS bool // LiveMCPBench without inputSchema
		cut  bool // queries cut to 256 characters
	}{
		{name: "**all features (default)**"},
		{name: "one bag of words (no fields), k1=1.2, b=0.75", opts: search.Options{K1: 1.2, Ablation: search.Ablation{SingleField: true},
			Fields: map[search.Field]search.FieldParams{search.FieldDescription: {Weight: 1, B: 0.75}}}},
		{name: "fields, all weights 1, b=0.75, k1=1.2", opts: search.Options{K1: 1.2, Fields: flat}},
		{name: "tuned field weights and b, k1=1.2", opts: search.Options{K1: 1.2}},
		{name: "no stemming", opts: ablate(search.Ablation{NoStemming: true})},
		{name: "no stop words", opts: ablate(search.Ablation{NoStopWords: true})},
		{name: "stop words dropped from names and titles too", opts: ablate(search.Ablation{StopWordsInNames: true})},
		{name: "no camelCase splitting", opts: ablate(search.Ablation{NoIdentifierSplitting: true})},
		{name: "no joined form of split words", opts: ablate(search.Ablation{NoCompounds: true})},
		{name: "no synonyms", opts: ablate(search.Ablation{NoSynonyms: true})},
		{name: "repeated query words count again", opts: ablate(search.Ablation{CountRepeats: true})},
		{name: "average field length over all records", opts: ablate(search.Ablation{FlatAverageLength: true})},
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
		for _, s := range []searcheval.Set{single, multi, srv, tl} {
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
