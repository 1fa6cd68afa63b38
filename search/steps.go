package search

import (
	"cmp"
	"slices"

	"github.com/viterin/vek/vek32"
)

// A request of several sentences is usually a task of several steps
// ("find the trending repositories; read the top one's wiki; write an
// intro to /root/intro.md"), each served by other records. Ranked as one
// text, the step with the most or the rarest words takes every place.
// So each step is also ranked on its own, and a record ranks by the mean
// of its fused score for the whole text and its best fused score for one
// step (docs/search-quality.md, "Multi-step requests, session 7"). A
// request of one sentence is ranked as before.
//
// A step's lexical leg searches the index; its semantic leg ranks only
// the records that either leg found for the whole text or the step's
// lexical leg found, by their cosine with the step: a scan of every
// vector per step measured no better and cost three times as much.

// fuseSteps is fuse for a query of several steps (q.steps): the best k
// of the records found by the whole text or one of its steps, by the
// mean of their whole-text and best-step fused scores. lex and sem are
// the whole text's legs and known its lexical score of a record matching
// every word; n is how many records a leg returns. The records keep the
// whole text's leg scores where it found them (what capWeak reads), else
// those of their first step.
func (ix *Index) fuseSteps(sh *shard, acc *accumulator, q *queryVectors, f *Filter, lex, sem []scored, known float32, k, n int) []fused {
	lexMax, lexUnknown := acc.lexMax, acc.lexUnknown
	all := fuse(lex, sem, ix.set.fusion, len(lex)+len(sem), known, acc.pos)
	found := len(all) // the whole text's records
	whole := make([]float32, len(all))
	at := make(map[uint32]int, 2*len(all)) // slot -> index in all
	for i := range all {
		whole[i], all[i].score = all[i].score, 0 // the best step's score, until the mean
		at[all[i].slot] = i
	}
	for i, step := range q.steps {
		stepLex := slices.Clone(sh.lexical(&ix.set, acc, ix.queryTerms(step), f, n))
		stepSem := make([]scored, 0, found+len(stepLex))
		seen := make(map[uint32]bool, found+len(stepLex))
		for _, slot := range candidateSlots(all[:found], stepLex) {
			if v := sh.docs[slot].vec; !seen[slot] && len(v) == len(q.parts[i]) {
				seen[slot] = true
				if cos := vek32.Dot(v, q.parts[i]); cos > 0 { // as the scan: unrelated is not a match
					stepSem = append(stepSem, scored{slot, cos})
				}
			}
		}
		slices.SortStableFunc(stepSem, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
		stepSem = stepSem[:min(n, len(stepSem))]
		for _, r := range fuse(stepLex, stepSem, ix.set.fusion, len(stepLex)+len(stepSem), acc.lexMax-acc.lexUnknown, acc.pos) {
			j, ok := at[r.slot]
			if !ok {
				j = len(all)
				at[r.slot] = j
				all = append(all, fused{slot: r.slot, lex: r.lex, sem: r.sem})
				whole = append(whole, 0)
			}
			all[j].score = max(all[j].score, r.score)
		}
	}
	acc.lexMax, acc.lexUnknown = lexMax, lexUnknown // the whole text's, as Hit reports
	for i := range all {
		all[i].score = (whole[i] + all[i].score) / 2
		all[i].rel = all[i].score
	}
	// Best first, ties in order of appearance (the sort is stable).
	slices.SortStableFunc(all, func(a, b fused) int { return cmp.Compare(b.score, a.score) })
	return all[:min(k, len(all))]
}

// candidateSlots lists the slots of a step's semantic candidates: the
// whole text's records, then those of the step's lexical leg.
func candidateSlots(whole []fused, stepLex []scored) []uint32 {
	out := make([]uint32, 0, len(whole)+len(stepLex))
	for _, r := range whole {
		out = append(out, r.slot)
	}
	for _, r := range stepLex {
		out = append(out, r.slot)
	}
	return out
}
