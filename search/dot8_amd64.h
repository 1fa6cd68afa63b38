// Macros shared by the assembly kernels of package search.

// NODE_ADDRS4 puts in R12, R13, R14 and R9 the addresses of the vectors
// of the four nodes (uint32 numbers) at register nodes: base SI + node *
// dim R8.
#define NODE_ADDRS4(nodes) \
	MOVL (nodes), R12; \
	IMULQ R8, R12; \
	ADDQ SI, R12; \
	MOVL 4(nodes), R13; \
	IMULQ R8, R13; \
	ADDQ SI, R13; \
	MOVL 8(nodes), R14; \
	IMULQ R8, R14; \
	ADDQ SI, R14; \
	MOVL 12(nodes), R9; \
	IMULQ R8, R9; \
	ADDQ SI, R9
