package search

// The second part of the cut-off (docs/search-quality.md, "Session 5").
// Records that are not relevant end the results (fuse); but with the
// built-in model, a request worded unlike its answer and a request with
// no answer at all look alike record by record, so that rule alone still
// returns six results on average for requests nothing answers. What does
// tell them apart somewhat is the best result: when even it is weak, the
// results are few.
// When the best is very weak, there are none: the first result must
// clear a higher bar than the cut-off's.
const (
	defaultWeakSimilarity = 0.38
	defaultWeakResults    = 2
	noneSimilarity        = 0.24
)

// capWeak keeps at most f.WeakResults of ranked (best first) when its
// first record is weak: its cosine with the query below
// f.WeakSimilarity and its lexical score below f.MinCoverage of lexKnown,
// that of a record matching every query word that some record has; and
// none when that cosine is below noneSimilarity too.
func capWeak(ranked []fused, f *Fusion, lexKnown float32) []fused {
	if len(ranked) == 0 || f.WeakSimilarity < 0 || f.MinSimilarity < 0 {
		return ranked
	}
	top := &ranked[0]
	if float64(top.sem) >= f.WeakSimilarity || (lexKnown > 0 && float64(top.lex/lexKnown) >= f.MinCoverage) {
		return ranked
	}
	if top.sem < noneSimilarity {
		return ranked[:0]
	}
	return ranked[:min(len(ranked), f.WeakResults)]
}
