//go:build !amd64

package search

const haveDot8 = false

func dot8SIMD(v *int8, q *int16, n int) int32 { panic("search: dot8SIMD without SIMD") }
