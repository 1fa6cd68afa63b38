package search

import (
	"math"
	"math/rand/v2"
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
