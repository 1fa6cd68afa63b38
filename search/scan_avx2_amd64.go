package search

// The AVX2 kernels (scan_avx2_amd64.s) run where haveDot8 is true and
// the processor lacks AVX-512: four vectors a call for the first stage's
// and the approximate search's products, and the first stage's test 8
// records at a time, which otherwise ran in Go record by record.

// dot8x4AVX2 writes to out the dot products of the int16 query q with n
// vectors of dim int8 at v; n is a multiple of 4, dim of 16.
//
//go:noescape
func dot8x4AVX2(v *int8, q *int16, dim, n int, out *int32)

// dot8Gather4AVX2 is dot8x4AVX2 for the vectors of nodes, vector i at
// base + nodes[i]*dim; n is a multiple of 4, dim of 16.
//
//go:noescape
func dot8Gather4AVX2(base *int8, nodes *uint32, dim, n int, q *int16, out *int32)

// scanMaskAVX2 is scanMaskAVX512 with AVX2; n is a multiple of 16.
//
//go:noescape
func scanMaskAVX2(dots *int32, scale, resid *float32, n int, c *[6]float32, mask *uint16)
