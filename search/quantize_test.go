package search

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestQuantizedDotMatchesFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	unit := func() []float32 {
		v := make([]float32, 256)
		var n float64
		for i := range v {
			v[i] = float32(r.NormFloat64())
			n += float64(v[i] * v[i])
		}
		for i := range v {
			v[i] /= float32(math.Sqrt(n))
		}
		return v
	}
	for range 200 {
		a, b := unit(), unit()
		var exact float32
		for i := range a {
			exact += a[i] * b[i]
		}
		qa, qb := quantize(a), quantize(b)
		approx := float32(dotInt8(qa.q, qb.q)) * qa.scale * qb.scale
		if d := math.Abs(float64(approx - exact)); d > 0.01 {
			t.Fatalf("int8 dot %.4f, float dot %.4f", approx, exact)
		}
	}
	if q := quantize(make([]float32, 8)); q.q != nil {
		t.Fatal("a zero vector must quantize to no vector")
	}
	if q := quantize(nil); q.q != nil {
		t.Fatal("nil must quantize to no vector")
	}
}
