#include "textflag.h"

// func sums2(buf []float64, sh0, sh1 float64, out *[8]float64)
//
// The two lanes of each SSE2 register hold the two components: lane 0
// the even-indexed values of buf, lane 1 the odd ones. Every lane
// computes, in order, what the scalar loop of sums2Go computes.
TEXT ·sums2(SB), NOSPLIT, $0-48
	MOVQ   buf_base+0(FP), SI
	MOVQ   buf_len+8(FP), CX
	MOVSD  sh0+24(FP), X0
	MOVHPD sh1+32(FP), X0 // X0 = [sh0, sh1]
	MOVQ   out+40(FP), DI
	XORPD  X1, X1         // [p1, q1]
	XORPD  X2, X2         // [p2, q2]
	XORPD  X3, X3         // [p3, q3]
	XORPD  X4, X4         // [p4, q4]
	SHRQ   $1, CX
	JZ     done

loop:
	MOVUPD (SI), X5
	SUBPD  X0, X5 // y = b − shift
	MOVAPD X5, X6
	MULPD  X5, X6 // y²
	ADDPD  X5, X1 // s1 += y
	ADDPD  X6, X2 // s2 += y²
	MOVAPD X6, X7
	MULPD  X5, X7 // y²·y
	ADDPD  X7, X3 // s3 += y²·y
	MULPD  X6, X6 // y²·y²
	ADDPD  X6, X4 // s4 += y²·y²
	ADDQ   $16, SI
	DECQ   CX
	JNZ    loop

done:
	MOVUPD X1, 0(DI)
	MOVUPD X2, 16(DI)
	MOVUPD X3, 32(DI)
	MOVUPD X4, 48(DI)
	RET
