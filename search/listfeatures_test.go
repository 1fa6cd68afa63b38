package search

import "testing"

// BenchmarkListFeatures is the per-search cost of a learned list cut-off:
// the features of a 100-candidate fusion and a linear score of them.
func BenchmarkListFeatures(b *testing.B) {
	lex := make([]scored, 100)
	sem := make([]scored, 100)
	for i := range lex {
		lex[i] = scored{uint32(i * 7 % 100), float32(100 - i)}
		sem[i] = scored{uint32(i * 13 % 100), 0.6 - float32(i)*0.005}
	}
	ranked := make([]fused, 10)
	for i := range ranked {
		ranked[i] = fused{slot: uint32(50 + i), score: 1 - float32(i)*0.05, lex: 3, sem: 0.3}
	}
	ls := lexStats{known: 10, max: 12, unknown: 2, rarest: 5, rarestMatched: 4, matched: 300, live: 10000, words: 5}
	var w listFeatures
	for i := range w {
		w[i] = float32(i) * 0.1
	}
	var f listFeatures
	cut := 0
	b.ReportAllocs()
	for b.Loop() {
		computeListFeatures(&f, lex, sem, ranked, ls)
		z := float32(-1)
		for i, v := range f {
			z += w[i] * v
		}
		if z > 0 {
			cut++
		}
	}
	_ = cut
}
