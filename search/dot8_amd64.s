#include "textflag.h"
#include "dot8_amd64.h"

// NODE_CHUNKS4 loads into Z10-Z13 the AX-th 64 bytes of the four
// vectors whose addresses NODE_ADDRS4 put in R12, R13, R14 and R9.
#define NODE_CHUNKS4 \
	VMOVDQU64 (R12)(AX*1), Z10; \
	VMOVDQU64 (R13)(AX*1), Z11; \
	VMOVDQU64 (R14)(AX*1), Z12; \
	VMOVDQU64 (R9)(AX*1), Z13

// The four-vector VNNI kernels below share their sums: Z0-Z7 hold, for
// vectors 0-3 in turn, the products with the query's high bytes (Z8) and
// low bytes (Z9); the vectors' 64-byte chunks are in Z10-Z13.
#define ZERO_SUMS \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7

#define MULTIPLY_ADD4 \
	VPDPBUSD Z10, Z8, Z0; VPDPBUSD Z10, Z9, Z1; \
	VPDPBUSD Z11, Z8, Z2; VPDPBUSD Z11, Z9, Z3; \
	VPDPBUSD Z12, Z8, Z4; VPDPBUSD Z12, Z9, Z5; \
	VPDPBUSD Z13, Z8, Z6; VPDPBUSD Z13, Z9, Z7

// STORE_SUMS4 writes to (out) 256*hi + lo of each vector, its 16 lanes
// summed: VPHADDD gives a01 a23 c01 c23 | a45 a67 c45 c67 (a: vector 0,
// c: vector 1), then v0 v1 v2 v3 in each half, which are added.
#define STORE_SUMS4(out) \
	VPSLLD $8, Z0, Z0; VPADDD Z1, Z0, Z0; \
	VPSLLD $8, Z2, Z2; VPADDD Z3, Z2, Z2; \
	VPSLLD $8, Z4, Z4; VPADDD Z5, Z4, Z4; \
	VPSLLD $8, Z6, Z6; VPADDD Z7, Z6, Z6; \
	VEXTRACTI64X4 $1, Z0, Y1; VPADDD Y1, Y0, Y0; \
	VEXTRACTI64X4 $1, Z2, Y3; VPADDD Y3, Y2, Y2; \
	VEXTRACTI64X4 $1, Z4, Y5; VPADDD Y5, Y4, Y4; \
	VEXTRACTI64X4 $1, Z6, Y7; VPADDD Y7, Y6, Y6; \
	VPHADDD Y2, Y0, Y0; VPHADDD Y6, Y4, Y4; VPHADDD Y4, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; VPADDD X1, X0, X0; \
	VMOVDQU X0, (out)

// func dot8SIMD(v *int8, q *int16, n int) int32
//
// 16 entries at a time: VPMOVSXBW widens 16 int8 to int16, VPMADDWD
// multiplies them with 16 int16 of the query and adds pairs into 8 int32.
// Two accumulators while 32 entries are left.
TEXT ·dot8SIMD(SB), NOSPLIT, $0-28
	MOVQ v+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ n+16(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1

loop32:
	CMPQ CX, $32
	JL   tail16
	VPMOVSXBW (SI), Y2
	VPMOVSXBW 16(SI), Y3
	VPMADDWD  (DI), Y2, Y2
	VPMADDWD  32(DI), Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	JMP       loop32

tail16:
	CMPQ CX, $16
	JL   done
	VPMOVSXBW (SI), Y2
	VPMADDWD  (DI), Y2, Y2
	VPADDD    Y2, Y0, Y0

done:
	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX
	VZEROUPPER
	MOVL         AX, ret+24(FP)
	RET

// func dot8x4VNNI(v *int8, qhi, qlo *uint8, dim, n int, out *int32)
//
// The dot products of n int8 vectors of dim entries, back to back at v
// (n a multiple of 4, dim of 64), with a query split into two bytes per
// entry, q = 256*(qhi-128) + (qlo-128), four vectors at a time with
// AVX-512 VNNI: VPDPBUSD multiplies 64 unsigned bytes of the query with
// 64 signed bytes of a vector and adds groups of four into 16 int32.
// out[i] is 256*Σ qhi·v + Σ qlo·v, which is the dot product plus
// 32896 times the sum of the vector's entries (dot8Batch takes it off);
// int32 wraps, and the final result fits.
TEXT ·dot8x4VNNI(SB), NOSPLIT, $0-48
	MOVQ v+0(FP), SI
	MOVQ qhi+8(FP), R10
	MOVQ qlo+16(FP), R11
	MOVQ dim+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), DI
	LEAQ (R8)(R8*2), R9 // 3*dim

vec4:
	CMPQ CX, $4
	JL   end
	ZERO_SUMS
	XORQ   AX, AX

chunk:
	VMOVDQU64 (R10)(AX*1), Z8
	VMOVDQU64 (R11)(AX*1), Z9
	LEAQ      (SI)(AX*1), BX
	VMOVDQU64 (BX), Z10
	VMOVDQU64 (BX)(R8*1), Z11
	VMOVDQU64 (BX)(R8*2), Z12
	VMOVDQU64 (BX)(R9*1), Z13
	MULTIPLY_ADD4
	ADDQ      $64, AX
	CMPQ      AX, R8
	JL        chunk

	STORE_SUMS4(DI)

	LEAQ (SI)(R8*4), SI
	ADDQ $16, DI
	SUBQ $4, CX
	JMP  vec4

end:
	VZEROUPPER
	RET

// func dot8Gather4VNNI(base *int8, nodes *uint32, dim, n int, qhi, qlo *uint8, out *int32)
//
// dot8x4VNNI for the vectors of the given nodes, vector i at
// base + nodes[i]*dim (n a multiple of 4, dim of 64).
TEXT ·dot8Gather4VNNI(SB), NOSPLIT, $0-56
	MOVQ base+0(FP), SI
	MOVQ nodes+8(FP), DX
	MOVQ dim+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ qhi+32(FP), R10
	MOVQ qlo+40(FP), R11
	MOVQ out+48(FP), DI

gvec4:
	CMPQ CX, $4
	JL   gend
	NODE_ADDRS4(DX)
	ZERO_SUMS
	XORQ   AX, AX

gchunk:
	VMOVDQU64 (R10)(AX*1), Z8
	VMOVDQU64 (R11)(AX*1), Z9
	NODE_CHUNKS4
	MULTIPLY_ADD4
	ADDQ      $64, AX
	CMPQ      AX, R8
	JL        gchunk

	STORE_SUMS4(DI)

	ADDQ $16, DX
	ADDQ $16, DI
	SUBQ $4, CX
	JMP  gvec4

gend:
	VZEROUPPER
	RET

// func dot8x8Gather4VNNI(base, v *int8, nodes *uint32, dim, n int, out *int32)
//
// The dot products of the int8 vector v with the int8 vectors of the
// given nodes, vector i at base + nodes[i]*dim (n a multiple of 4, dim of
// 64), four at a time: v's bytes XOR 0x80 are v+128 unsigned, which
// VPDPBUSD multiplies with the nodes' signed bytes, so out[i] is the dot
// product plus 128 times the sum of node i's entries (dot8Pairs takes it
// off). The sums go in Z1, Z3, Z5 and Z7, so that STORE_SUMS4 adds zeros
// for the high bytes.
TEXT ·dot8x8Gather4VNNI(SB), NOSPLIT, $0-48
	MOVQ base+0(FP), SI
	MOVQ v+8(FP), R10
	MOVQ nodes+16(FP), DX
	MOVQ dim+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), DI
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z15

pvec4:
	CMPQ CX, $4
	JL   pend
	NODE_ADDRS4(DX)
	ZERO_SUMS
	XORQ   AX, AX

pchunk:
	VMOVDQU64 (R10)(AX*1), Z8
	VPXORD    Z15, Z8, Z8
	NODE_CHUNKS4
	VPDPBUSD  Z10, Z8, Z1
	VPDPBUSD  Z11, Z8, Z3
	VPDPBUSD  Z12, Z8, Z5
	VPDPBUSD  Z13, Z8, Z7
	ADDQ      $64, AX
	CMPQ      AX, R8
	JL        pchunk

	STORE_SUMS4(DI)

	ADDQ $16, DX
	ADDQ $16, DI
	SUBQ $4, CX
	JMP  pvec4

pend:
	VZEROUPPER
	RET

// func scanMaskAVX512(dots *int32, scale, resid *float32, n int, c *[6]float32, mask *uint16)
//
// The first stage's test, 16 records at a time: bit i of mask[j] is set
// when record 16j+i has a vector (scale != 0) and its upper bound,
// float32(dots)*c[0]*scale + min(c[1]*scale, c[2]*resid) + c[3], is
// at least c[4] and more than c[5] (see shard.scan). n is a multiple of 16.
// Only Z0-Z15 are used, whose upper halves VZEROUPPER clears, and the
// mask registers are cleared: the thread's AVX-512 state is then back in
// its initial state, which context switches need not save.
TEXT ·scanMaskAVX512(SB), NOSPLIT, $0-48
	MOVQ dots+0(FP), SI
	MOVQ scale+8(FP), R8
	MOVQ resid+16(FP), R9
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), DX
	MOVQ mask+40(FP), DI
	VBROADCASTSS 0(DX), Z8  // query scale
	VBROADCASTSS 4(DX), Z9  // byScale
	VBROADCASTSS 8(DX), Z10  // byResid
	VBROADCASTSS 12(DX), Z11 // slack
	VBROADCASTSS 16(DX), Z12 // threshold
	VBROADCASTSS 20(DX), Z13 // floor
	VPXORD       Z14, Z14, Z14

mloop:
	CMPQ CX, $16
	JL   mend
	VCVTDQ2PS (SI), Z0
	VMULPS    Z8, Z0, Z0
	VMOVUPS   (R8), Z1
	VMULPS    Z1, Z0, Z0
	VMULPS    Z9, Z1, Z2
	VMOVUPS   (R9), Z3
	VMULPS    Z3, Z10, Z3
	VMINPS    Z3, Z2, Z2
	VADDPS    Z11, Z2, Z2
	VADDPS    Z2, Z0, Z0
	VCMPPS    $0x1D, Z12, Z0, K1 // hi >= threshold
	VCMPPS    $0x1E, Z13, Z0, K2 // hi > floor
	VCMPPS    $0x0C, Z14, Z1, K3 // scale != 0
	KANDW     K1, K2, K1
	KANDW     K1, K3, K1
	KMOVW     K1, (DI)
	ADDQ      $64, SI
	ADDQ      $64, R8
	ADDQ      $64, R9
	ADDQ      $2, DI
	SUBQ      $16, CX
	JMP       mloop

mend:
	KXORW K1, K1, K1
	KXORW K2, K2, K2
	KXORW K3, K3, K3
	VZEROUPPER
	RET

// func prefetch3(p unsafe.Pointer)
//
// Asks for the three cache lines from p on, without waiting for them.
TEXT ·prefetch3(SB), NOSPLIT, $0-8
	MOVQ       p+0(FP), AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	RET
