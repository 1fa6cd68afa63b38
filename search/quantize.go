package search

import "math"

// quantized is a unit vector kept as int8 numbers and one scale, v ≈
// scale * q: a quarter of the memory of float32, and a scan that moves a
// quarter of the bytes. Ranking changes by far less than the differences
// between legs that fusion looks at.
type quantized struct {
	q     []int8 // nil: no vector
	scale float32
}

func quantize(v []float32) quantized {
	if v == nil {
		return quantized{}
	}
	var maxAbs float32
	for _, x := range v {
		maxAbs = max(maxAbs, float32(math.Abs(float64(x))))
	}
	if maxAbs == 0 {
		return quantized{}
	}
	scale := maxAbs / 127
	q := make([]int8, len(v))
	for i, x := range v {
		q[i] = int8(math.Round(float64(x / scale)))
	}
	return quantized{q: q, scale: scale}
}

// dotInt8 is the dot product of two equally long int8 vectors. Four
// accumulators let the additions overlap; no allocation.
func dotInt8(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += int32(a[i]) * int32(b[i])
		s1 += int32(a[i+1]) * int32(b[i+1])
		s2 += int32(a[i+2]) * int32(b[i+2])
		s3 += int32(a[i+3]) * int32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}
