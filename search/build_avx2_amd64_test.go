package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// pairsGo is dot8Pairs's plain Go loop, the reference for the kernels.
func pairsGo(q8 []int8, dim int, a uint32, nodes []uint32) []int32 {
	out := make([]int32, len(nodes))
	v := q8[int(a)*dim : int(a+1)*dim]
	for i, node := range nodes {
		for k, x := range v {
			out[i] += int32(x) * int32(q8[int(node)*dim+k])
		}
	}
	return out
}

// randomQ8 fills count int8 vectors of dim: random entries in -127..127,
// or the extremes (every pair of products 2·127·127, either sign, the
// most VPMADDUBSW's int16 sums hold), or zeros.
func randomQ8(r *rand.Rand, count, dim int, kind int) []int8 {
	q8 := make([]int8, count*dim)
	for i := range q8 {
		switch kind {
		case 0:
			q8[i] = int8(r.IntN(255) - 127)
		case 1: // all ±127, the sign by vector
			q8[i] = int8([]int{127, -127}[(i/dim)%2])
		case 2: // ±127 by entry
			q8[i] = int8([]int{127, -127}[r.IntN(2)])
		case 3: // mostly zeros
			if r.IntN(4) == 0 {
				q8[i] = int8(r.IntN(255) - 127)
			}
		}
	}
	return q8
}

// The AVX2 kernel, called directly (so that it runs on AVX-512 machines
// too), gives the plain Go loop's products on random and extreme entries,
// at every dimension it takes and for nodes in any order, repeated or not.
func TestDot8x8Gather4AVX2MatchesGo(t *testing.T) {
	if !haveDot8 {
		t.Skip("no AVX2 here")
	}
	r := rand.New(rand.NewPCG(16, 7))
	for _, dim := range []int{32, 64, 96, 256, 384} {
		for kind := range 4 {
			const count = 23
			q8 := randomQ8(r, count, dim, kind)
			for trial := range 5 {
				a := uint32(r.IntN(count))
				nodes := make([]uint32, 4*r.IntN(8))
				for i := range nodes {
					nodes[i] = uint32(r.IntN(count))
				}
				out := make([]int32, len(nodes))
				if len(nodes) > 0 {
					dot8x8Gather4AVX2(&q8[0], &q8[int(a)*dim], &nodes[0], dim, len(nodes), &out[0])
				}
				for i, want := range pairsGo(q8, dim, a, nodes) {
					if out[i] != want {
						t.Fatalf("dim %d kind %d trial %d: node %d with node %d (%d of %d): %d, want %d",
							dim, kind, trial, a, nodes[i], i, len(nodes), out[i], want)
					}
				}
			}
		}
	}
	// The largest products: a vector with itself at ±127.
	dim := 384
	q8 := randomQ8(r, 2, dim, 1)
	nodes := []uint32{0, 1, 0, 1}
	var out [4]int32
	dot8x8Gather4AVX2(&q8[0], &q8[0], &nodes[0], dim, 4, &out[0])
	if want := int32(127 * 127 * dim); out != [4]int32{want, -want, want, -want} {
		t.Fatalf("at the extremes: %v, want ±%d", out, want)
	}
}

// dot8Pairs on the AVX2 path, as on a processor without AVX-512 VNNI,
// gives the Go loop's products for any number of nodes (the last one to
// three padded) and at dimensions the kernel does not take.
func TestDot8PairsAVX2(t *testing.T) {
	if !haveDot8 {
		t.Skip("no AVX2 here")
	}
	vnni := haveVNNI
	haveVNNI = false
	t.Cleanup(func() { haveVNNI = vnni })
	r := rand.New(rand.NewPCG(16, 8))
	for _, dim := range []int{32, 100, 256} {
		for kind := range 4 {
			const count = 17
			q8 := randomQ8(r, count, dim, kind)
			for n := range 12 {
				a := uint32(r.IntN(count))
				nodes := make([]uint32, n)
				for i := range nodes {
					nodes[i] = uint32(r.IntN(count))
				}
				out := make([]int32, n)
				dot8Pairs(q8, nil, dim, a, nodes, out)
				for i, want := range pairsGo(q8, dim, a, nodes) {
					if out[i] != want {
						t.Fatalf("dim %d kind %d: node %d with node %d (%d of %d): %d, want %d",
							dim, kind, a, nodes[i], i, n, out[i], want)
					}
				}
			}
		}
	}
}

// A graph built by one builder is the same, link for link and similarity
// for similarity, whichever kernels compare the vectors: AVX-512 VNNI
// where the processor has it, AVX2, or plain Go.
func TestGraphSameWithEveryKernel(t *testing.T) {
	build := func() *hnsw {
		r := rand.New(rand.NewPCG(16, 9))
		g := newHNSW()
		var nodes []uint32
		for range 1500 {
			nodes = append(nodes, g.alloc(randomUnit(r, 256), uint32(g.len())))
		}
		g.connectAll(nodes, []*annScratch{new(annScratch)})
		return g
	}
	dot8, vnni := haveDot8, haveVNNI
	t.Cleanup(func() { haveDot8, haveVNNI = dot8, vnni })
	haveDot8, haveVNNI = false, false
	want := build()
	kernels := []struct {
		name       string
		dot8, vnni bool
	}{{"AVX2", dot8, false}, {"AVX-512 VNNI", dot8, vnni}}
	for _, k := range kernels {
		if !k.dot8 || k.name == "AVX-512 VNNI" && !k.vnni {
			t.Logf("no %s here", k.name)
			continue
		}
		haveDot8, haveVNNI = k.dot8, k.vnni
		got := build()
		if !slices.Equal(got.links, want.links) || !slices.Equal(got.sims0, want.sims0) ||
			!slices.EqualFunc(got.upper, want.upper, slices.Equal) || got.entry != want.entry {
			t.Errorf("%s: the graph differs from the one built in Go", k.name)
		}
	}
}
