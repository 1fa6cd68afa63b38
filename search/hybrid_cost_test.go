package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// serverCorpus is the corpus of the server's search benchmarks
// (server/bench_search_test.go): the seed's servers cycled, numbered
// names, and queries of three consecutive words of a seed description.
func serverCorpus(tb testing.TB, n int) ([]registry.Record, []string) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "search-eval", "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var seed []struct{ Name, Description string }
	if err := json.Unmarshal(raw, &seed); err != nil {
		tb.Fatal(err)
	}
	recs := make([]registry.Record, n)
	for i := range recs {
		s := seed[i%len(seed)]
		desc := strings.TrimSpace(s.Description)
		if desc == "" {
			desc = "MCP server " + s.Name
		}
		name := fmt.Sprintf("server-%05d-%s", i, filepath.Base(s.Name))
		server := map[string]any{"name": fmt.Sprintf("io.bench/server-%d", i), "description": desc, "version": "1.0.0"}
		recs[i] = searcheval.Record(fmt.Sprintf("b%010d", i), name, desc, server, nil)
	}
	var queries []string
	for i := 0; len(queries) < 1000; i++ {
		words := strings.Fields(seed[(i*7919)%len(seed)].Description)
		if len(words) < 3 {
			continue
		}
		start := (i * 31) % (len(words) - 2)
		queries = append(queries, strings.Join(words[start:start+3], " "))
	}
	return recs, queries
}

// BenchmarkHybridCost10k measures what the semantic leg adds to a search:
// the same records and queries in a lexical-only index and in one with
// the built-in model (exact scan, as the server has at 10,000 records),
// queried in turn. added-us is the difference of the mean times; the
// hybrid index's legs are timed through Options.Observe (elapsed time).
//
//	go test -run '^$' -bench HybridCost10k -benchtime 5000x ./search/
func BenchmarkHybridCost10k(b *testing.B) {
	recs, queries := serverCorpus(b, 10_000)
	var legs [search.NumLegs]atomic.Int64
	lex := search.NewIndex(search.Options{})
	lex.PutMany(recs)
	hyb := search.NewIndex(search.Options{Embedder: builtinModel(b), Fusion: search.Fusion{Method: search.FusionConvex},
		Observe: func(l search.Leg, d time.Duration, _ int) { legs[l].Add(int64(d)) }})
	hyb.PutMany(recs)
	if err := hyb.WaitVectors(context.Background()); err != nil {
		b.Fatal(err)
	}
	for i := range legs {
		legs[i].Store(0)
	}
	ctx := context.Background()
	// The thread's CPU time as well as the elapsed time: on a busy machine
	// the elapsed time counts the other jobs too.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tl, th, cl, ch time.Duration
	var errs, nl, nh int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := search.Query{RegistryID: searcheval.RegistryID, Text: queries[i%len(queries)], MaxResults: 10}
		c0, t0 := threadCPU(), time.Now()
		hl, err := lex.Search(ctx, q)
		if err != nil {
			errs++
		}
		c1, t1 := threadCPU(), time.Now()
		hh, err := hyb.Search(ctx, q)
		if err != nil {
			errs++
		}
		nl, nh = nl+len(hl), nh+len(hh)
		tl, th = tl+t1.Sub(t0), th+time.Since(t1)
		cl, ch = cl+c1-c0, ch+threadCPU()-c1
	}
	b.StopTimer()
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(b.N) }
	b.ReportMetric(us(tl), "lexical-us")
	b.ReportMetric(us(th), "hybrid-us")
	b.ReportMetric(us(th-tl), "added-us")
	b.ReportMetric(us(cl), "lexical-cpu-us")
	b.ReportMetric(us(ch), "hybrid-cpu-us")
	b.ReportMetric(us(ch-cl), "added-cpu-us")
	b.ReportMetric(float64(errs), "errors")
	b.ReportMetric(float64(nl)/float64(b.N), "lexical-hits")
	b.ReportMetric(float64(nh)/float64(b.N), "hybrid-hits")
	for l := range legs {
		b.ReportMetric(us(time.Duration(legs[l].Load())), search.Leg(l).String()+"-us")
	}
}

// BenchmarkLexicalLeg10k measures the lexical leg alone on the corpus and
// queries of BenchmarkHybridCost10k: with k = 100, the candidates a hybrid
// search asks it for, and with k = 10, a lexical-only search's. For
// instruction counts, run its test binary under callgrind.
//
//	go test -run '^$' -bench LexicalLeg10k -benchtime 20000x ./search/
func BenchmarkLexicalLeg10k(b *testing.B) {
	recs, queries := serverCorpus(b, 10_000)
	ix := search.NewIndex(search.Options{})
	ix.PutMany(recs)
	for _, k := range []int{10, 100} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			found := 0
			c0 := threadCPU()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				found += search.LexicalLeg(ix, searcheval.RegistryID, queries[i%len(queries)], k)
			}
			b.StopTimer()
			b.ReportMetric(float64((threadCPU()-c0).Nanoseconds())/1e3/float64(b.N), "cpu-us")
			b.ReportMetric(float64(found)/float64(b.N), "found")
			b.ReportMetric(0, "errors")
		})
	}
}
