package search_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

// Ranking by steps changes only requests of several sentences: on
// LiveMCPBench's tools, every task of one sentence without a file path
// (which adds a sentence) gets the same hits, scores and all, as with
// the rule off, and some of the others do not. One of them: the
// Wikipedia step of a two-step task finds its search tool only with the
// rule.
func TestStepsOnlyChangeMultiStepRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes LiveMCPBench with the built-in model")
	}
	_, tools, err := searcheval.LoadLiveMCPBench(filepath.Join("..", "testdata", "search-eval"), false)
	if err != nil {
		t.Fatal(err)
	}
	index := func(ab search.Ablation) *search.Index {
		ix := search.NewIndex(search.Options{Embedder: builtinModel(t), Fusion: search.Fusion{Method: search.FusionConvex}, Ablation: ab})
		ix.PutMany(tools.Records)
		return ix
	}
	steps, one := index(search.Ablation{}), index(search.Ablation{NoSteps: true})
	hits := func(ix *search.Index, text string) []search.Hit {
		h, err := ix.Search(context.Background(), search.Query{RegistryID: searcheval.RegistryID, Text: text, MaxResults: 10})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	single, changed := 0, 0
	for _, q := range tools.Queries {
		a, b := hits(steps, q.Text), hits(one, q.Text)
		if strings.ContainsAny(strings.TrimRight(q.Text, ".!? "), ".!?;\n") || strings.Contains(q.Text, "/") {
			if !reflect.DeepEqual(a, b) {
				changed++
			}
			continue
		}
		single++
		if !reflect.DeepEqual(a, b) {
			t.Errorf("one sentence %q: hits differ with steps", q.Text)
		}
	}
	if single < 20 || changed == 0 {
		t.Errorf("%d one-sentence tasks, %d others changed; want at least 20 and some", single, changed)
	}
	const task = "Provide a foundational overview of Convolutional Neural Networks (CNNs), referencing Wikipedia. " +
		"Generate a simple CNN example as a Python script and save it to /root/code/cnn_example.py."
	names := func(hs []search.Hit) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Revision().Name)
		}
		return out
	}
	const want = "Wikipedia-MCP-Server/search_wikipedia"
	if got := names(hits(steps, task)); !slices.Contains(got, want) {
		t.Errorf("with steps: %v, want %s among them", got, want)
	}
	if got := names(hits(one, task)); slices.Contains(got, want) {
		t.Errorf("without steps: %v has %s: the test no longer shows the rule", got, want)
	}
}
