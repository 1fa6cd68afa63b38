//go:build !amd64

package search

func dot8x8Gather4AVX2(base, v *int8, nodes *uint32, dim, n int, out *int32) {
	panic("search: dot8x8Gather4AVX2 without SIMD")
}

func prefetchNodes(base *int8, nodes *uint32, n, dim int) {}
