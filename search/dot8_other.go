//go:build !amd64

package search

import "unsafe"

// Variables, not constants, so that tests can switch kernels the same way
// on every architecture.
var (
	haveDot8 = false
	haveVNNI = false
	haveMask = false
)

func dot8SIMD(v *int8, q *int16, n int) int32 { panic("search: dot8SIMD without SIMD") }

func dot8x4VNNI(v *int8, qhi, qlo *uint8, dim, n int, out *int32) {
	panic("search: dot8x4VNNI without SIMD")
}

func dot8Gather4VNNI(base *int8, nodes *uint32, dim, n int, qhi, qlo *uint8, out *int32) {
	panic("search: dot8Gather4VNNI without SIMD")
}

func dot8x8Gather4VNNI(base, v *int8, nodes *uint32, dim, n int, out *int32) {
	panic("search: dot8x8Gather4VNNI without SIMD")
}

func scanMaskAVX512(dots *int32, scale, resid *float32, n int, c *[6]float32, mask *uint16) {
	panic("search: scanMaskAVX512 without SIMD")
}

func prefetch3(p unsafe.Pointer) {}
