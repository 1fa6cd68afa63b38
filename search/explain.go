package search

import (
	"context"
	"slices"
)

// Contribution says why a hit ranked where it did: its place and score in
// each leg of the search. A rank of 0 means the leg did not find it among
// its candidates.
type Contribution struct {
	LexicalRank   int
	LexicalScore  float64 // BM25F
	SemanticRank  int
	SemanticScore float64 // cosine similarity
}

// Explanation is a search's hits with the contribution of each leg.
type Explanation struct {
	Hits []Hit
	// Why holds one Contribution per hit, in the same order.
	Why []Contribution
	// Semantic reports whether the semantic leg took part (an embedder is
	// configured, the registry has vectors, and the query was embedded in
	// time).
	Semantic bool
}

// Explain runs q exactly as Search does and then ranks its candidates in
// each leg alone, for the console's search playground. It costs about two
// searches; nothing on the API's path calls it.
func (ix *Index) Explain(ctx context.Context, q Query) (Explanation, error) {
	hits, err := ix.Search(ctx, q)
	if err != nil || len(hits) == 0 {
		return Explanation{Hits: hits}, err
	}
	sh := ix.shard(q.RegistryID, false)
	if sh == nil {
		return Explanation{Hits: hits}, nil
	}
	n := max(len(hits), ix.set.fusion.Candidates)
	groups := ix.queryTerms(q.Text)
	var qvec *queryVectors
	if ix.set.embedder != nil && sh.hasVectors() {
		qvec = ix.embedQuery(ctx, q.Text)
	}
	acc := accPool.Get().(*accumulator)
	defer accPool.Put(acc)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	legs := [2]map[string]rankScore{}
	rank := func(list []scored) map[string]rankScore {
		m := make(map[string]rankScore, len(list))
		for i, c := range list {
			m[sh.docs[c.slot].recordID] = rankScore{i + 1, float64(c.score)}
		}
		return m
	}
	legs[0] = rank(slices.Clone(sh.lexical(&ix.set, acc, groups, q.Filter, n)))
	if qvec != nil {
		legs[1] = rank(sh.semantic(acc, qvec, q.Filter, n))
	}
	out := Explanation{Hits: hits, Why: make([]Contribution, len(hits)), Semantic: qvec != nil}
	for i, h := range hits {
		l, s := legs[0][h.RecordID], legs[1][h.RecordID]
		out.Why[i] = Contribution{LexicalRank: l.rank, LexicalScore: l.score, SemanticRank: s.rank, SemanticScore: s.score}
	}
	return out, nil
}

type rankScore struct {
	rank  int
	score float64
}
