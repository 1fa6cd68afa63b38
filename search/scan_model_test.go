package search_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// The two-stage scan (int8, then float32 where the int8 bound leaves a
// doubt) ranks exactly as the float32 scan: the same records, in the same
// order, with the same scores, on the built-in model's vectors, with and
// without filters, for the sizes the fusion asks for.
func TestScanMatchesFloatWithModel(t *testing.T) {
	const n = 3000
	recs, queries, words := seedCorpus(t, n)
	ix := search.NewIndex(search.Options{Embedder: builtinModel(t), ApproxThreshold: -1})
	ix.PutMany(recs)
	check := func(when string) {
		t.Helper()
		checked := 0
		for _, f := range []string{filterNone, filterTwo, filterThird} {
			var flt *search.Filter
			if f != "" {
				flt = filter(t, f)
			}
			for _, text := range queries[:300] {
				q := search.QueryVector(ix, text)
				if q == nil {
					continue
				}
				for _, k := range []int{1, 10, 100} {
					ids, scores := search.ScanLeg(ix, searcheval.RegistryID, q, flt, k, false)
					wantIDs, wantScores := search.ScanLeg(ix, searcheval.RegistryID, q, flt, k, true)
					if !slices.Equal(ids, wantIDs) || !slices.Equal(scores, wantScores) {
						t.Fatalf("%s: %q, filter %s, k %d:\ngot  %v %v\nwant %v %v", when, text, f, k, ids, scores, wantIDs, wantScores)
					}
					if len(wantIDs) > 0 {
						checked++
					}
				}
			}
		}
		if checked < 500 {
			t.Fatalf("%s: only %d comparisons", when, checked)
		}
	}
	check("built")
	// Remove half the records, which compacts the shard, and give others a
	// new text and vector.
	for i := range recs {
		switch i % 4 {
		case 0, 1:
			ix.Remove(searcheval.RegistryID, recs[i].ID)
		case 2:
			rev := *recs[i].Approved
			rev.Description = words(12)
			recs[i].Approved = &rev
			ix.Put(recs[i])
		}
	}
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("after removals and updates")
	// With a guess of the k-th lower bound that is often too high, so
	// that the first stage runs again without it.
	restore := search.ScanVariant(1)
	check("guess too high")
	restore()
	// The same with the AVX2 kernels only, as on a processor without
	// AVX-512, and without any SIMD kernel.
	search.AVX2Only(t)
	check("AVX2 only")
	search.PortableOnly(t)
	check("without SIMD")
}

// BenchmarkScan compares the semantic scan in two stages with the float32
// scan it replaces, on the built-in model's vectors of the seed corpus.
//
//	go test -run '^$' -bench 'BenchmarkScan$' -benchtime 2000x ./search/
func BenchmarkScan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		recs, queries, _ := seedCorpus(b, n)
		ix, vecs := scanIndex(b, recs, queries)
		for _, float := range []bool{true, false} {
			name := map[bool]string{true: "float32", false: "int8"}[float]
			b.Run(fmt.Sprintf("%dk/%s", n/1000, name), func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					search.ScanLeg(ix, searcheval.RegistryID, vecs[i%len(vecs)], nil, 100, float)
				}
			})
		}
	}
}

// BenchmarkScanVariants runs the exact scan at 10,000 records (the server
// benchmark's corpus, k 100 as the fusion asks) with its guess of the k-th
// lower bound on and off, in turn for each query, and reports the
// thread's CPU time per scan of each: on a busy machine, a comparison that
// one run of each could not give.
//
//	go test -run '^$' -bench ScanVariants -benchtime 3000x ./search/
func BenchmarkScanVariants(b *testing.B) {
	recs, queries := serverCorpus(b, 10_000)
	ix, vecs := scanIndex(b, recs, queries)
	var cpu [2]time.Duration // without and with the guess
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; b.Loop(); i++ {
		for j, margin := range []int{0, 2} {
			restore := search.ScanVariant(margin)
			c := threadCPU()
			search.ScanLeg(ix, searcheval.RegistryID, vecs[i%len(vecs)], nil, 100, false)
			cpu[j] += threadCPU() - c
			restore()
		}
	}
	b.ReportMetric(float64(cpu[0].Nanoseconds())/1e3/float64(b.N), "no-guess-cpu-us")
	b.ReportMetric(float64(cpu[1].Nanoseconds())/1e3/float64(b.N), "guess-cpu-us")
}

// scanIndex indexes recs with the built-in model and no approximate index,
// and returns it with the vectors of the queries that have one.
func scanIndex(b *testing.B, recs []registry.Record, queries []string) (*search.Index, [][]float32) {
	ix := search.NewIndex(search.Options{Embedder: builtinModel(b), ApproxThreshold: -1})
	ix.PutMany(recs)
	if err := ix.WaitVectors(context.Background()); err != nil {
		b.Fatal(err)
	}
	var vecs [][]float32
	for _, q := range queries {
		if v := search.QueryVector(ix, q); v != nil {
			vecs = append(vecs, v)
		}
	}
	return ix, vecs
}
