package search

// dot8x8Gather4AVX2 writes to out the dot products of the int8 vector v
// with those of nodes, vector i at base + nodes[i]*dim, exactly, with
// AVX2 (build_avx2_amd64.s); n is a multiple of 4, dim of 32, and the
// entries are in -127..127. It is dot8x8Gather4VNNI for processors without
// AVX-512, where the graph builder's comparisons of nodes with each other
// were a plain Go loop.
//
//go:noescape
func dot8x8Gather4AVX2(base, v *int8, nodes *uint32, dim, n int, out *int32)

// prefetchNodes asks for the cache lines of the vectors of n nodes, vector
// i at base + nodes[i]*dim, without waiting for them
// (build_avx2_amd64.s); base need not be valid, dim must be positive.
//
//go:noescape
func prefetchNodes(base *int8, nodes *uint32, n, dim int)
