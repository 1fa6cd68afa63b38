package train

import (
	"fmt"
	"math"
	"sync"
)

// Co-occurrences are counted in integers, window+1-d for a pair d words
// apart (the (11-d)/10 weighting of a window of 10, times 10), so that the
// sums are exact whatever the order of counting.

// maxVocab bounds the words of the SVD: a pair packs two ids in 24 bits
// each.
const maxVocab = 1 << 24

// pairBudget is the most pair occurrences held in memory at once per
// worker; the counting makes as many passes over the corpus as it needs.
const pairBudget = 8 << 20

// pairs is the upper triangle (lo <= hi) of the symmetric co-occurrence
// matrix, sorted by (lo, hi). A word paired with itself counts twice, as
// the two directions of the pair fall on the same cell.
type pairs struct {
	keys   []uint64 // lo<<32 | hi
	counts []uint32
}

// countPairs counts the weighted co-occurrences of the contexts (token ids
// of a vocabulary of n words, tokens[ends[i-1]:ends[i]] being context i).
func countPairs(tokens []uint32, ends []int, n, window, workers int) (pairs, error) {
	if n >= maxVocab {
		return pairs{}, fmt.Errorf("train: %d words is more than the %d the counting supports", n, maxVocab)
	}
	// First pass: how many pairs each lo has, to cut the lo range into
	// passes that fit the budget.
	perLo := make([]int64, n)
	eachPair(tokens, ends, window, func(lo, hi uint32, w uint64) { perLo[lo]++ })
	type span struct {
		lo, hi uint32
		count  int64
	}
	var spans []span
	var acc int64
	start := uint32(0)
	for i, c := range perLo {
		if acc > 0 && acc+c > pairBudget {
			spans = append(spans, span{start, uint32(i), acc})
			start, acc = uint32(i), 0
		}
		acc += c
	}
	spans = append(spans, span{start, uint32(n), acc})

	parts := make([]pairs, len(spans))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(workers, 1))
	for si, sp := range spans {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			buf := make([]uint64, 0, sp.count)
			eachPair(tokens, ends, window, func(lo, hi uint32, w uint64) {
				if lo >= sp.lo && lo < sp.hi {
					buf = append(buf, uint64(lo)<<40|uint64(hi)<<16|w)
				}
			})
			parts[si] = reducePairs(radixSort(buf))
		}()
	}
	wg.Wait()
	var total int
	for _, p := range parts {
		total += len(p.keys)
	}
	out := pairs{keys: make([]uint64, 0, total), counts: make([]uint32, 0, total)}
	for _, p := range parts {
		out.keys = append(out.keys, p.keys...)
		out.counts = append(out.counts, p.counts...)
	}
	return out, nil
}

// eachPair calls f for every pair of tokens at most window apart within a
// context, with lo <= hi and the integer weight window+1-d (doubled on
// the diagonal).
func eachPair(tokens []uint32, ends []int, window int, f func(lo, hi uint32, w uint64)) {
	begin := 0
	for _, end := range ends {
		ctx := tokens[begin:end]
		begin = end
		for p, a := range ctx {
			for d := 1; d <= window && p+d < len(ctx); d++ {
				b := ctx[p+d]
				w := uint64(window + 1 - d)
				switch {
				case a < b:
					f(a, b, w)
				case a > b:
					f(b, a, w)
				default:
					f(a, b, 2*w)
				}
			}
		}
	}
}

// radixSort sorts packed pairs by their top 48 bits (lo, hi), least
// significant digit first, 16 bits at a time, and returns the sorted slice
// (a or a scratch slice of the same length).
func radixSort(a []uint64) []uint64 {
	if len(a) < 2 {
		return a
	}
	tmp := make([]uint64, len(a))
	var count [1 << 16]int
	for shift := uint(16); shift < 64; shift += 16 {
		clear(count[:])
		for _, x := range a {
			count[(x>>shift)&0xffff]++
		}
		if count[(a[0]>>shift)&0xffff] == len(a) {
			continue // one digit value: already in order
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, x := range a {
			d := (x >> shift) & 0xffff
			tmp[count[d]] = x
			count[d]++
		}
		a, tmp = tmp, a
	}
	return a
}

// reducePairs sums the weights of equal (lo, hi) in a sorted slice.
func reducePairs(a []uint64) pairs {
	var p pairs
	for i := 0; i < len(a); {
		key := a[i] >> 16
		var sum uint64
		j := i
		for ; j < len(a) && a[j]>>16 == key; j++ {
			sum += a[j] & 0xffff
		}
		p.keys = append(p.keys, (key>>24)<<32|key&(1<<24-1))
		p.counts = append(p.counts, uint32(min(sum, math.MaxUint32)))
		i = j
	}
	return p
}

// ppmi is the positive PMI matrix with context-distribution smoothing,
// held as log counts in a symmetric CSR structure; the values of M and of
// M^T are computed from them on the fly:
//
//	M[i][j] = max(0, log X_ij + log Z - log N_i - alpha log N_j - shift)
//
// where N are the row sums of X, Z = sum_c N_c^alpha and shift is the
// log k of shifted PPMI (Levy and Goldberg 2014; 0 for plain PPMI).
type ppmi struct {
	n       int
	rowPtr  []int
	cols    []uint32
	lx      []float32 // log X_ij + log Z - shift
	logN    []float32 // log N_i
	alogN   []float32 // alpha log N_i
	workers int
}

// newPPMI builds the matrix from the counted pairs, leaving out the cells
// that are not positive in M nor in M^T.
func newPPMI(p pairs, n int, alpha, shift float64, workers int) *ppmi {
	rowSum := make([]float64, n)
	for e, key := range p.keys {
		lo, hi := key>>32, key&0xffffffff
		c := float64(p.counts[e])
		rowSum[lo] += c
		if lo != hi {
			rowSum[hi] += c
		}
	}
	m := &ppmi{n: n, logN: make([]float32, n), alogN: make([]float32, n), workers: workers}
	var z float64
	for i, s := range rowSum {
		if s > 0 {
			z += math.Pow(s, alpha)
			m.logN[i] = float32(math.Log(s))
			m.alogN[i] = float32(alpha * math.Log(s))
		}
	}
	logZ := math.Log(z) - shift
	keep := func(e int) (lo, hi uint32, lx float32, ok bool) {
		key := p.keys[e]
		lo, hi = uint32(key>>32), uint32(key&0xffffffff)
		lx = float32(math.Log(float64(p.counts[e])) + logZ)
		ok = lx-m.logN[lo]-m.alogN[hi] > 0 || lx-m.logN[hi]-m.alogN[lo] > 0
		return lo, hi, lx, ok
	}
	rowLen := make([]int, n+1)
	for e := range p.keys {
		lo, hi, _, ok := keep(e)
		if !ok {
			continue
		}
		rowLen[lo]++
		if lo != hi {
			rowLen[hi]++
		}
	}
	m.rowPtr = make([]int, n+1)
	for i := range n {
		m.rowPtr[i+1] = m.rowPtr[i] + rowLen[i]
	}
	nnz := m.rowPtr[n]
	m.cols, m.lx = make([]uint32, nnz), make([]float32, nnz)
	// Pairs come sorted by (lo, hi): row r receives its mirrored cells
	// (col < r) in ascending order before its own (col >= r), so every row
	// ends up sorted.
	fill := append([]int(nil), m.rowPtr[:n]...)
	for e := range p.keys {
		lo, hi, lx, ok := keep(e)
		if !ok {
			continue
		}
		m.cols[fill[lo]], m.lx[fill[lo]] = hi, lx
		fill[lo]++
		if lo != hi {
			m.cols[fill[hi]], m.lx[fill[hi]] = lo, lx
			fill[hi]++
		}
	}
	return m
}

func (m *ppmi) size() int { return m.n }

func (m *ppmi) nnz() int { return len(m.cols) }

// mul sets dst = M src, or M^T src, for n x l row-major blocks.
func (m *ppmi) mul(dst, src []float32, l int, transpose bool) {
	rowTerm, colTerm := m.logN, m.alogN
	if transpose {
		rowTerm, colTerm = m.alogN, m.logN
	}
	parallelRange(m.n, 64, m.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out := dst[i*l : (i+1)*l]
			clear(out)
			base := rowTerm[i]
			for e := m.rowPtr[i]; e < m.rowPtr[i+1]; e++ {
				j := m.cols[e]
				v := m.lx[e] - base - colTerm[j]
				if v <= 0 {
					continue
				}
				in := src[int(j)*l : int(j)*l+l]
				for t, x := range in {
					out[t] += v * x
				}
			}
		}
	})
}
