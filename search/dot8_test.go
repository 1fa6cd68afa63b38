package search

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/viterin/vek/vek32"
)

// The assembly and the plain Go dot products agree, at every length and
// at the extremes of both types.
func TestDot8MatchesGo(t *testing.T) {
	if !haveDot8 {
		t.Skip("no SIMD dot product on this machine")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 300; n++ {
		for trial := range 4 {
			v, q := make([]int8, n), make([]int16, n)
			for i := range v {
				switch trial {
				case 0: // the extremes
					v[i], q[i] = -128, -32768
				case 1:
					v[i], q[i] = 127, -32768
				default:
					v[i], q[i] = int8(r.IntN(256)-128), int16(r.IntN(65536)-32768)
				}
			}
			if n > 128 && trial < 2 {
				continue // would overflow int32 in either
			}
			if got, want := dot8(v, q), dot8Go(v, q); got != want {
				t.Fatalf("n=%d trial %d: SIMD %d, Go %d", n, trial, got, want)
			}
		}
	}
}

// The first stage's bound holds: a record's float32 dot product with the
// query is never further from its first-stage score than bound says.
func TestQuantizedBoundHolds(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	unit := func(dim int, skew float64) []float32 {
		v := make([]float32, dim)
		var s float64
		for i := range v {
			x := r.NormFloat64() * math.Pow(float64(i+1), -skew)
			v[i] = float32(x)
			s += x * x
		}
		for i := range v {
			v[i] /= float32(math.Sqrt(s))
		}
		return v
	}
	var qq query16
	worst := 0.0
	for trial := range 20000 {
		dim := []int{3, 16, 64, 256, 384, 1024}[trial%6]
		skew := float64(trial%4) / 2
		qvec, v := unit(dim, skew), unit(dim, skew)
		if trial%7 == 0 {
			copy(v, qvec) // nearly the same vector
		}
		if !quantizeQuery(&qq, qvec) {
			t.Fatal("query refused")
		}
		w := make([]int8, dim)
		scale, resid := quantize(w, v)
		approx := float32(dot8(w, qq.q)) * qq.scale * scale
		exact := vek32.Dot(v, qvec)
		b := qq.bound(scale, resid)
		if d := math.Abs(float64(exact - approx)); d > float64(b) {
			t.Fatalf("dim %d: |%v - %v| = %v exceeds the bound %v", dim, exact, approx, d, b)
		} else {
			worst = max(worst, d/float64(b))
		}
	}
	t.Logf("largest error: %.2f of the bound", worst)
}

// vecs8 takes the first vector after slots without one, ignores vectors
// of another length, and copies slots.
func TestVecs8(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var v vecs8
	v.set(0, nil)
	v.set(1, nil)
	a, b := randomUnit(r, 32), randomUnit(r, 32)
	v.set(1, a)
	v.set(2, randomUnit(r, 16)) // another length: no vector
	v.set(3, b)
	if v.dim != 32 || len(v.scale) != 4 || len(v.q) != 4*32 {
		t.Fatalf("dim %d, %d slots, %d bytes", v.dim, len(v.scale), len(v.q))
	}
	for slot, want := range [][]float32{nil, a, nil, b} {
		if (v.scale[slot] != 0) != (want != nil) {
			t.Fatalf("slot %d: scale %v", slot, v.scale[slot])
		}
		for i, x := range want {
			if d := float64(x) - float64(v.scale[slot])*float64(v.q[slot*32+i]); math.Abs(d) > float64(v.scale[slot])/2+1e-7 {
				t.Fatalf("slot %d entry %d: %v stored as %v", slot, i, x, float64(v.scale[slot])*float64(v.q[slot*32+i]))
			}
		}
	}
	w := vecs8{dim: v.dim}
	w.copySlot(0, &v, 3)
	if w.scale[0] != v.scale[3] || w.resid[0] != v.resid[3] || !slices.Equal(w.q, v.q[3*32:]) {
		t.Fatal("copySlot did not copy")
	}
}

// kernelChoices runs f with each set of kernels this processor can run:
// its best, AVX2 only (as without AVX-512), and plain Go.
func kernelChoices(t *testing.T, f func(t *testing.T)) {
	dot8, vnni, mask := haveDot8, haveVNNI, haveMask
	defer func() { haveDot8, haveVNNI, haveMask = dot8, vnni, mask }()
	choices := []struct {
		name             string
		dot8, vnni, mask bool
	}{{"best", dot8, vnni, mask}, {"AVX2", dot8, false, false}, {"Go", false, false, false}}
	for _, c := range choices {
		if c.name == "AVX2" && !dot8 {
			t.Log("no AVX2 here: its kernels are not tested")
			continue
		}
		haveDot8, haveVNNI, haveMask = c.dot8, c.vnni, c.mask
		t.Run(c.name, f)
	}
}

// dot8Batch gives dot8Go's results, with each set of kernels: at the
// extremes of both types, for any number of vectors, at dimensions that
// are and are not multiples of 16, 32 and 64, and at an offset into the
// vectors; and so do dot8Nodes and dot8Pairs.
func TestDot8BatchMatchesGo(t *testing.T) {
	if !haveVNNI {
		t.Log("no AVX-512 VNNI here")
	}
	kernelChoices(t, testDot8Batch)
}

func testDot8Batch(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var qq query16
	for _, dim := range []int{16, 48, 64, 100, 256, 384, 1024} {
		for trial := range 6 {
			var v vecs8
			n := 1 + r.IntN(40)
			for slot := range n {
				vec := randomUnit(r, dim)
				v.set(slot, vec)
				if trial == 0 { // the extremes of int8 (quantize keeps to ±127)
					for i := range dim {
						v.q[slot*dim+i] = int8([]int{127, -127}[(i+slot)%2])
					}
					v.sum[slot] = sum8(v.q[slot*dim : (slot+1)*dim])
				}
			}
			qvec := randomUnit(r, dim)
			if !quantizeQuery(&qq, qvec) {
				t.Fatal("query refused")
			}
			if trial == 1 { // the extremes the query can take
				for i := range qq.q {
					n := []int{32639, -32639, 255, -256, 128, -128}[i%6]
					qq.q[i] = int16(n)
					hi := (n + 128) >> 8
					qq.hi[i], qq.lo[i] = uint8(hi+128), uint8(n-256*hi+128)
				}
			}
			from := r.IntN(n)
			out := make([]int32, n-from)
			dot8Batch(&v, from, &qq, out)
			for i, got := range out {
				slot := from + i
				if want := dot8Go(v.q[slot*dim:(slot+1)*dim], qq.q); got != want {
					t.Fatalf("dim %d trial %d slot %d of %d: %d, want %d", dim, trial, slot, n, got, want)
				}
			}
			// And for vectors in any order, repeated or not.
			nodes := make([]uint32, r.IntN(2*n+1))
			for i := range nodes {
				nodes[i] = uint32(r.IntN(n))
			}
			out = make([]int32, len(nodes))
			dot8Nodes(v.q, v.sum, dim, nodes, &qq, out)
			for i, got := range out {
				d := int(nodes[i]) * dim
				if want := dot8Go(v.q[d:d+dim], qq.q); got != want {
					t.Fatalf("dim %d trial %d: node %d (%d of %d): %d, want %d", dim, trial, nodes[i], i, len(nodes), got, want)
				}
			}
			// And the vectors with each other.
			a := uint32(r.IntN(n))
			dot8Pairs(v.q, v.sum, dim, a, nodes, out)
			for i, got := range out {
				d := int(nodes[i]) * dim
				var want int32
				for k, x := range v.q[int(a)*dim : int(a+1)*dim] {
					want += int32(x) * int32(v.q[d+k])
				}
				if got != want {
					t.Fatalf("dim %d trial %d: node %d with node %d (%d of %d): %d, want %d", dim, trial, a, nodes[i], i, len(nodes), got, want)
				}
			}
		}
	}
}

// The first stage's test in SIMD sets exactly the bits of the records
// whose upper bound, computed as in the kernels (each product rounded to
// float32), passes: with and without a vector, at random and at the
// thresholds' edges.
func TestScanMaskMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	kernels := map[string]func(dots *int32, scale, resid *float32, n int, c *[6]float32, mask *uint16){}
	if haveMask {
		kernels["AVX-512"] = scanMaskAVX512
	}
	if haveDot8 {
		kernels["AVX2"] = scanMaskAVX2
	}
	if len(kernels) == 0 {
		t.Skip("no SIMD test on this machine")
	}
	const n = 256
	dots, scale, resid := make([]int32, n), make([]float32, n), make([]float32, n)
	mask := make([]uint16, n/16)
	for trial := range 200 {
		c := [6]float32{1e-9 * float32(1+r.IntN(100)), 1e-3 * r.Float32(), 1e-2 * r.Float32(), 1e-4, 0.3 * r.Float32(), -1e-5}
		for i := range dots {
			dots[i] = int32(r.IntN(1<<29) - 1<<28)
			scale[i], resid[i] = r.Float32()/127, r.Float32()/100
			if i%7 == 0 {
				scale[i] = 0
			}
		}
		upper := func(i int) float32 {
			approx := float32(float32(dots[i])*c[0]) * scale[i]
			return approx + (min(float32(c[1]*scale[i]), float32(c[2]*resid[i])) + c[3])
		}
		if trial%2 == 0 { // some records exactly at the threshold
			for i := 0; i < n; i += 5 {
				c[4] = upper(i)
			}
		}
		for name, kernel := range kernels {
			clear(mask)
			kernel(&dots[0], &scale[0], &resid[0], n, &c, &mask[0])
			for i := range n {
				hi := upper(i)
				want := scale[i] != 0 && hi >= c[4] && hi > c[5]
				if got := mask[i/16]>>(i%16)&1 == 1; got != want {
					t.Fatalf("%s trial %d record %d: bit %v, want %v (upper %v, threshold %v)", name, trial, i, got, want, hi, c[4])
				}
			}
		}
	}
}

// BenchmarkDot8Batch measures the first stage's products alone, for
// 10,000 vectors of 256 entries, with each set of kernels.
//
//	go test -run '^$' -bench Dot8Batch -benchtime 2000x ./search/
func BenchmarkDot8Batch(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	const n, dim = 10_000, 256
	var v vecs8
	for slot := range n {
		v.set(slot, randomUnit(r, dim))
	}
	var qq query16
	if !quantizeQuery(&qq, randomUnit(r, dim)) {
		b.Fatal("query refused")
	}
	out := make([]int32, n)
	dot8, vnni := haveDot8, haveVNNI
	defer func() { haveDot8, haveVNNI = dot8, vnni }()
	for _, c := range []struct {
		name       string
		dot8, vnni bool
	}{{"best", dot8, vnni}, {"AVX2", dot8, false}, {"Go", false, false}} {
		haveDot8, haveVNNI = c.dot8, c.vnni
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				dot8Batch(&v, 0, &qq, out)
			}
		})
		// As the approximate search compares the query with a node's
		// neighbours: 32 nodes scattered over the vectors.
		nodes := make([]uint32, 32)
		b.Run(c.name+"/nodes", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				for j := range nodes {
					nodes[j] = uint32((i*7919 + j*104729) % n)
				}
				dot8Nodes(v.q, v.sum, dim, nodes, &qq, out)
			}
		})
	}
}
