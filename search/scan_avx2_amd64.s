#include "textflag.h"
#include "dot8_amd64.h"

// The AVX2 kernels of the exact scan and the approximate search, for
// processors without AVX-512 (dot8_amd64.s has those with it).

// MADD4_16(off) multiplies the 16 int16 of the query at DI+2*(AX+off)
// with entries AX+off to AX+off+15 of the four vectors at R12, R13, R14
// and R9 (VPMOVSXBW widens them to int16, VPMADDWD adds products in
// pairs into 8 int32), and adds the products into Y0-Y3.
#define MADD4_16(off) \
	VMOVDQU   (2*off)(DI)(AX*2), Y4; \
	VPMOVSXBW off(R12)(AX*1), Y5; \
	VPMOVSXBW off(R13)(AX*1), Y6; \
	VPMOVSXBW off(R14)(AX*1), Y7; \
	VPMOVSXBW off(R9)(AX*1), Y8; \
	VPMADDWD  Y4, Y5, Y5; \
	VPMADDWD  Y4, Y6, Y6; \
	VPMADDWD  Y4, Y7, Y7; \
	VPMADDWD  Y4, Y8, Y8; \
	VPADDD    Y5, Y0, Y0; \
	VPADDD    Y6, Y1, Y1; \
	VPADDD    Y7, Y2, Y2; \
	VPADDD    Y8, Y3, Y3

// DOT4 puts in Y0-Y3 the 8 partial sums of the dot products of the query
// at DI with the four vectors at R12, R13, R14 and R9, dim R8 entries (a
// multiple of 16): 32 entries a turn, then 16 if left. Its labels are
// those of the function it is used in, once.
#define DOT4 \
	VPXOR Y0, Y0, Y0; VPXOR Y1, Y1, Y1; VPXOR Y2, Y2, Y2; VPXOR Y3, Y3, Y3; \
	XORQ  AX, AX; \
	MOVQ  R8, BX; \
	ANDQ  $-32, BX; \
	JZ    d4tail; \
d4loop: \
	MADD4_16(0); \
	MADD4_16(16); \
	ADDQ $32, AX; \
	CMPQ AX, BX; \
	JL   d4loop; \
d4tail: \
	CMPQ AX, R8; \
	JGE  d4done; \
	MADD4_16(0); \
d4done:

// STORE4(out) adds up the 8 lanes of each of Y0-Y3 and writes the four
// sums to (out): VPHADDD gives a01 a23 b01 b23 | a45 a67 b45 b67, then
// a0123 b0123 c0123 d0123 | a4567 b4567 c4567 d4567, whose halves are
// added.
#define STORE4(out) \
	VPHADDD      Y1, Y0, Y0; \
	VPHADDD      Y3, Y2, Y2; \
	VPHADDD      Y2, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPADDD       X1, X0, X0; \
	VMOVDQU      X0, (out)

// func dot8x4AVX2(v *int8, q *int16, dim, n int, out *int32)
//
// The dot products of the int16 query q with n int8 vectors of dim
// entries, back to back at v (n a multiple of 4, dim of 16), four vectors
// at a time, so that each 32 bytes of the query are read once for four
// vectors and the four sums are added up together. int32 wraps, and the
// final results fit (quantizeQuery).
TEXT ·dot8x4AVX2(SB), NOSPLIT, $0-40
	MOVQ v+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ dim+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX

bvec4:
	CMPQ CX, $4
	JL   bend
	MOVQ SI, R12
	LEAQ (SI)(R8*1), R13
	LEAQ (SI)(R8*2), R14
	LEAQ (R13)(R8*2), R9
	DOT4
	STORE4(DX)
	LEAQ (SI)(R8*4), SI
	ADDQ $16, DX
	SUBQ $4, CX
	JMP  bvec4

bend:
	VZEROUPPER
	RET

// func dot8Gather4AVX2(base *int8, nodes *uint32, dim, n int, q *int16, out *int32)
//
// dot8x4AVX2 for the vectors of the given nodes, vector i at
// base + nodes[i]*dim (n a multiple of 4, dim of 16).
TEXT ·dot8Gather4AVX2(SB), NOSPLIT, $0-48
	MOVQ base+0(FP), SI
	MOVQ nodes+8(FP), R10
	MOVQ dim+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ q+32(FP), DI
	MOVQ out+40(FP), DX

gvec4:
	CMPQ  CX, $4
	JL    gend
	NODE_ADDRS4(R10)
	DOT4
	STORE4(DX)
	ADDQ  $16, R10
	ADDQ  $16, DX
	SUBQ  $4, CX
	JMP   gvec4

gend:
	VZEROUPPER
	RET

// MASK8(off, reg) is the first stage's test of the 8 records at byte
// offset off, as scanMaskAVX512 makes it, with its 8 bits put in reg.
#define MASK8(off, reg) \
	VCVTDQ2PS off(SI), Y0; \
	VMULPS    Y8, Y0, Y0; \
	VMOVUPS   off(R8), Y1; \
	VMULPS    Y1, Y0, Y0; \
	VMULPS    Y9, Y1, Y2; \
	VMOVUPS   off(R9), Y3; \
	VMULPS    Y3, Y10, Y3; \
	VMINPS    Y3, Y2, Y2; \
	VADDPS    Y11, Y2, Y2; \
	VADDPS    Y2, Y0, Y0; \
	VCMPPS    $0x1D, Y12, Y0, Y4; \
	VCMPPS    $0x1E, Y13, Y0, Y5; \
	VCMPPS    $0x0C, Y14, Y1, Y6; \
	VANDPS    Y5, Y4, Y4; \
	VANDPS    Y6, Y4, Y4; \
	VMOVMSKPS Y4, reg

// func scanMaskAVX2(dots *int32, scale, resid *float32, n int, c *[6]float32, mask *uint16)
//
// scanMaskAVX512 with AVX2: the same arithmetic, 8 records at a time,
// two for each 16 bits of mask (n a multiple of 16). Bit i of mask[j] is
// set when record 16j+i has a vector (scale != 0) and its upper bound,
// float32(dots)*c[0]*scale + min(c[1]*scale, c[2]*resid) + c[3], is at
// least c[4] and more than c[5].
TEXT ·scanMaskAVX2(SB), NOSPLIT, $0-48
	MOVQ         dots+0(FP), SI
	MOVQ         scale+8(FP), R8
	MOVQ         resid+16(FP), R9
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), DX
	MOVQ         mask+40(FP), DI
	VBROADCASTSS 0(DX), Y8   // query scale
	VBROADCASTSS 4(DX), Y9   // byScale
	VBROADCASTSS 8(DX), Y10  // byResid
	VBROADCASTSS 12(DX), Y11 // slack
	VBROADCASTSS 16(DX), Y12 // threshold
	VBROADCASTSS 20(DX), Y13 // floor
	VXORPS       Y14, Y14, Y14

mloop:
	CMPQ CX, $16
	JL   mend
	MASK8(0, AX)
	MASK8(32, BX)
	SHLL $8, BX
	ORL  BX, AX
	MOVW AX, (DI)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $2, DI
	SUBQ $16, CX
	JMP  mloop

mend:
	VZEROUPPER
	RET
