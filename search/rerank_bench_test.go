package search_test

import (
	"context"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

// BenchmarkRerank measures the re-ranker alone: the features and the new
// order of the fused ranking's first RerankDepth records, for queries of
// the server benchmarks' corpus at 10,000 records (BenchmarkHybridCost10k)
// and for a long MetaTool-like request.
//
//	go test -run '^$' -bench Rerank -benchmem ./search/
func BenchmarkRerank(b *testing.B) {
	recs, queries := serverCorpus(b, 10_000)
	ix := search.NewIndex(search.Options{Embedder: builtinModel(b), Fusion: search.Fusion{Method: search.FusionConvex}})
	ix.PutMany(recs)
	if err := ix.WaitVectors(context.Background()); err != nil {
		b.Fatal(err)
	}
	w := search.RerankWeights()
	queries = append(queries[:50:50], "I'm looking for a tool that can search the web and summarize the latest news articles about a company")
	steps := make([]func(), len(queries))
	for i, q := range queries {
		steps[i] = search.RerankStep(ix, searcheval.RegistryID, q, w)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		steps[i%len(steps)]()
	}
}
