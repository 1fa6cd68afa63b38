package search

import "testing"

// A list whose best record is weak is cut to WeakResults, or to nothing
// when that record is very weak; a lexical match or a close one keeps
// the list whole.
func TestCapWeak(t *testing.T) {
	f := Fusion{Method: FusionConvex}.resolve()
	list := func(topSem, topLex float32) []fused {
		out := []fused{{slot: 0, sem: topSem, lex: topLex}}
		for i := uint32(1); i < 6; i++ {
			out = append(out, fused{slot: i, sem: 0.2})
		}
		return out
	}
	for _, c := range []struct {
		sem, lex float32
		want     int
	}{
		{0.50, 0, 6},    // close in meaning
		{0.30, 0.5, 6},  // shares the query's words (coverage 0.5 / 5 = 10 %)
		{0.30, 0, 2},    // weak: at most two
		{0.20, 0, 0},    // very weak: none
		{0.20, 0.05, 0}, // a little lexical match is not enough (1 %)
	} {
		if got := len(capWeak(list(c.sem, c.lex), &f, 5)); got != c.want {
			t.Errorf("best cosine %v, lexical %v: %d results, want %d", c.sem, c.lex, got, c.want)
		}
	}
	off := f
	off.WeakSimilarity = -1
	if got := len(capWeak(list(0.2, 0), &off, 5)); got != 6 {
		t.Errorf("turned off: %d results, want 6", got)
	}
}
