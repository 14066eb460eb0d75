//go:build amd64 && !purego

#include "textflag.h"

// func axpyRowsAVX2(c, b []float64, ldb int, a []float64, inca, k int)
// c[j] += a[l*inca] * b[l*ldb+j] for l = 0, …, k−1 in order, each product
// rounded before it is added (VMULPD, then VADDPD: no fused multiply-add),
// products whose a is ±0 skipped, for every j < len(c): the additions
// gonum's Dgemm makes for one row of C when op(B) = B, with that row kept
// in registers across l. Columns go 32 at a time (eight accumulators),
// then 4 at a time, then one at a time.
TEXT ·axpyRowsAVX2(SB), NOSPLIT, $0-96
	MOVQ c_base+0(FP), DI
	MOVQ c_len+8(FP), CX
	MOVQ b_base+24(FP), SI
	MOVQ ldb+48(FP), R8
	SHLQ $3, R8
	MOVQ a_base+56(FP), DX
	MOVQ inca+80(FP), R9
	SHLQ $3, R9
	MOVQ k+88(FP), R10
	XORQ R11, R11
	TESTQ R10, R10
	JLE  done

b32:
	LEAQ    32(R11), AX
	CMPQ    AX, CX
	JGT     b4
	VMOVUPD (DI)(R11*8), Y0
	VMOVUPD 32(DI)(R11*8), Y1
	VMOVUPD 64(DI)(R11*8), Y2
	VMOVUPD 96(DI)(R11*8), Y3
	VMOVUPD 128(DI)(R11*8), Y4
	VMOVUPD 160(DI)(R11*8), Y5
	VMOVUPD 192(DI)(R11*8), Y6
	VMOVUPD 224(DI)(R11*8), Y7
	MOVQ    DX, R13
	LEAQ    (SI)(R11*8), R14
	MOVQ    R10, R12

l32:
	MOVQ         (R13), AX
	SHLQ         $1, AX
	JZ           n32
	VBROADCASTSD (R13), Y8
	VMULPD       (R14), Y8, Y9
	VADDPD       Y9, Y0, Y0
	VMULPD       32(R14), Y8, Y10
	VADDPD       Y10, Y1, Y1
	VMULPD       64(R14), Y8, Y11
	VADDPD       Y11, Y2, Y2
	VMULPD       96(R14), Y8, Y12
	VADDPD       Y12, Y3, Y3
	VMULPD       128(R14), Y8, Y9
	VADDPD       Y9, Y4, Y4
	VMULPD       160(R14), Y8, Y10
	VADDPD       Y10, Y5, Y5
	VMULPD       192(R14), Y8, Y11
	VADDPD       Y11, Y6, Y6
	VMULPD       224(R14), Y8, Y12
	VADDPD       Y12, Y7, Y7

n32:
	ADDQ R9, R13
	ADDQ R8, R14
	DECQ R12
	JNZ  l32
	VMOVUPD Y0, (DI)(R11*8)
	VMOVUPD Y1, 32(DI)(R11*8)
	VMOVUPD Y2, 64(DI)(R11*8)
	VMOVUPD Y3, 96(DI)(R11*8)
	VMOVUPD Y4, 128(DI)(R11*8)
	VMOVUPD Y5, 160(DI)(R11*8)
	VMOVUPD Y6, 192(DI)(R11*8)
	VMOVUPD Y7, 224(DI)(R11*8)
	ADDQ    $32, R11
	JMP     b32

b4:
	LEAQ    4(R11), AX
	CMPQ    AX, CX
	JGT     b1
	VMOVUPD (DI)(R11*8), Y0
	MOVQ    DX, R13
	LEAQ    (SI)(R11*8), R14
	MOVQ    R10, R12

l4:
	MOVQ         (R13), AX
	SHLQ         $1, AX
	JZ           n4
	VBROADCASTSD (R13), Y8
	VMULPD       (R14), Y8, Y9
	VADDPD       Y9, Y0, Y0

n4:
	ADDQ    R9, R13
	ADDQ    R8, R14
	DECQ    R12
	JNZ     l4
	VMOVUPD Y0, (DI)(R11*8)
	ADDQ    $4, R11
	JMP     b4

b1:
	CMPQ   R11, CX
	JGE    done
	VMOVSD (DI)(R11*8), X0
	MOVQ   DX, R13
	LEAQ   (SI)(R11*8), R14
	MOVQ   R10, R12

l1:
	MOVQ   (R13), AX
	SHLQ   $1, AX
	JZ     n1
	VMOVSD (R13), X8
	VMULSD (R14), X8, X9
	VADDSD X9, X0, X0

n1:
	ADDQ   R9, R13
	ADDQ   R8, R14
	DECQ   R12
	JNZ    l1
	VMOVSD X0, (DI)(R11*8)
	INCQ   R11
	JMP    b1

done:
	VZEROUPPER
	RET

// FINISH adds the partial sums of one dot product as gonum's DotUnitary
// does, ((s0 + s2) + (s1 + s3)) with the lanes X = [s0, s1], H = [s2, s3],
// and adds the dot to the c value at C.
#define FINISH(X, H, C) \
	VADDPD    H, X, X     \
	VUNPCKHPD X, X, X15   \
	VADDSD    X, X15, X15 \
	VADDSD    C, X15, X15 \
	VMOVSD    X15, C

// func dotRowsAVX2(c, a, b []float64, ldb, k int)
// c[j] += a[0:k]·b[j*ldb : j*ldb+k] for every j < len(c), each dot as
// gonum's DotUnitary computes it: four partial sums, s_r over l ≡ r mod 4
// for l < k &^ 3, in order, the last k mod 4 products added to s0, then
// ((s0 + s2) + (s1 + s3)); products rounded before they are added. Four
// columns at a time, then one at a time.
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-88
	MOVQ c_base+0(FP), DI
	MOVQ c_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	MOVQ ldb+72(FP), R8
	SHLQ $3, R8
	MOVQ k+80(FP), R10
	MOVQ R10, R9
	ANDQ $-4, R9
	XORQ R11, R11

c4:
	LEAQ   4(R11), AX
	CMPQ   AX, CX
	JGT    c1
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   R11, R13
	IMULQ  R8, R13
	ADDQ   DX, R13
	LEAQ   (R13)(R8*1), R14
	LEAQ   (R14)(R8*1), R15
	LEAQ   (R15)(R8*1), BX
	XORQ   R12, R12

m4:
	CMPQ    R12, R9
	JGE     t4
	VMOVUPD (SI)(R12*8), Y4
	VMULPD  (R13)(R12*8), Y4, Y5
	VADDPD  Y5, Y0, Y0
	VMULPD  (R14)(R12*8), Y4, Y6
	VADDPD  Y6, Y1, Y1
	VMULPD  (R15)(R12*8), Y4, Y7
	VADDPD  Y7, Y2, Y2
	VMULPD  (BX)(R12*8), Y4, Y8
	VADDPD  Y8, Y3, Y3
	ADDQ    $4, R12
	JMP     m4

t4:
	VEXTRACTF128 $1, Y0, X9
	VEXTRACTF128 $1, Y1, X10
	VEXTRACTF128 $1, Y2, X11
	VEXTRACTF128 $1, Y3, X12

r4:
	CMPQ   R12, R10
	JGE    f4
	VMOVSD (SI)(R12*8), X13
	VMULSD (R13)(R12*8), X13, X14
	VADDSD X14, X0, X0
	VMULSD (R14)(R12*8), X13, X14
	VADDSD X14, X1, X1
	VMULSD (R15)(R12*8), X13, X14
	VADDSD X14, X2, X2
	VMULSD (BX)(R12*8), X13, X14
	VADDSD X14, X3, X3
	INCQ   R12
	JMP    r4

f4:
	FINISH(X0, X9, (DI)(R11*8))
	FINISH(X1, X10, 8(DI)(R11*8))
	FINISH(X2, X11, 16(DI)(R11*8))
	FINISH(X3, X12, 24(DI)(R11*8))
	ADDQ $4, R11
	JMP  c4

c1:
	CMPQ   R11, CX
	JGE    dotdone
	VXORPD Y0, Y0, Y0
	MOVQ   R11, R13
	IMULQ  R8, R13
	ADDQ   DX, R13
	XORQ   R12, R12

m1:
	CMPQ    R12, R9
	JGE     t1
	VMOVUPD (SI)(R12*8), Y4
	VMULPD  (R13)(R12*8), Y4, Y5
	VADDPD  Y5, Y0, Y0
	ADDQ    $4, R12
	JMP     m1

t1:
	VEXTRACTF128 $1, Y0, X9

r1:
	CMPQ   R12, R10
	JGE    f1
	VMOVSD (SI)(R12*8), X13
	VMULSD (R13)(R12*8), X13, X14
	VADDSD X14, X0, X0
	INCQ   R12
	JMP    r1

f1:
	FINISH(X0, X9, (DI)(R11*8))
	INCQ R11
	JMP  c1

dotdone:
	VZEROUPPER
	RET
