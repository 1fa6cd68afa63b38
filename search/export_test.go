package search

import "context"

// Hooks for the tests of package search_test, which may use the built-in
// model (package semantic imports search, so search's own tests cannot).

// QueryVector is the query's unit vector, as Search computes it.
func QueryVector(ix *Index, text string) []float32 {
	if q := ix.embedQuery(context.Background(), text); q != nil {
		return q.whole
	}
	return nil
}

// SemanticLeg returns the record ids of the semantic leg's best k for
// qvec in a registry, best first: through the approximate index when
// approx is set (answered says whether it answered rather than the exact
// scan), else by the exact scan.
func SemanticLeg(ix *Index, registryID string, qvec []float32, f *Filter, k int, approx bool) (ids []string, answered bool) {
	sh := ix.shard(registryID, false)
	if sh == nil {
		return nil, false
	}
	acc := accPool.Get().(*accumulator)
	defer accPool.Put(acc)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	var top []scored
	if a := sh.ann; approx && a != nil && a.ready.Load() && len(qvec) == a.dim {
		top, answered = a.search(sh, acc, qvec, f, k)
	}
	if !answered {
		top = sh.scan(acc, qvec, f, k)
	}
	for _, c := range top {
		ids = append(ids, sh.docs[c.slot].recordID)
	}
	return ids, answered
}

// ScanLeg returns the exact scan's best k for qvec in a registry, best
// first, with their scores: in two stages, or in float32 alone when float
// is set.
func ScanLeg(ix *Index, registryID string, qvec []float32, f *Filter, k int, float bool) (ids []string, scores []float32) {
	sh := ix.shard(registryID, false)
	if sh == nil {
		return nil, nil
	}
	acc := accPool.Get().(*accumulator)
	defer accPool.Put(acc)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	scan := sh.scan
	if float {
		scan = sh.scanFloat
	}
	for _, c := range scan(acc, qvec, f, k) {
		ids, scores = append(ids, sh.docs[c.slot].recordID), append(scores, c.score)
	}
	return ids, scores
}
