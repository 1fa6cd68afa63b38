package search_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

// BenchmarkHybridSteps10k is the cost of a search with the built-in model
// at 10,000 records (BenchmarkHybridCost10k's) for LiveMCPBench's task
// texts, those of one sentence and those of several (multi-step requests)
// apart: CPU time of the searching thread per search.
//
//	go test -run '^$' -bench HybridSteps10k -benchtime 2000x ./search/
func BenchmarkHybridSteps10k(b *testing.B) {
	recs, _ := serverCorpus(b, 10_000)
	_, tools, err := searcheval.LoadLiveMCPBench(filepath.Join("..", "testdata", "search-eval"), false)
	if err != nil {
		b.Fatal(err)
	}
	var one, several []string
	for _, q := range tools.Queries {
		if strings.ContainsAny(strings.TrimRight(q.Text, ".!? "), ".!?;\n") || strings.Contains(q.Text, "/") {
			several = append(several, q.Text) // several sentences, or a path (its hint is one more)
		} else {
			one = append(one, q.Text)
		}
	}
	ix := search.NewIndex(search.Options{Embedder: builtinModel(b), Fusion: search.Fusion{Method: search.FusionConvex}})
	ix.PutMany(recs)
	if err := ix.WaitVectors(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, g := range []struct {
		name    string
		queries []string
	}{{"one-sentence", one}, {"several", several}} {
		b.Run(g.name, func(b *testing.B) {
			runtime.LockOSThread() // for threadCPU
			defer runtime.UnlockOSThread()
			var cpu time.Duration
			errs, hits := 0, 0
			for i := 0; b.Loop(); i++ {
				q := search.Query{RegistryID: searcheval.RegistryID, Text: g.queries[i%len(g.queries)], MaxResults: 10}
				c0 := threadCPU()
				h, err := ix.Search(ctx, q)
				cpu += threadCPU() - c0
				if err != nil {
					errs++
				}
				hits += len(h)
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-us")
			b.ReportMetric(float64(errs), "errors")
			b.ReportMetric(float64(hits)/float64(b.N), "hits")
			b.ReportMetric(float64(len(g.queries)), "queries")
		})
	}
}
