package semantic

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// hybridCorpus builds n records from the MCP Registry seed's vocabulary:
// each takes a seed server's description and a dozen words drawn from all
// descriptions, so records differ as real ones do.
func hybridCorpus(b *testing.B, n int) ([]registry.Record, []string) {
	raw, err := os.ReadFile(filepath.Join(evalDir, "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		b.Fatal(err)
	}
	var seed []struct{ Name, Description string }
	if err := json.Unmarshal(raw, &seed); err != nil {
		b.Fatal(err)
	}
	var vocab []string
	for _, s := range seed {
		vocab = append(vocab, strings.Fields(s.Description)...)
	}
	r := rand.New(rand.NewPCG(7, 8))
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	recs := make([]registry.Record, n)
	for i := range recs {
		s := seed[i%len(seed)]
		desc := s.Description + " " + words(12)
		server := map[string]any{"name": fmt.Sprintf("io.bench/s%d", i), "description": desc, "version": "1.0.0"}
		recs[i] = search.EvalRecord(fmt.Sprintf("b%010d", i), fmt.Sprintf("server-%d", i), desc, server, nil)
	}
	queries := make([]string, 500)
	for i := range queries {
		queries[i] = words(3 + r.IntN(5))
	}
	return recs, queries
}

func benchmarkHybrid(b *testing.B, n int) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	recs, queries := hybridCorpus(b, n)
	ix := search.NewIndex(search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex}})
	start := time.Now()
	ix.PutMany(recs)
	build := time.Since(start)
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := ix.Search(ctx, search.Query{RegistryID: search.EvalRegistryID, Text: queries[i%len(queries)], MaxResults: 10}); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(build.Seconds(), "build-s")
}

// BenchmarkHybrid10k and BenchmarkHybrid100k: query latency of the hybrid
// default (built-in model, convex fusion) in process.
func BenchmarkHybrid10k(b *testing.B)  { benchmarkHybrid(b, 10_000) }
func BenchmarkHybrid100k(b *testing.B) { benchmarkHybrid(b, 100_000) }
