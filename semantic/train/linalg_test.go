package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// denseOp is a small dense matrix as a linearOperator.
type denseOp struct {
	n int
	a []float64 // n x n row-major
}

func (d denseOp) size() int { return d.n }

func (d denseOp) mul(dst, src []float32, l int, transpose bool) {
	clear(dst[:d.n*l])
	for i := range d.n {
		for j := range d.n {
			v := d.a[i*d.n+j]
			if transpose {
				v = d.a[j*d.n+i]
			}
			for t := range l {
				dst[i*l+t] += float32(v) * src[j*l+t]
			}
		}
	}
}

func TestRandomizedSVD(t *testing.T) {
	const n, k = 60, 5
	rng := rand.New(rand.NewPCG(11, 11))
	random := func() []float32 {
		m := make([]float32, n*n)
		for i := range m {
			m[i] = float32(normal(rng))
		}
		q := make([]float32, n*n)
		orthonormalize(q, m, n, n, 2)
		return q
	}
	u, v := random(), random()
	// Orthonormal columns, as QR promises.
	for a := range n {
		for b := range n {
			var s float64
			for i := range n {
				s += float64(u[i*n+a]) * float64(u[i*n+b])
			}
			if want := float64(boolInt(a == b)); math.Abs(s-want) > 1e-5 {
				t.Fatalf("Q columns %d and %d: dot %v", a, b, s)
			}
		}
	}
	sigma := make([]float64, n)
	for i := range sigma {
		sigma[i] = 0.01
	}
	copy(sigma, []float64{10, 8, 6, 4, 2})
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			for r, s := range sigma {
				a[i*n+j] += s * float64(u[i*n+r]) * float64(v[j*n+r])
			}
		}
	}
	for _, workers := range []int{1, 3} {
		gotU, gotS := randomizedSVD(denseOp{n, a}, k, 5, 2, rand.New(rand.NewPCG(1, 1)), workers, t.Logf)
		for r := range k {
			if math.Abs(gotS[r]-sigma[r]) > 1e-3*sigma[r] {
				t.Errorf("singular value %d: %v, want %v", r, gotS[r], sigma[r])
			}
			var d float64
			for i := range n {
				d += gotU[i*k+r] * float64(u[i*n+r])
			}
			if math.Abs(d) < 0.999 {
				t.Errorf("singular vector %d: |cos| %v", r, math.Abs(d))
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestOrthonormalizeRankDeficient(t *testing.T) {
	const n, l = 20, 4
	y := make([]float32, n*l)
	for i := range n {
		y[i*l] = float32(i + 1)
		y[i*l+1] = 2 * float32(i+1) // dependent
		// columns 2 and 3 stay zero
	}
	q := make([]float32, n*l)
	orthonormalize(q, y, n, l, 1)
	for a := range l {
		for b := range l {
			var s float64
			for i := range n {
				s += float64(q[i*l+a]) * float64(q[i*l+b])
			}
			if want := float64(boolInt(a == b)); math.Abs(s-want) > 1e-5 {
				t.Errorf("columns %d and %d: dot %v", a, b, s)
			}
		}
	}
}

func TestCountPairs(t *testing.T) {
	// Two contexts: 0 1 0 and 2 1. Window 2: weights 2 (adjacent), 1.
	p, err := countPairs([]uint32{0, 1, 0, 2, 1}, []int{3, 5}, 3, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]uint64]uint32{}
	for e, key := range p.keys {
		got[[2]uint64{key >> 32, key & 0xffffffff}] = p.counts[e]
	}
	// (0,1) twice adjacent: 4; (0,0) at distance 2: 1, doubled: 2; (1,2): 2.
	want := map[[2]uint64]uint32{{0, 1}: 4, {0, 0}: 2, {1, 2}: 2}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("pair %v: %d, want %d", k, got[k], v)
		}
	}
	for e := 1; e < len(p.keys); e++ {
		if p.keys[e] <= p.keys[e-1] {
			t.Fatal("pairs not sorted")
		}
	}
}
