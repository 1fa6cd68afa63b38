package semantic

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

// The quality measurement indexes the public benchmarks of
// testdata/search-eval exactly as search/quality_test.go does (records
// with an approved MCP revision, Index.PutMany, Index.Search through
// searcheval.Evaluate), with the model as the semantic leg.

var (
	quality      = flag.Bool("quality", false, "print the hybrid quality table (TestQualityTable)")
	qualityModel = flag.String("quality-model", "", "measure this model file instead of the built-in one")
)

var evalDir = filepath.Join("..", "testdata", "search-eval")

// evalSet is a benchmark with the way the tests run it.
type evalSet struct{ searcheval.Set }

func metatoolSingle(t testing.TB) evalSet {
	single, _ := metatoolSets(t)
	return single
}

func metatoolSets(t testing.TB) (single, multi evalSet) {
	t.Helper()
	s, m, err := searcheval.LoadMetaTool(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	return evalSet{s}, evalSet{m}
}

func liveMCPSets(t testing.TB) (servers, tools evalSet) {
	t.Helper()
	s, tl, err := searcheval.LoadLiveMCPBench(evalDir, true)
	if err != nil {
		t.Fatal(err)
	}
	return evalSet{s}, evalSet{tl}
}

func noAnswerSet(t testing.TB) evalSet {
	t.Helper()
	s, err := searcheval.LoadNoAnswer(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	return evalSet{s}
}

func userReportedSet(t testing.TB) evalSet {
	t.Helper()
	s, err := searcheval.LoadUserReported(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	return evalSet{s}
}

func (s evalSet) run(t testing.TB, opts search.Options) searcheval.Result {
	t.Helper()
	var mu sync.Mutex
	var failure error
	opts.OnError = func(err error) { mu.Lock(); failure = err; mu.Unlock() }
	ix := search.NewIndex(opts)
	ix.PutMany(s.Records)
	res, err := searcheval.Evaluate(context.Background(), ix, searcheval.RegistryID, s.Queries)
	if err != nil {
		t.Fatal(err)
	}
	if failure != nil {
		t.Fatalf("%s: %v", s.Name, failure)
	}
	return res
}

func qualityModelUnderTest(t testing.TB) *Model {
	t.Helper()
	if *qualityModel == "" {
		m, err := Default()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	f, err := os.Open(*qualityModel)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestQualityFloors is the regression gate of the built-in model in the
// hybrid default (convex fusion, 0.45 lexical, the relevance cut-off).
// The floors are what was reached (docs/search-quality.md), rounded down;
// issue 16's targets for MetaTool (.66 / .80), LiveMCPBench tools (.55),
// paraphrases (nDCG@10 .50) and the no-answer set (at most 2 results) are
// not reached yet; LiveMCPBench servers' Recall@10 (.82) is.
func TestQualityFloors(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation skipped in -short mode")
	}
	m := qualityModelUnderTest(t)
	single := metatoolSingle(t)
	servers, tools := liveMCPSets(t)
	opts := search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex}}
	// Requests no server of the seed answers get few results.
	res := noAnswerSet(t).run(t, opts)
	t.Logf("%-20s queries=%d results=%.2f", "no-answer", res.Queries, res.Returned)
	if res.Returned > 5 {
		t.Errorf("no-answer set: %.2f results on average, want at most 5", res.Returned)
	}
	for _, c := range []struct {
		set            evalSet
		ndcg, recall10 float64
	}{
		{single, 0.63, 0.78},
		{servers, 0.70, 0.82},
		{tools, 0.40, 0.49},
		{paraphraseSet(t), 0.42, 0.60},
		{userReportedSet(t), 0.90, 0.94},
	} {
		res := c.set.run(t, opts)
		t.Logf("%-20s queries=%d nDCG@10=%.4f Recall@10=%.4f MRR@10=%.4f", c.set.Name, res.Queries, res.NDCG10, res.Recall10, res.MRR10)
		if res.Queries != len(c.set.Queries) {
			t.Errorf("%s: %d queries counted, want %d", c.set.Name, res.Queries, len(c.set.Queries))
		}
		if res.NDCG10 < c.ndcg || res.Recall10 < c.recall10 {
			t.Errorf("%s: nDCG@10 %.3f, Recall@10 %.3f; floors are %.2f and %.2f",
				c.set.Name, res.NDCG10, res.Recall10, c.ndcg, c.recall10)
		}
	}
}

// TestQualityTable prints the figures of docs/model.md and
// docs/search-quality.md (nDCG@10 / Recall@10 / MRR@10):
//
//	go test ./semantic/ -run TestQualityTable -quality -v
func TestQualityTable(t *testing.T) {
	if !*quality {
		t.Skip("run with -quality")
	}
	m := qualityModelUnderTest(t)
	single, multi := metatoolSets(t)
	servers, tools := liveMCPSets(t)
	sets := []evalSet{single, multi, servers, tools, paraphraseSet(t), userReportedSet(t)}
	noAnswer := noAnswerSet(t)
	fmt.Printf("model %s\n\n", m.Fingerprint())
	fmt.Println("| method | MetaTool single | MetaTool multi | LiveMCPBench server | LiveMCPBench tool | paraphrase | user-reported | no answer: results |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, v := range []struct {
		name string
		opts search.Options
	}{
		{"lexical only (BM25F)", search.Options{}},
		{"RRF, k=60, equal weights", search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionRRF}}},
		{"**convex, 0.45 lexical, cut-off (default)**", search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex}}},
		{"convex, 0.45 lexical, no cut-off", search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex, MinSimilarity: -1}}},
		{"semantic only (lexical weight 1e-6)", search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex, LexicalWeight: 1e-6}}},
	} {
		var cells []string
		for _, s := range sets {
			r := s.run(t, v.opts)
			cells = append(cells, fmt.Sprintf("%.3f / %.3f / %.3f", r.NDCG10, r.Recall10, r.MRR10))
		}
		cells = append(cells, fmt.Sprintf("%.2f", noAnswer.run(t, v.opts).Returned))
		fmt.Printf("| %s | %s |\n", v.name, strings.Join(cells, " | "))
	}
}
