package search

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"
)

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

// ScanVariant sets the margin of the exact scan's guess of the k-th lower
// bound (0: no guess; 1: a guess too high about half the time) until the
// returned function restores it.
func ScanVariant(margin int) (restore func()) {
	m := guessMargin
	guessMargin = margin
	return func() { guessMargin = m }
}

// ApproxEfBuild is the efConstruction the approximate index builds with.
const ApproxEfBuild = annEfBuild

// BuildGraph builds a graph over a registry's vectors as the background
// builder does, with the given number of builders and candidates per
// link, in float32 or int8, and returns how long that took and the graph's recall@10 against
// the exact scan for qvecs.
func BuildGraph(ix *Index, registryID string, builders, efBuild int, float bool, qvecs [][]float32) (time.Duration, float64) {
	sh := ix.shard(registryID, false)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	var entries []annEntry
	for i := range sh.docs {
		if v := sh.docs[i].vec; !sh.dead[i] && len(v) > 0 {
			entries = append(entries, annEntry{uint32(i), v})
		}
	}
	scs := make([]*annScratch, builders)
	for i := range scs {
		scs[i] = new(annScratch)
	}
	g := newHNSW()
	g.efBuild, g.float = efBuild, float
	start := time.Now()
	for len(entries) > 0 {
		var nodes []uint32
		for len(entries) > 0 && len(nodes) < annChunk*builders {
			nodes = append(nodes, g.alloc(entries[0].vec, entries[0].slot))
			entries = entries[1:]
		}
		g.connectAll(nodes, scs)
	}
	took := time.Since(start)
	acc := accPool.Get().(*accumulator)
	defer accPool.Put(acc)
	hits, total := 0, 0
	for _, q := range qvecs {
		if q == nil {
			continue
		}
		want := sh.scan(acc, q, nil, 10)
		var wantSlots []uint32
		for _, c := range want {
			wantSlots = append(wantSlots, c.slot)
		}
		g.search(q, annEfSearch, &acc.ann, &annQuery{})
		res := slices.Clone(acc.ann.res)
		slices.SortFunc(res, func(a, b annCand) int { return cmp.Compare(b.sim, a.sim) })
		for _, c := range res[:min(10, len(res))] {
			if slices.Contains(wantSlots, g.slots[c.node]) {
				hits++
			}
		}
		total += len(wantSlots)
	}
	return took, float64(hits) / float64(max(total, 1))
}

// HitFeatures are what the cut-off judges a hit on: its cosine with the
// query, and its BM25F score over that of a record matching every query
// word that some record has.
func HitFeatures(h Hit) (sem, lexCov float32) { return h.sem, h.lexCov }

// PortableOnly makes the rest of the test use the Go versions of the
// vector kernels, as on a processor without AVX2 or AVX-512; the test must
// not run in parallel with others.
func PortableOnly(t testing.TB) {
	dot8, vnni, mask := haveDot8, haveVNNI, haveMask
	haveDot8, haveVNNI, haveMask = false, false, false
	t.Cleanup(func() { haveDot8, haveVNNI, haveMask = dot8, vnni, mask })
}

// AVX2Only makes the rest of the test use the AVX2 kernels where the
// processor has AVX-512 too, as on a processor without it; the test must
// not run in parallel with others.
func AVX2Only(t testing.TB) {
	vnni, mask := haveVNNI, haveMask
	haveVNNI, haveMask = false, false
	t.Cleanup(func() { haveVNNI, haveMask = vnni, mask })
}

// LexicalLeg runs the lexical leg alone for text in a registry, as a
// hybrid search does with k candidates, and returns how many it found.
func LexicalLeg(ix *Index, registryID, text string, k int) int {
	sh := ix.shard(registryID, false)
	if sh == nil {
		return 0
	}
	groups := ix.queryTerms(text)
	acc := accPool.Get().(*accumulator)
	defer accPool.Put(acc)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return len(sh.lexical(&ix.set, acc, groups, nil, k))
}
