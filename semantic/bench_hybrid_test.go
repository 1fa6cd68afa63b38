package semantic

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
	"golang.org/x/sys/unix"
)

// benchmarkHybrid measures the hybrid query in two indexes of the same
// records, queried in turn: one whose semantic leg scans every vector
// (exact-*), one that searches an approximate index (approx-*; threshold
// 1, so that it is used at any size). recall@10 is the share of the exact
// index's ten hits that the other one returns too. At the default
// threshold (search.DefaultApproxThreshold) a server searches 10,000
// records as exact-* does, and 100,000 as approx-* does.
func benchmarkHybrid(b *testing.B, n int) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	recs, queries, _, err := searcheval.SeedCorpus(evalDir, n)
	if err != nil {
		b.Fatal(err)
	}
	opts := search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex}, ApproxThreshold: -1}
	exact := search.NewIndex(opts)
	start := time.Now()
	exact.PutMany(recs)
	build := time.Since(start)
	opts.ApproxThreshold = 1
	approx := search.NewIndex(opts)
	start = time.Now()
	approx.PutMany(recs)
	if _, err := approx.BuildApprox(context.Background()); err != nil {
		b.Fatal(err)
	}
	ready := time.Since(start)
	ctx := context.Background()
	var exactTimes, approxTimes, exactCPU, approxCPU []time.Duration
	hits, total, errs := 0, 0, 0
	// The searching thread's CPU time as well: on a busy machine the
	// elapsed time's tail is other jobs holding the processor.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := search.Query{RegistryID: searcheval.RegistryID, Text: queries[i%len(queries)], MaxResults: 10}
		c0, t0 := threadCPU(), time.Now()
		want, err := exact.Search(ctx, q)
		if err != nil {
			errs++
		}
		c1, t1 := threadCPU(), time.Now()
		got, err := approx.Search(ctx, q)
		if err != nil {
			errs++
		}
		exactTimes, approxTimes = append(exactTimes, t1.Sub(t0)), append(approxTimes, time.Since(t1))
		exactCPU, approxCPU = append(exactCPU, c1-c0), append(approxCPU, threadCPU()-c1)
		for _, w := range want {
			if slices.ContainsFunc(got, func(h search.Hit) bool { return h.RecordID == w.RecordID }) {
				hits++
			}
		}
		total += len(want)
	}
	b.StopTimer()
	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(exactTimes, 0.5), "exact-p50-ms")
	b.ReportMetric(pct(exactTimes, 0.99), "exact-p99-ms")
	b.ReportMetric(pct(approxTimes, 0.5), "approx-p50-ms")
	b.ReportMetric(pct(approxTimes, 0.99), "approx-p99-ms")
	b.ReportMetric(pct(exactCPU, 0.5), "exact-cpu-p50-ms")
	b.ReportMetric(pct(exactCPU, 0.99), "exact-cpu-p99-ms")
	b.ReportMetric(pct(approxCPU, 0.5), "approx-cpu-p50-ms")
	b.ReportMetric(pct(approxCPU, 0.99), "approx-cpu-p99-ms")
	b.ReportMetric(float64(hits)/float64(max(total, 1)), "recall@10")
	b.ReportMetric(build.Seconds(), "build-s")
	b.ReportMetric(ready.Seconds(), "approx-ready-s")
	b.ReportMetric(float64(errs), "errors")
}

// threadCPU is the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// BenchmarkHybrid10k and BenchmarkHybrid100k: query latency of the hybrid
// default (built-in model, convex fusion) in process, with the exact
// semantic leg and with the approximate index.
func BenchmarkHybrid10k(b *testing.B)  { benchmarkHybrid(b, 10_000) }
func BenchmarkHybrid100k(b *testing.B) { benchmarkHybrid(b, 100_000) }
