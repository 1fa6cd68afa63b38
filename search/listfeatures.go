package search

import "math"

// The features a learned cut-off judges a whole result list on
// (docs/search-quality.md, "A learned cut-off, session 7"): how close the
// best records are in meaning, how far the first stand out from the
// rest, how much of the query the registry's words cover, and whether
// the two legs agree on the first result. Computed once per hybrid
// search from what the legs already returned: a few dozen comparisons
// and divisions, no allocation.
const (
	lfTopSim          = iota // cosine of the fused first
	lfSem1                   // the semantic leg's best cosine
	lfSem3                   // its 3rd
	lfSem10                  // its 10th
	lfSemLast                // its last candidate's (the 100th)
	lfSemGap2                // best minus 2nd
	lfSemGap5                // best minus 5th
	lfTopCoverage            // the fused first's BM25F over that of a whole-query match
	lfLexCoverage            // the lexical leg's best, likewise
	lfUnknownShare           // share of the query's IDF mass that no record has
	lfRarestMatched          // IDF of the rarest matched query word over that of the rarest query word
	lfLexMatched             // log of the records with any query word over log of the records
	lfQueryWords             // log(1 + query words)
	lfTopInLex               // 1/(1 + the fused first's rank in the lexical leg), 0 if absent
	lfTopInSem               // and in the semantic leg
	lfFusedGap               // fused score of the first minus the second's
	lfFusedTop               // fused score of the first
	lfTopFullCoverage        // the fused first's BM25F over that of a match of every query word, known or not
	lfLexFullCoverage        // the lexical leg's best, likewise
	lfSemUnknown             // the semantic leg's best cosine times the unknown share
	numListFeatures
)

type listFeatures [numListFeatures]float32

// lexStats is what the lexical leg learnt of the query, for listFeatures.
type lexStats struct {
	known, max, unknown   float32 // acc.lexMax - acc.lexUnknown, acc.lexMax, acc.lexUnknown
	rarest, rarestMatched float32 // the largest IDF of a query word, of a matched one
	matched, live, words  int     // records with any query word, live records, query words
}

// computeListFeatures fills out from the two legs (best first) and the
// fused ranking before any cut.
func computeListFeatures(out *listFeatures, lex, sem []scored, ranked []fused, ls lexStats) {
	*out = listFeatures{}
	at := func(i int) float32 {
		if len(sem) == 0 {
			return 0
		}
		return sem[min(i, len(sem)-1)].score
	}
	out[lfSem1], out[lfSem3], out[lfSem10], out[lfSemLast] = at(0), at(2), at(9), at(len(sem)-1)
	out[lfSemGap2], out[lfSemGap5] = at(0)-at(1), at(0)-at(4)
	if ls.known > 0 && len(lex) > 0 {
		out[lfLexCoverage] = lex[0].score / ls.known
	}
	if ls.max > 0 {
		out[lfUnknownShare] = ls.unknown / ls.max
		if len(lex) > 0 {
			out[lfLexFullCoverage] = lex[0].score / ls.max
		}
	}
	out[lfSemUnknown] = out[lfSem1] * out[lfUnknownShare]
	if ls.rarest > 0 {
		out[lfRarestMatched] = ls.rarestMatched / ls.rarest
	}
	if ls.live > 1 {
		out[lfLexMatched] = float32(math.Log1p(float64(ls.matched)) / math.Log1p(float64(ls.live)))
	}
	out[lfQueryWords] = float32(math.Log1p(float64(ls.words)))
	if len(ranked) == 0 {
		return
	}
	top := &ranked[0]
	out[lfTopSim] = top.sem
	if ls.known > 0 {
		out[lfTopCoverage] = top.lex / ls.known
	}
	if ls.max > 0 {
		out[lfTopFullCoverage] = top.lex / ls.max
	}
	for i, c := range lex {
		if c.slot == top.slot {
			out[lfTopInLex] = 1 / float32(i+1)
			break
		}
	}
	for i, c := range sem {
		if c.slot == top.slot {
			out[lfTopInSem] = 1 / float32(i+1)
			break
		}
	}
	out[lfFusedTop] = top.score
	if len(ranked) > 1 {
		out[lfFusedGap] = top.score - ranked[1].score
	} else {
		out[lfFusedGap] = top.score
	}
}
