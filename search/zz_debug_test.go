package search_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

func TestZZDebug(t *testing.T) {
	if !*calibrate {
		t.Skip()
	}
	m := builtinModel(t)
	para, _ := searcheval.LoadParaphrase(evalDir)
	none, _ := searcheval.LoadNoAnswer(evalDir)
	single, _, _ := searcheval.LoadMetaTool(evalDir)
	single.Queries = single.Queries[:30]
	for _, s := range []searcheval.Set{para, none, single} {
		ix := search.NewIndex(search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex, MinSimilarity: -1, MinSoftCoverage: -1, SoftWeight: 1e-6}})
		ix.PutMany(s.Records)
		for _, q := range s.Queries[:min(len(s.Queries), 15)] {
			hits, _ := ix.Search(context.Background(), search.Query{RegistryID: searcheval.RegistryID, Text: q.Text, MaxResults: 3})
			fmt.Printf("%s %q rel=%v toks=%v\n", s.Name, q.Text, q.Relevant, search.Tokenize(q.Text))
			for _, h := range hits {
				sem, lc, cov, unk := search.HitFeatures(h)
				fmt.Printf("    %-40s sem=%.2f lex=%.2f cov=%.2f unk=%.2f\n", h.Revision.Name, sem, lc, cov, unk)
			}
		}
	}
}
