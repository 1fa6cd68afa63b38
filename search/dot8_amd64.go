package search

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveDot8 says whether the AVX2 kernels run here (dot8SIMD and those of
// scan_avx2_amd64.s), and haveVNNI whether dot8x4VNNI, dot8Gather4VNNI
// and dot8x8Gather4VNNI do.
var (
	haveDot8 = cpu.X86.HasAVX2
	haveVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI
	// haveMask says whether scanMaskAVX512 runs here.
	haveMask = cpu.X86.HasAVX512F
)

// dot8SIMD returns the dot product of v[:n] and q[:n], n a multiple of 16,
// with AVX2 (dot8_amd64.s).
//
//go:noescape
func dot8SIMD(v *int8, q *int16, n int) int32

// dot8x4VNNI writes to out the dot products of n vectors of dim int8 at v
// with the query split in qhi and qlo, plus 32896 times each vector's sum
// (dot8_amd64.s); n is a multiple of 4, dim of 64.
//
//go:noescape
func dot8x4VNNI(v *int8, qhi, qlo *uint8, dim, n int, out *int32)

// dot8Gather4VNNI is dot8x4VNNI for the vectors of nodes, vector i at
// base + nodes[i]*dim (dot8_amd64.s); n is a multiple of 4.
//
//go:noescape
func dot8Gather4VNNI(base *int8, nodes *uint32, dim, n int, qhi, qlo *uint8, out *int32)

// dot8x8Gather4VNNI writes to out the dot products of the int8 vector v
// with those of nodes, vector i at base + nodes[i]*dim, plus 128 times
// each node's sum (dot8_amd64.s); n is a multiple of 4, dim of 64.
//
//go:noescape
func dot8x8Gather4VNNI(base, v *int8, nodes *uint32, dim, n int, out *int32)

// scanMaskAVX512 is the first stage's test of the scan for n records, 16
// at a time (dot8_amd64.s).
//
//go:noescape
func scanMaskAVX512(dots *int32, scale, resid *float32, n int, c *[6]float32, mask *uint16)

// prefetch3 asks for the three cache lines from p on, without waiting for
// them (dot8_amd64.s); p need not be valid.
//
//go:noescape
func prefetch3(p unsafe.Pointer)
