package search

import "math"

// The exact semantic scan compares the query with every record's vector.
// Reading each vector as float32 made that scan most of a hybrid search's
// cost (a 256-number vector is 1 KB, ten megabytes per query at 10,000
// records), so it runs in two stages: a first pass over int8 copies of the
// vectors, a quarter of the bytes, with the query in int16, which also
// bounds each record's error; then the float32 dot product, as before, for
// the records whose bound leaves them a chance of ranking in the top k.
// The result is the exact scan's, record for record and score for score.

// vecs8 are a shard's vectors in int8, by slot and back to back, so that
// the first stage reads nothing else: slot i's vector is approximately
// scale[i] * q[i*dim:(i+1)*dim], and the length of the difference at most
// resid[i]. A slot without a vector of length dim has scale 0.
type vecs8 struct {
	dim   int // the length of the first vector set; 0 before
	q     []int8
	scale []float32
	resid []float32
	sum   []int32 // the sum of each vector's entries, for dot8Batch
	// f is each slot's float32 vector (the slot's doc.vec), for the second
	// stage: reaching it through the slot's doc cost a cache miss more.
	f [][]float32
}

// grow makes room for slots up to slot.
func (v *vecs8) grow(slot int) {
	for len(v.scale) <= slot {
		v.scale, v.resid, v.sum = append(v.scale, 0), append(v.resid, 0), append(v.sum, 0)
		v.f = append(v.f, nil)
		v.q = append(v.q, make([]int8, v.dim)...)
	}
}

// set stores vec, nil or not, as slot's vector.
func (v *vecs8) set(slot int, vec []float32) {
	if v.dim == 0 && len(vec) > 0 {
		// The first vector, possibly after slots without one (a record's
		// vector comes after it is indexed).
		v.dim = len(vec)
		v.q = make([]int8, len(v.scale)*v.dim)
	}
	v.grow(slot)
	v.scale[slot], v.resid[slot], v.sum[slot], v.f[slot] = 0, 0, 0, nil
	if len(vec) != v.dim || v.dim == 0 {
		return
	}
	v.f[slot] = vec
	q := v.q[slot*v.dim : (slot+1)*v.dim]
	v.scale[slot], v.resid[slot] = quantize(q, vec)
	v.sum[slot] = sum8(q)
}

// sum8 is the sum of the entries of q.
func sum8(q []int8) int32 {
	var n int32
	for _, x := range q {
		n += int32(x)
	}
	return n
}

// copySlot sets slot to the vector of slot from of o, which has the same
// dim.
func (v *vecs8) copySlot(slot int, o *vecs8, from int) {
	v.grow(slot)
	v.scale[slot], v.resid[slot], v.sum[slot], v.f[slot] = o.scale[from], o.resid[from], o.sum[from], o.f[from]
	copy(v.q[slot*v.dim:(slot+1)*v.dim], o.q[from*o.dim:(from+1)*o.dim])
}

// quantize writes vec into dst in int8, scaled so that its largest entry
// is ±127, and returns the scale and a bound on the length of the
// difference; a zero scale for a vector of zeros.
func quantize(dst []int8, vec []float32) (scale, resid float32) {
	var big float64
	for _, x := range vec {
		big = max(big, math.Abs(float64(x)))
	}
	if big == 0 || math.IsNaN(big) || math.IsInf(big, 0) {
		clear(dst)
		return 0, 0
	}
	s := big / 127
	var sq float64
	for i, x := range vec {
		n := max(-127, min(127, math.Round(float64(x)/s)))
		dst[i] = int8(n)
		d := float64(x) - n*s
		sq += d * d
	}
	// Rounded up, so that it is a bound whatever float32 makes of it.
	return float32(s), float32(math.Sqrt(sq)*(1+1e-6) + 1e-9)
}

// query16 is a query vector in int16 and the constants that bound the
// first stage's error for each record.
type query16 struct {
	q []int16
	// hi and lo are q in two bytes per entry, each plus 128 (unsigned),
	// q = 256*(hi-128) + (lo-128), for dot8Batch.
	hi, lo []uint8
	scale  float32 // qvec ≈ scale * q
	// A record's float32 dot product lies within
	// min(byScale*v.scale, byResid*v.resid) + slack of its first-stage
	// score (see bound).
	byScale, byResid, slack float32
}

// quantizeQuery fills qq with qvec in int16, scaled so that no dot product
// with an int8 vector of its length can overflow an int32. It reports
// false for a vector it cannot use.
func quantizeQuery(qq *query16, qvec []float32) bool {
	var big float64
	for _, x := range qvec {
		big = max(big, math.Abs(float64(x)))
	}
	if big == 0 || math.IsNaN(big) || math.IsInf(big, 0) || len(qvec) == 0 {
		return false
	}
	// 32639 = 256*127 + 127: the largest that two signed bytes hold.
	top := min(32639, float64(math.MaxInt32/(127*len(qvec))))
	if top < 1 {
		return false
	}
	scale := big / top
	qq.q, qq.hi, qq.lo = qq.q[:0], qq.hi[:0], qq.lo[:0]
	var l1, l2, resid float64
	for _, x := range qvec {
		n := max(-top, min(top, math.Round(float64(x)/scale)))
		qq.q = append(qq.q, int16(n))
		hi := (int(n) + 128) >> 8 // so that n - 256*hi is in [-128, 127]
		qq.hi, qq.lo = append(qq.hi, uint8(hi+128)), append(qq.lo, uint8(int(n)-256*hi+128))
		l1 += math.Abs(n)
		l2 += n * n
		d := float64(x) - n*scale
		resid += d * d
	}
	// With qvec = s·q + e and a record's vector v = t·w + r (q, w the
	// integers, |r| ≤ resid), qvec·v = s·t·(q·w) + s·(q·r) + e·v, where
	// |s·(q·r)| is at most s·|q|₁·t/2 (each entry of r is at most t/2) and
	// at most s·|q|₂·|r|, and |e·v| ≤ |e|·|v| with |v| = 1 (vectors are
	// unit length; 1.001 leaves room for float32). The slack adds what
	// float32 arithmetic may change in the dot product of the exact stage.
	qq.scale = float32(scale)
	qq.byScale = float32(scale * l1 / 2 * (1 + 1e-6))
	qq.byResid = float32(scale * math.Sqrt(l2) * (1 + 1e-6))
	qq.slack = float32(math.Sqrt(resid)*1.001) + 1e-4
	return true
}

// bound is how far a record's float32 dot product with the query may be
// from its first-stage score, given its vector's scale and resid.
func (qq *query16) bound(scale, resid float32) float32 {
	return min(qq.byScale*scale, qq.byResid*resid) + qq.slack
}

// dot8 returns the dot product of an int8 and an int16 vector of the same
// length.
func dot8(v []int8, q []int16) int32 {
	q = q[:len(v)]
	n := len(v) &^ 15
	var sum int32
	if n > 0 && haveDot8 {
		sum = dot8SIMD(&v[0], &q[0], n)
	} else {
		n = 0
	}
	return sum + dot8Go(v[n:], q[n:])
}

// dot8Batch writes to out[i] the dot product of qq.q with the int8
// vector of slot from+i of v, for len(out) slots: four at a time with
// AVX-512 VNNI or else AVX2 where the processor has them, one at a time
// with dot8 for the rest. The results are the same either way.
func dot8Batch(v *vecs8, from int, qq *query16, out []int32) {
	dim, i := v.dim, 0
	if n := len(out) &^ 3; haveVNNI && n > 0 && dim%64 == 0 && len(qq.hi) == dim {
		dot8x4VNNI(&v.q[from*dim], &qq.hi[0], &qq.lo[0], dim, n, &out[0])
		for j, s := range v.sum[from : from+n] {
			out[j] -= 32896 * s // the offsets of hi and lo: 256*128 + 128
		}
		i = n
	} else if haveDot8 && n > 0 && dim%16 == 0 && len(qq.q) == dim {
		dot8x4AVX2(&v.q[from*dim], &qq.q[0], dim, n, &out[0])
		i = n
	}
	for ; i < len(out); i++ {
		slot := from + i
		out[i] = dot8(v.q[slot*dim:(slot+1)*dim], qq.q)
	}
}

// dot8Nodes writes to out[i] the dot product of qq.q with the int8 vector
// of nodes[i] in q8 (vectors of dim back to back, sums their sums), as
// dot8Batch does: with AVX2 the last one to three one at a time.
func dot8Nodes(q8 []int8, sums []int32, dim int, nodes []uint32, qq *query16, out []int32) {
	out = out[:len(nodes)]
	if haveVNNI && len(nodes) > 0 && dim%64 == 0 && len(qq.hi) == dim {
		n := len(nodes) &^ 3
		if n > 0 {
			dot8Gather4VNNI(&q8[0], &nodes[0], dim, n, &qq.hi[0], &qq.lo[0], &out[0])
		}
		if rest := nodes[n:]; len(rest) > 0 {
			// The last one to three, padded with the last.
			var pad [4]uint32
			var res [4]int32
			for i := range pad {
				pad[i] = rest[min(i, len(rest)-1)]
			}
			dot8Gather4VNNI(&q8[0], &pad[0], dim, 4, &qq.hi[0], &qq.lo[0], &res[0])
			copy(out[n:], res[:len(rest)])
		}
		for j, node := range nodes {
			out[j] -= 32896 * sums[node]
		}
		return
	}
	i := 0
	if n := len(nodes) &^ 3; haveDot8 && len(nodes) > 0 && dim%16 == 0 && len(qq.q) == dim {
		if n > 0 {
			dot8Gather4AVX2(&q8[0], &nodes[0], dim, n, &qq.q[0], &out[0])
		}
		i = n
	}
	for ; i < len(nodes); i++ {
		d := int(nodes[i]) * dim
		out[i] = dot8(q8[d:d+dim], qq.q)
	}
}

// dot8Pairs writes to out[i] the dot product of the int8 vector of node a
// with that of nodes[i], in q8 (vectors of dim back to back, sums their
// sums): four at a time with AVX-512 VNNI or AVX2 where the processor has
// it. The graph builder compares nodes with each other this way.
func dot8Pairs(q8 []int8, sums []int32, dim int, a uint32, nodes []uint32, out []int32) {
	out = out[:len(nodes)]
	v := q8[int(a)*dim : int(a+1)*dim]
	vnni := haveVNNI && dim%64 == 0
	if len(nodes) > 0 && (vnni || haveDot8 && dim%32 == 0) {
		n := len(nodes) &^ 3
		if n > 0 {
			dot8Pairs4(vnni, q8, v, nodes, dim, n, out)
		}
		if rest := nodes[n:]; len(rest) > 0 {
			// The last one to three, padded with the last.
			var pad [4]uint32
			var res [4]int32
			for i := range pad {
				pad[i] = rest[min(i, len(rest)-1)]
			}
			dot8Pairs4(vnni, q8, v, pad[:], dim, 4, res[:])
			copy(out[n:], res[:len(rest)])
		}
		if vnni {
			for j, node := range nodes {
				out[j] -= 128 * sums[node] // see dot8x8Gather4VNNI
			}
		}
		return
	}
	for i, node := range nodes {
		w := q8[int(node)*dim : int(node+1)*dim]
		var sum int32
		for k, x := range v {
			sum += int32(x) * int32(w[k])
		}
		out[i] = sum
	}
}

// dot8Pairs4 is dot8Pairs's kernel call for the first n of nodes (a
// multiple of 4): AVX-512 VNNI (with an offset) when vnni, else AVX2.
func dot8Pairs4(vnni bool, q8, v []int8, nodes []uint32, dim, n int, out []int32) {
	if vnni {
		dot8x8Gather4VNNI(&q8[0], &v[0], &nodes[0], dim, n, &out[0])
	} else {
		dot8x8Gather4AVX2(&q8[0], &v[0], &nodes[0], dim, n, &out[0])
	}
}

// dot8Go is dot8 in plain Go.
func dot8Go(v []int8, q []int16) int32 {
	q = q[:len(v)]
	var sum int32
	for i, x := range v {
		sum += int32(x) * int32(q[i])
	}
	return sum
}
