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

// quantized is a vector in int8: v ≈ scale * q, with the length of the
// difference at most resid.
type quantized struct {
	q     []int8
	scale float32
	resid float32
}

// quantize returns v in int8, scaled so that its largest entry is ±127;
// nil q for a zero vector.
func quantize(v []float32) quantized {
	var big float32
	for _, x := range v {
		big = max(big, float32(math.Abs(float64(x))))
	}
	if big == 0 || math.IsNaN(float64(big)) || math.IsInf(float64(big), 0) {
		return quantized{}
	}
	scale := float64(big) / 127
	q := make([]int8, len(v))
	var sq float64
	for i, x := range v {
		n := max(-127, min(127, math.Round(float64(x)/scale)))
		q[i] = int8(n)
		d := float64(x) - n*scale
		sq += d * d
	}
	// Rounded up, so that it is a bound whatever float32 makes of it.
	return quantized{q: q, scale: float32(scale), resid: float32(math.Sqrt(sq)*(1+1e-6) + 1e-9)}
}

// query16 is a query vector in int16 and the constants that bound the
// first stage's error for each record.
type query16 struct {
	q     []int16
	scale float32 // qvec ≈ scale * q
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
	top := min(32767, float64(math.MaxInt32/(127*len(qvec))))
	if top < 1 {
		return false
	}
	scale := big / top
	qq.q = qq.q[:0]
	var l1, l2, resid float64
	for _, x := range qvec {
		n := max(-top, min(top, math.Round(float64(x)/scale)))
		qq.q = append(qq.q, int16(n))
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
// from its first-stage score.
func (qq *query16) bound(v *quantized) float32 {
	return min(qq.byScale*v.scale, qq.byResid*v.resid) + qq.slack
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

// dot8Go is dot8 in plain Go.
func dot8Go(v []int8, q []int16) int32 {
	q = q[:len(v)]
	var sum int32
	for i, x := range v {
		sum += int32(x) * int32(q[i])
	}
	return sum
}
