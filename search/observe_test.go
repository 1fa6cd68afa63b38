package search

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

type legCall struct {
	leg     Leg
	results int
}

func TestObserveHearsEachLeg(t *testing.T) {
	recs := []registry.Record{
		mcp("lex000000001", "notes", "Write down automobile repair notes.", `{}`, ""),
		mcp("sem000000001", "garage", "Vehicle maintenance scheduling.", `{}`, ""),
		mcp("oth000000001", "cooking", "Recipes and meal plans.", `{}`, ""),
	}
	var mu sync.Mutex
	var calls []legCall
	observe := func(leg Leg, d time.Duration, results int) {
		if d < 0 {
			t.Errorf("%v took %v", leg, d)
		}
		mu.Lock()
		calls = append(calls, legCall{leg, results})
		mu.Unlock()
	}
	take := func() []legCall {
		mu.Lock()
		defer mu.Unlock()
		c := calls
		calls = nil
		return c
	}

	lexical := NewIndex(Options{Observe: observe})
	lexical.PutMany(recs)
	search(t, lexical, "repair notes")
	if got, want := take(), []legCall{{LegLexical, 1}}; !slices.Equal(got, want) {
		t.Errorf("lexical search observed %v, want %v", got, want)
	}

	emb := &bagEmbedder{concepts: map[string]int{"car": 1, "vehicl": 1, "automobil": 1, "mainten": 2, "repair": 2}}
	ix := NewIndex(Options{Embedder: emb, Observe: observe})
	t.Cleanup(ix.Close)
	ix.PutMany(recs)
	take()
	search(t, ix, "car")
	if got, want := take(), []legCall{{LegQueryEmbedding, 1}, {LegLexical, 0}, {LegSemantic, 2}, {LegFusion, 2}}; !slices.Equal(got, want) {
		t.Errorf("hybrid search observed %v, want %v", got, want)
	}
	// The embedder fails: the query embedding gave nothing, the search is lexical.
	emb.fail.Store(true)
	search(t, ix, "automobile")
	if got, want := take(), []legCall{{LegQueryEmbedding, 0}, {LegLexical, 1}}; !slices.Equal(got, want) {
		t.Errorf("fallback observed %v, want %v", got, want)
	}
	if LegQueryEmbedding.String() != "query_embedding" || Leg(200).String() != "unknown" {
		t.Errorf("leg names: %v %v", LegQueryEmbedding, Leg(200))
	}
}

// BenchmarkObserve: a lexical search over 2,000 records with no observer
// and with one that does nothing: the hook's own cost, clock reads
// included. allocs/op is the same for both.
func BenchmarkObserve(b *testing.B) {
	recs := syntheticRecords(b, 2000, 3)
	queries := []string{"weather forecast", "send email", "database query tool", "github issues"}
	for _, tt := range []struct {
		name    string
		observe func(Leg, time.Duration, int)
	}{
		{"nil", nil},
		{"noop", func(Leg, time.Duration, int) {}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			ix := NewIndex(Options{Observe: tt.observe})
			ix.PutMany(recs)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: queries[i%len(queries)]})
				i++
			}
		})
	}
}
