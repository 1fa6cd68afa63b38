package train

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
)

// This file holds the dense linear algebra of training: a randomized
// truncated SVD (Halko, Martinsson and Tropp, 2011, algorithm 4.4) of the
// sparse PPMI matrix, with Householder QR and a Jacobi eigensolver for the
// small projected problem. Every parallel loop either writes disjoint rows
// or columns, or sums per-block partials in block order, so results do not
// depend on the number of workers or on scheduling.

// linearOperator is a matrix that can be applied to a block of vectors:
// dst = A src (or A^T src), both n x l row-major.
type linearOperator interface {
	size() int
	mul(dst, src []float32, l int, transpose bool)
}

// randomizedSVD returns the top k left singular vectors (n x k, row-major)
// and singular values of a, with oversampling p and q power iterations.
func randomizedSVD(a linearOperator, k, p, q int, rng *rand.Rand, workers int, logf func(string, ...any)) ([]float64, []float64) {
	n := a.size()
	l := min(k+p, n)
	omega := make([]float32, n*l)
	for i := range omega {
		omega[i] = float32(normal(rng))
	}
	y := make([]float32, n*l)
	a.mul(y, omega, l, false)
	qm := omega // reused: Omega is not needed again
	orthonormalize(qm, y, n, l, workers)
	for it := range q {
		a.mul(y, qm, l, true)
		orthonormalize(qm, y, n, l, workers)
		a.mul(y, qm, l, false)
		orthonormalize(qm, y, n, l, workers)
		logf("  power iteration %d of %d done", it+1, q)
	}
	// B = Q^T A is l x n; its left singular vectors are the eigenvectors of
	// B B^T = (A^T Q)^T (A^T Q), a small l x l problem.
	bt := y
	a.mul(bt, qm, l, true)
	g := gram(bt, n, l, workers)
	vals, vecs := symmetricEigen(g, l)
	k = min(k, l)
	sigma := make([]float64, k)
	for j := range k {
		sigma[j] = math.Sqrt(max(vals[j], 0))
	}
	// U = Q W[:, :k].
	u := make([]float64, n*k)
	parallelRange(n, 256, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			qr := qm[i*l : (i+1)*l]
			ur := u[i*k : (i+1)*k]
			for t, x := range qr {
				if x == 0 {
					continue
				}
				w := vecs[t*l : t*l+k]
				for j := range ur {
					ur[j] += float64(x) * w[j]
				}
			}
		}
	})
	return u, sigma
}

// orthonormalize sets dst (n x l, row-major) to orthonormal columns
// spanning the columns of y (Householder QR, so a rank-deficient y still
// gives orthonormal columns).
func orthonormalize(dst, y []float32, n, l, workers int) {
	// Column-major float64 copy: reflections work on whole columns.
	a := make([]float64, n*l)
	for i := range n {
		for j := range l {
			a[j*n+i] = float64(y[i*l+j])
		}
	}
	col := func(m []float64, j int) []float64 { return m[j*n : (j+1)*n] }
	// Factor: column j of a becomes the unit reflector v_j, zero above j.
	for j := range l {
		v := col(a, j)
		var norm float64
		for _, x := range v[j:] {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for i := range j {
			v[i] = 0
		}
		if norm == 0 {
			// A dependent column: any reflector keeps Q orthogonal.
			v[j] = 1
			continue
		}
		alpha := -norm
		if v[j] < 0 {
			alpha = norm
		}
		v[j] -= alpha
		var vn float64
		for _, x := range v[j:] {
			vn += x * x
		}
		if vn == 0 {
			v[j] = 1
			continue
		}
		inv := 1 / math.Sqrt(vn)
		for i := j; i < n; i++ {
			v[i] *= inv
		}
		parallelCols(j+1, l, workers, func(c int) { householder(col(a, c)[j:], v[j:]) })
	}
	// Q = H_0 H_1 ... H_{l-1} applied to the first l columns of I.
	qm := make([]float64, n*l)
	for j := range l {
		qm[j*n+j] = 1
	}
	for j := l - 1; j >= 0; j-- {
		v := col(a, j)[j:]
		parallelCols(j, l, workers, func(c int) { householder(col(qm, c)[j:], v) })
	}
	for i := range n {
		for j := range l {
			dst[i*l+j] = float32(qm[j*n+i])
		}
	}
}

// householder applies I - 2 v v^T (v a unit vector) to x.
func householder(x, v []float64) {
	x = x[:len(v)]
	var s float64
	for i, vi := range v {
		s += vi * x[i]
	}
	if s == 0 {
		return
	}
	s *= 2
	for i, vi := range v {
		x[i] -= s * vi
	}
}

// gramBlock is the number of rows summed into one partial Gram matrix;
// fixed, so that the sum's order does not depend on the worker count.
const gramBlock = 4096

// gram returns M^T M (l x l, row-major) of an n x l row-major matrix.
func gram(m []float32, n, l, workers int) []float64 {
	blocks := (n + gramBlock - 1) / gramBlock
	partial := make([][]float64, blocks)
	parallelRange(blocks, 1, workers, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			g := make([]float64, l*l)
			for i := b * gramBlock; i < min(n, (b+1)*gramBlock); i++ {
				r := m[i*l : (i+1)*l]
				for s, x := range r {
					if x == 0 {
						continue
					}
					gs := g[s*l : (s+1)*l]
					xs := float64(x)
					for t := s; t < l; t++ {
						gs[t] += xs * float64(r[t])
					}
				}
			}
			partial[b] = g
		}
	})
	g := make([]float64, l*l)
	for _, p := range partial {
		for i, x := range p {
			g[i] += x
		}
	}
	for s := range l {
		for t := s + 1; t < l; t++ {
			g[t*l+s] = g[s*l+t]
		}
	}
	return g
}

// symmetricEigen returns the eigenvalues of the symmetric l x l matrix a,
// largest first, and the eigenvectors as the columns of an l x l row-major
// matrix (cyclic Jacobi). Each vector's largest entry is made positive so
// that the signs are canonical.
func symmetricEigen(a []float64, l int) ([]float64, []float64) {
	a = append([]float64(nil), a...)
	v := make([]float64, l*l)
	for i := range l {
		v[i*l+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off, total float64
		for i := range l {
			for j := range l {
				x := a[i*l+j] * a[i*l+j]
				total += x
				if i != j {
					off += x
				}
			}
		}
		if off <= 1e-30*total || off == 0 {
			break
		}
		for p := 0; p < l-1; p++ {
			for q := p + 1; q < l; q++ {
				apq := a[p*l+q]
				if apq == 0 {
					continue
				}
				app, aqq := a[p*l+p], a[q*l+q]
				theta := (aqq - app) / (2 * apq)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range l {
					akp, akq := a[k*l+p], a[k*l+q]
					a[k*l+p] = c*akp - s*akq
					a[k*l+q] = s*akp + c*akq
				}
				for k := range l {
					apk, aqk := a[p*l+k], a[q*l+k]
					a[p*l+k] = c*apk - s*aqk
					a[q*l+k] = s*apk + c*aqk
				}
				for k := range l {
					vkp, vkq := v[k*l+p], v[k*l+q]
					v[k*l+p] = c*vkp - s*vkq
					v[k*l+q] = s*vkp + c*vkq
				}
			}
		}
	}
	order := make([]int, l)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return a[order[x]*l+order[x]] > a[order[y]*l+order[y]] })
	vals := make([]float64, l)
	vecs := make([]float64, l*l)
	for j, o := range order {
		vals[j] = a[o*l+o]
		big := 0
		for i := range l {
			if math.Abs(v[i*l+o]) > math.Abs(v[big*l+o]) {
				big = i
			}
		}
		sign := 1.0
		if v[big*l+o] < 0 {
			sign = -1
		}
		for i := range l {
			vecs[i*l+j] = sign * v[i*l+o]
		}
	}
	return vals, vecs
}

// normal returns a standard normal deviate (Box-Muller), built on the
// generator's raw bits so that the sequence is fixed by the seed alone.
func normal(rng *rand.Rand) float64 {
	for {
		u := float64(rng.Uint64()>>11) / (1 << 53)
		if u == 0 {
			continue
		}
		v := float64(rng.Uint64()>>11) / (1 << 53)
		return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
	}
}

// parallelRange calls f on consecutive chunks of [0, n) of the given size
// from up to workers goroutines.
func parallelRange(n, chunk, workers int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunk = max(chunk, 1)
	if workers <= 1 || n <= chunk {
		f(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				f(lo, min(n, lo+chunk))
			}
		}()
	}
	wg.Wait()
}

// parallelCols calls f for each c in [lo, hi).
func parallelCols(lo, hi, workers int, f func(c int)) {
	parallelRange(hi-lo, 4, workers, func(a, b int) {
		for c := lo + a; c < lo+b; c++ {
			f(c)
		}
	})
}
