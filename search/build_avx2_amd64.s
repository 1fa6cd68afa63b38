#include "textflag.h"
#include "dot8_amd64.h"

// func dot8x8Gather4AVX2(base, v *int8, nodes *uint32, dim, n int, out *int32)
//
// The dot products of the int8 vector v with those of nodes, vector i at
// base + nodes[i]*dim (n a multiple of 4, dim of 32), four nodes at a
// time with AVX2. VPMADDUBSW multiplies unsigned bytes with signed ones,
// so v's bytes go in as |v| (VPABSB) and the node's with v's signs
// (VPSIGNB): |v|·sign(w, v) = v·w. Each pair of products is at most
// 2·127·127 < 32768, so the int16 sums do not saturate (entries are in
// -127..127, as quantize makes them); VPMADDWD with ones adds the pairs
// into int32. The results are exact, without offsets.
TEXT ·dot8x8Gather4AVX2(SB), NOSPLIT, $0-48
	MOVQ base+0(FP), SI
	MOVQ v+8(FP), R10
	MOVQ nodes+16(FP), DX
	MOVQ dim+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), DI
	MOVL $0x00010001, AX
	MOVD AX, X15
	VPBROADCASTD X15, Y15 // sixteen int16 ones

vec4:
	CMPQ CX, $4
	JL   end

	NODE_ADDRS4(DX) // the addresses of the four nodes' vectors

	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	XORQ  AX, AX

chunk:
	VMOVDQU    (R10)(AX*1), Y8
	VPABSB     Y8, Y9
	VMOVDQU    (R12)(AX*1), Y10
	VMOVDQU    (R13)(AX*1), Y11
	VMOVDQU    (R14)(AX*1), Y12
	VMOVDQU    (R9)(AX*1), Y13
	VPSIGNB    Y8, Y10, Y10
	VPSIGNB    Y8, Y11, Y11
	VPSIGNB    Y8, Y12, Y12
	VPSIGNB    Y8, Y13, Y13
	VPMADDUBSW Y10, Y9, Y10
	VPMADDUBSW Y11, Y9, Y11
	VPMADDUBSW Y12, Y9, Y12
	VPMADDUBSW Y13, Y9, Y13
	VPMADDWD   Y15, Y10, Y10
	VPMADDWD   Y15, Y11, Y11
	VPMADDWD   Y15, Y12, Y12
	VPMADDWD   Y15, Y13, Y13
	VPADDD     Y10, Y0, Y0
	VPADDD     Y11, Y1, Y1
	VPADDD     Y12, Y2, Y2
	VPADDD     Y13, Y3, Y3
	ADDQ       $32, AX
	CMPQ       AX, R8
	JL         chunk

	// Each node's eight lanes summed: VPHADDD gives a01 a23 b01 b23 |
	// a45 a67 b45 b67 (a, b: nodes 0 and 1) and the same for c and d,
	// then a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7, whose halves are
	// added.
	VPHADDD      Y1, Y0, Y0
	VPHADDD      Y3, Y2, Y2
	VPHADDD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VMOVDQU      X0, (DI)

	ADDQ $16, DX
	ADDQ $16, DI
	SUBQ $4, CX
	JMP  vec4

end:
	VZEROUPPER
	RET

// func prefetchNodes(base *int8, nodes *uint32, n, dim int)
//
// Asks for the cache lines of the vectors of n nodes, vector i at
// base + nodes[i]*dim (dim > 0), without waiting for them.
TEXT ·prefetchNodes(SB), NOSPLIT, $0-32
	MOVQ base+0(FP), SI
	MOVQ nodes+8(FP), DX
	MOVQ n+16(FP), CX
	MOVQ dim+24(FP), R8
	TESTQ CX, CX
	JLE  pend

pnode:
	MOVL  (DX), AX
	IMULQ R8, AX
	ADDQ  SI, AX
	MOVQ  R8, BX

pline:
	PREFETCHT0 (AX)
	ADDQ       $64, AX
	SUBQ       $64, BX
	JG         pline
	ADDQ       $4, DX
	DECQ       CX
	JNZ        pnode

pend:
	RET
