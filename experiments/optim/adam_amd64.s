//go:build amd64 && !purego

#include "textflag.h"

// func adamSSE2(x, g, m, v []float64, k *[8]float64)
// For i < len(g) (even), two at a time, Adam.Step's operations in its
// order, none fused: m = β1·m + (1−β1)·g; v = β2·v + ((1−β2)·g)·g;
// x = x − (lr·(m/c1)) / (√(v/c2) + ε), with k = {β1, 1−β1, β2, 1−β2, c1,
// c2, lr, ε}.
TEXT ·adamSSE2(SB), NOSPLIT, $0-104
	MOVQ    x_base+0(FP), DI
	MOVQ    g_base+24(FP), SI
	MOVQ    g_len+32(FP), CX
	MOVQ    m_base+48(FP), R8
	MOVQ    v_base+72(FP), R9
	MOVQ    k+96(FP), R10
	MOVDDUP 0(R10), X8   // β1
	MOVDDUP 8(R10), X9   // 1 − β1
	MOVDDUP 16(R10), X10 // β2
	MOVDDUP 24(R10), X11 // 1 − β2
	MOVDDUP 32(R10), X12 // c1
	MOVDDUP 40(R10), X13 // c2
	MOVDDUP 48(R10), X14 // lr
	MOVDDUP 56(R10), X15 // ε
	SHRQ    $1, CX
	JZ      done
	XORQ    AX, AX

loop:
	MOVUPD (SI)(AX*8), X0 // g
	MOVUPD (R8)(AX*8), X1 // m
	MULPD  X8, X1         // β1·m
	MOVAPD X0, X2
	MULPD  X9, X2         // (1−β1)·g
	ADDPD  X2, X1         // m
	MOVUPD X1, (R8)(AX*8)
	MOVUPD (R9)(AX*8), X3 // v
	MULPD  X10, X3        // β2·v
	MOVAPD X0, X4
	MULPD  X11, X4        // (1−β2)·g
	MULPD  X0, X4         // ((1−β2)·g)·g
	ADDPD  X4, X3         // v
	MOVUPD X3, (R9)(AX*8)
	DIVPD  X12, X1        // m/c1
	MULPD  X14, X1        // lr·(m/c1)
	DIVPD  X13, X3        // v/c2
	SQRTPD X3, X3
	ADDPD  X15, X3        // √(v/c2) + ε
	DIVPD  X3, X1
	MOVUPD (DI)(AX*8), X5 // x
	SUBPD  X1, X5
	MOVUPD X5, (DI)(AX*8)
	ADDQ   $2, AX
	DECQ   CX
	JNZ    loop

done:
	RET
