package search

import (
	"cmp"
	"slices"

	"github.com/viterin/vek/vek32"
)

// feedback is pseudo-relevance feedback on the semantic leg: the
// records that fused best are taken as relevant, and each semantic
// candidate's score becomes a mix of its similarity to the query and to
// the mean of their vectors (Rocchio). It returns sem ranked again, in
// acc's scratch space.
func (s *shard) feedback(acc *accumulator, sem []scored, ranked []fused, weight float32, docs int) []scored {
	if len(sem) == 0 {
		return sem
	}
	var c []float32
	n := 0
	for _, r := range ranked {
		if n == docs {
			break
		}
		v := s.docs[r.slot].vec
		if v == nil {
			continue
		}
		if c == nil {
			c = make([]float32, len(v))
		}
		if len(v) == len(c) {
			vek32.Add_Inplace(c, v)
			n++
		}
	}
	if n == 0 {
		return sem
	}
	vek32.MulNumber_Inplace(c, 1/vek32.Norm(c))
	out := append(acc.prf[:0], sem...)
	for i := range out {
		if v := s.docs[out[i].slot].vec; len(v) == len(c) {
			out[i].score = (1-weight)*out[i].score + weight*vek32.Dot(v, c)
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	acc.prf = out
	return out
}
