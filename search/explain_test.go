package search

import (
	"context"
	"testing"

	"github.com/agentry/agentry/registry"
)

// TestExplainReportsEachLeg: Explain returns Search's hits, in order, with
// each leg's rank: a record only the semantic leg finds has no lexical
// rank, and the lexical match ranks first in its leg.
func TestExplainReportsEachLeg(t *testing.T) {
	recs := []registry.Record{
		mcp("lex000000001", "notes", "Write down automobile repair notes.", `{}`, ""),
		mcp("sem000000001", "garage", "Vehicle maintenance scheduling.", `{}`, ""),
		mcp("oth000000001", "cooking", "Recipes and meal plans.", `{}`, ""),
	}
	emb := &bagEmbedder{concepts: map[string]int{"car": 1, "vehicl": 1, "automobil": 1, "mainten": 2, "repair": 2}}
	ix := NewIndex(Options{Embedder: emb})
	t.Cleanup(ix.Close)
	ix.PutMany(recs)
	q := Query{RegistryID: recs[0].RegistryID, Text: "automobile"}
	hits, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := ix.Explain(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Semantic || len(ex.Hits) != len(hits) || len(ex.Why) != len(hits) {
		t.Fatalf("explain = %+v; search found %d", ex, len(hits))
	}
	why := map[string]Contribution{}
	for i, h := range ex.Hits {
		if h.RecordID != hits[i].RecordID || h.Score != hits[i].Score {
			t.Errorf("hit %d: explain %s %.4f, search %s %.4f", i, h.RecordID, h.Score, hits[i].RecordID, hits[i].Score)
		}
		why[h.RecordID] = ex.Why[i]
	}
	if w := why["lex000000001"]; w.LexicalRank != 1 || w.LexicalScore <= 0 || w.SemanticRank == 0 {
		t.Errorf("the lexical match: %+v, want lexical rank 1 and a semantic rank", w)
	}
	if w, ok := why["sem000000001"]; !ok || w.LexicalRank != 0 || w.SemanticRank == 0 || w.SemanticScore <= 0 {
		t.Errorf("the semantic-only match: %+v (found %v), want no lexical rank and a semantic one", w, ok)
	}

	lexical := NewIndex(Options{})
	lexical.PutMany(recs)
	ex, err = lexical.Explain(context.Background(), q)
	if err != nil || ex.Semantic || len(ex.Hits) != 1 || ex.Why[0].LexicalRank != 1 {
		t.Errorf("lexical-only explain = %+v, %v", ex, err)
	}
}
