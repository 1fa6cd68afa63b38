package search

import (
	"context"
	"slices"
	"testing"

	"github.com/agentry/agentry/registry"
)

// rerankIndex is a hybrid index of three records about the weather: one
// names it, one only describes it, one has nothing of the query.
func rerankIndex(t *testing.T) *Index {
	t.Helper()
	ix := NewIndex(Options{Embedder: &bagEmbedder{}, Fusion: Fusion{Method: FusionConvex, MinSimilarity: -1}})
	t.Cleanup(ix.Close)
	ix.PutMany([]registry.Record{
		mcp("desc00000001", "daily", "Weather forecast weather forecast for every city, weather alerts.", `{}`, ""),
		mcp("name00000001", "weather", "Forecasts for cities.", `{}`, ""),
		mcp("none00000001", "cooking", "Recipes and meal plans.", `{}`, ""),
	})
	return ix
}

// The features say in which field a record matches the query's words
// and how much of the query's weight it has.
func TestRerankFeatures(t *testing.T) {
	ix := rerankIndex(t)
	sh := ix.shard(testRegistry, false)
	acc := new(accumulator)
	lex := slices.Clone(sh.lexical(&ix.set, acc, ix.queryTerms("weather forecast"), nil, 10))
	var cands []fused
	for i, c := range lex {
		cands = append(cands, fused{slot: c.slot, lex: c.score, lexRank: int32(i + 1)})
	}
	feats := make([]rerankFeatures, len(cands))
	sh.features(&ix.set, acc, cands, lex[0].score, 0, acc.lexMax-acc.lexUnknown, feats)
	byID := map[string]rerankFeatures{}
	for i, c := range cands {
		byID[sh.docs[c.slot].recordID] = feats[i]
	}
	name, desc := byID["name00000001"], byID["desc00000001"]
	if name[rfNameScore] <= 0 || name[rfNameWords] != 0.5 || name[rfIDFShare] != 1 || name[rfRareShare] != 1 {
		t.Errorf("record named weather: %v", name)
	}
	if desc[rfNameScore] != 0 || desc[rfNameWords] != 0 || desc[rfDescScore] <= 0 || desc[rfIDFShare] != 1 {
		t.Errorf("record describing the weather: %v", desc)
	}
	if _, ok := byID["none00000001"]; ok {
		t.Errorf("the record without the query's words is a lexical candidate")
	}
	if name[rfLexRank] != 1/float32(cands[slices.IndexFunc(cands, func(c fused) bool { return sh.docs[c.slot].recordID == "name00000001" })].lexRank) {
		t.Errorf("lexical rank feature %v", name[rfLexRank])
	}
}

// The re-ranker orders the fused records by its model's score: weighing
// only name matches puts the record named for the query first, where the
// fusion, which repeats its words, ranks the other first; the cut-off
// still applies after it; and it allocates nothing once warm.
func TestRerankOrder(t *testing.T) {
	ix := rerankIndex(t)
	first := func() string {
		hits, err := ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: "weather forecast"})
		if err != nil || len(hits) == 0 {
			t.Fatalf("%v, %v", hits, err)
		}
		return hits[0].RecordID
	}
	if got := first(); got != "desc00000001" {
		t.Fatalf("fused ranking: %s first, want the record repeating the query's words", got)
	}
	m := &rerankModel{}
	m.w[rfNameWords] = 1
	ix.set.rerank = m
	if got := first(); got != "name00000001" {
		t.Errorf("re-ranked on name matches: %s first, want the record named for the query", got)
	}

	sh := ix.shard(testRegistry, false)
	acc := new(accumulator)
	lex := slices.Clone(sh.lexical(&ix.set, acc, ix.queryTerms("weather forecast"), nil, 10))
	cands := make([]fused, len(lex))
	for i, c := range lex {
		cands[i] = fused{slot: c.slot, lex: c.score}
	}
	work := slices.Clone(cands)
	if n := testing.AllocsPerRun(10, func() {
		copy(work, cands)
		sh.rerank(&ix.set, acc, m, work, lex[0].score, 0, acc.lexMax)
	}); n != 0 {
		t.Errorf("re-ranking allocates %v times", n)
	}
}
