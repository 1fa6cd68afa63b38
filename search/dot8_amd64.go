package search

import "golang.org/x/sys/cpu"

// haveDot8 says whether dot8SIMD runs here.
var haveDot8 = cpu.X86.HasAVX2

// dot8SIMD returns the dot product of v[:n] and q[:n], n a multiple of 16,
// with AVX2 (dot8_amd64.s).
//
//go:noescape
func dot8SIMD(v *int8, q *int16, n int) int32
