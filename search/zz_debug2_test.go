package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

func TestZZMisses(t *testing.T) {
	if !*calibrate {
		t.Skip()
	}
	m := builtinModel(t)
	servers, _, _ := searcheval.LoadLiveMCPBench(evalDir, true)
	ix := search.NewIndex(search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex, MinSimilarity: -1}})
	ix.PutMany(servers.Records)
	for _, q := range servers.Queries {
		hits, _ := ix.Search(context.Background(), search.Query{RegistryID: searcheval.RegistryID, Text: q.Text, MaxResults: 100})
		var miss []string
		for _, r := range q.Relevant {
			i := slices.IndexFunc(hits, func(h search.Hit) bool { return h.RecordID == r || h.Revision.Name == r })
			if i < 0 || i >= 10 {
				miss = append(miss, fmt.Sprintf("%s@%d", r, i))
			}
		}
		if len(miss) > 0 {
			var top []string
			for _, h := range hits[:5] {
				top = append(top, h.Revision.Name)
			}
			fmt.Printf("%q\n   miss %v\n   top %v\n", q.Text, miss, top)
		}
	}
}
