//go:build !amd64

package search

func dot8x4AVX2(v *int8, q *int16, dim, n int, out *int32) {
	panic("search: dot8x4AVX2 without SIMD")
}

func dot8Gather4AVX2(base *int8, nodes *uint32, dim, n int, q *int16, out *int32) {
	panic("search: dot8Gather4AVX2 without SIMD")
}

func scanMaskAVX2(dots *int32, scale, resid *float32, n int, c *[6]float32, mask *uint16) {
	panic("search: scanMaskAVX2 without SIMD")
}
