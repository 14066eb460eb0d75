//go:build amd64 && !purego

#include "textflag.h"

// func sumRowsAVX2(y, w []float64, start []int, idx []int32, cols int, sc float64)
// For each 32-column block c < cols/32 (eight accumulators: independent
// chains of additions, enough to hide their latency) and each row s < len(start)-1:
// acc = 0 + w[idx[t]][c] + ... over t in [start[s], start[s+1]), in order;
// y[s][c] = y[s][c] + sc*acc.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-112
	MOVQ         y_base+0(FP), DI
	MOVQ         w_base+24(FP), SI
	MOVQ         start_base+48(FP), R8
	MOVQ         start_len+56(FP), CX
	DECQ         CX
	MOVQ         idx_base+72(FP), R9
	MOVQ         cols+96(FP), R10
	VBROADCASTSD sc+104(FP), Y15
	MOVQ         R10, R11
	SHRQ         $5, R11
	JZ           dones
	TESTQ        CX, CX
	JLE          dones
	XORQ         R12, R12

chunk:
	XORQ R13, R13

row:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   (R8)(R13*8), R14
	MOVQ   8(R8)(R13*8), DX
	CMPQ   R14, DX
	JGE    store

ones:
	MOVLQSX (R9)(R14*4), AX
	IMULQ   R10, AX
	ADDQ    R12, AX
	VADDPD  (SI)(AX*8), Y0, Y0
	VADDPD  32(SI)(AX*8), Y1, Y1
	VADDPD  64(SI)(AX*8), Y2, Y2
	VADDPD  96(SI)(AX*8), Y3, Y3
	VADDPD  128(SI)(AX*8), Y4, Y4
	VADDPD  160(SI)(AX*8), Y5, Y5
	VADDPD  192(SI)(AX*8), Y6, Y6
	VADDPD  224(SI)(AX*8), Y7, Y7
	INCQ    R14
	CMPQ    R14, DX
	JLT     ones

store:
	MOVQ    R13, BX
	IMULQ   R10, BX
	ADDQ    R12, BX
	VMULPD  Y15, Y0, Y0
	VADDPD  (DI)(BX*8), Y0, Y0
	VMOVUPD Y0, (DI)(BX*8)
	VMULPD  Y15, Y1, Y1
	VADDPD  32(DI)(BX*8), Y1, Y1
	VMOVUPD Y1, 32(DI)(BX*8)
	VMULPD  Y15, Y2, Y2
	VADDPD  64(DI)(BX*8), Y2, Y2
	VMOVUPD Y2, 64(DI)(BX*8)
	VMULPD  Y15, Y3, Y3
	VADDPD  96(DI)(BX*8), Y3, Y3
	VMOVUPD Y3, 96(DI)(BX*8)
	VMULPD  Y15, Y4, Y4
	VADDPD  128(DI)(BX*8), Y4, Y4
	VMOVUPD Y4, 128(DI)(BX*8)
	VMULPD  Y15, Y5, Y5
	VADDPD  160(DI)(BX*8), Y5, Y5
	VMOVUPD Y5, 160(DI)(BX*8)
	VMULPD  Y15, Y6, Y6
	VADDPD  192(DI)(BX*8), Y6, Y6
	VMOVUPD Y6, 192(DI)(BX*8)
	VMULPD  Y15, Y7, Y7
	VADDPD  224(DI)(BX*8), Y7, Y7
	VMOVUPD Y7, 224(DI)(BX*8)
	INCQ    R13
	CMPQ    R13, CX
	JLT     row
	ADDQ    $32, R12
	DECQ    R11
	JNZ     chunk

dones:
	VZEROUPPER
	RET

// func sumRows8AVX2(y, w []float64, start []int, idx []int32, cols int, sc float64, from int)
// sumRowsAVX2 with 8-column blocks (two accumulators), from column from to
// cols &^ 7.
TEXT ·sumRows8AVX2(SB), NOSPLIT, $0-120
	MOVQ         y_base+0(FP), DI
	MOVQ         w_base+24(FP), SI
	MOVQ         start_base+48(FP), R8
	MOVQ         start_len+56(FP), CX
	DECQ         CX
	MOVQ         idx_base+72(FP), R9
	MOVQ         cols+96(FP), R10
	VBROADCASTSD sc+104(FP), Y15
	MOVQ         from+112(FP), R12
	MOVQ         R10, R11
	SHRQ         $3, R11
	MOVQ         R12, AX
	SHRQ         $3, AX
	SUBQ         AX, R11
	JLE          done8
	TESTQ        CX, CX
	JLE          done8

chunk8:
	XORQ R13, R13

row8:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ   (R8)(R13*8), R14
	MOVQ   8(R8)(R13*8), DX
	CMPQ   R14, DX
	JGE    store8

ones8:
	MOVLQSX (R9)(R14*4), AX
	IMULQ   R10, AX
	ADDQ    R12, AX
	VADDPD  (SI)(AX*8), Y0, Y0
	VADDPD  32(SI)(AX*8), Y1, Y1
	INCQ    R14
	CMPQ    R14, DX
	JLT     ones8

store8:
	MOVQ    R13, BX
	IMULQ   R10, BX
	ADDQ    R12, BX
	VMULPD  Y15, Y0, Y0
	VADDPD  (DI)(BX*8), Y0, Y0
	VMOVUPD Y0, (DI)(BX*8)
	VMULPD  Y15, Y1, Y1
	VADDPD  32(DI)(BX*8), Y1, Y1
	VMOVUPD Y1, 32(DI)(BX*8)
	INCQ    R13
	CMPQ    R13, CX
	JLT     row8
	ADDQ    $8, R12
	DECQ    R11
	JNZ     chunk8

done8:
	VZEROUPPER
	RET

// func cpuid(eax, ecx uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eax+0(FP), AX
	MOVL ecx+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL   $0, CX
	XGETBV
	MOVL   AX, eax+0(FP)
	MOVL   DX, edx+4(FP)
	RET

// func expNegAbsAVX2(dst, src []float64, table *[19][4]float64)
// dst[i] = 2^k · p(r) for x = −|src[i]|, k = round(x·log₂e),
// r = (x − k·ln2Hi) − k·ln2Lo, p Horner's rule on the Taylor coefficients,
// for i < len(src) (a multiple of 4). Arguments below −708 give garbage,
// fixed up by the caller.
TEXT ·expNegAbsAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	MOVQ table+48(FP), R8
	SHRQ $2, CX
	JZ   donee
	XORQ AX, AX
	VMOVUPD 0(R8), Y8    // sign mask
	VMOVUPD 32(R8), Y9   // log2e
	VMOVUPD 64(R8), Y10  // -ln2Hi
	VMOVUPD 96(R8), Y11  // -ln2Lo
	VMOVUPD 128(R8), Y12 // 1.5*2^52 + 1023

loope:
	VMOVUPD     (SI)(AX*8), Y0
	VORPD       Y8, Y0, Y0            // x = -|s|
	VMULPD      Y9, Y0, Y1            // x*log2e
	VROUNDPD    $8, Y1, Y1            // k, to nearest even
	VMOVAPD     Y0, Y2
	VFMADD231PD Y10, Y1, Y2           // r = k*(-ln2Hi) + x
	VFMADD231PD Y11, Y1, Y2           // r = k*(-ln2Lo) + r
	VMOVUPD     160(R8), Y3           // c13
	VFMADD213PD 192(R8), Y2, Y3       // p = r*p + c12
	VFMADD213PD 224(R8), Y2, Y3
	VFMADD213PD 256(R8), Y2, Y3
	VFMADD213PD 288(R8), Y2, Y3
	VFMADD213PD 320(R8), Y2, Y3
	VFMADD213PD 352(R8), Y2, Y3
	VFMADD213PD 384(R8), Y2, Y3
	VFMADD213PD 416(R8), Y2, Y3
	VFMADD213PD 448(R8), Y2, Y3
	VFMADD213PD 480(R8), Y2, Y3
	VFMADD213PD 512(R8), Y2, Y3
	VFMADD213PD 544(R8), Y2, Y3
	VFMADD213PD 576(R8), Y2, Y3       // p = r*p + c0
	VADDPD      Y12, Y1, Y4           // bits: 0x4338... + k + 1023
	VPSLLQ      $52, Y4, Y4           // 2^k
	VMULPD      Y4, Y3, Y3
	VMOVUPD     Y3, (DI)(AX*8)
	ADDQ        $4, AX
	DECQ        CX
	JNZ         loope

donee:
	VZEROUPPER
	RET

// func log1pAVX2(dst, src []float64, table *[17][4]float64)
// dst[i] = math.Log1p(src[i]) for src[i] in [0, 1 − 2⁻⁴⁰), i < len(src) (a
// multiple of 4), by math.Log1p's operations in its order: for x < √2 − 1
// (k = 0) f = x; otherwise u = 1 + x, c = (x − (u − 1))/u, and u's mantissa
// normalised to [√2/2, √2) (k = 1 when halved) gives f = u − 1. Then hfsq =
// ½f·f, s = f/(2 + f), z = s², R = z(Lp1 + z(Lp2 + … + z·Lp7)), and the
// result is f − (hfsq − s(hfsq + R)) for k = 0 and ln2Hi − ((hfsq −
// (s(hfsq + R) + (ln2Lo + c))) − f) for k = 1; below 2⁻²⁹ it is
// x − x·x·½, below 2⁻⁵⁴ x itself. No multiply–add is fused.
TEXT ·log1pAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	MOVQ table+48(FP), R8
	SHRQ $2, CX
	JZ   donel
	XORQ AX, AX

loopl:
	VMOVUPD   (SI)(AX*8), Y0         // x
	VADDPD    0(R8), Y0, Y1          // u = 1 + x
	VSUBPD    0(R8), Y1, Y2          // u − 1
	VSUBPD    Y2, Y0, Y2             // x − (u − 1)
	VDIVPD    Y1, Y2, Y2             // c
	VANDPD    192(R8), Y1, Y3        // iu: u's mantissa
	VPCMPGTQ  224(R8), Y3, Y4        // halved: iu ≥ √2's mantissa
	VMOVUPD   0(R8), Y5
	VBLENDVPD Y4, 64(R8), Y5, Y5     // exponent bits of 1 or ½
	VORPD     Y3, Y5, Y5             // u normalised
	VSUBPD    0(R8), Y5, Y5          // f of the k path
	VCMPPD    $0x1d, 96(R8), Y0, Y6  // x ≥ √2 − 1 (GE_OQ)
	VBLENDVPD Y6, Y5, Y0, Y7         // f
	VANDPD    Y6, Y4, Y4             // k = 1
	VMULPD    64(R8), Y7, Y8         // ½f
	VMULPD    Y7, Y8, Y8             // hfsq
	VADDPD    32(R8), Y7, Y9         // 2 + f
	VDIVPD    Y9, Y7, Y9             // s
	VMULPD    Y9, Y9, Y10            // z
	VMULPD    320(R8), Y10, Y11      // z·Lp7
	VADDPD    352(R8), Y11, Y11      // Lp6 + …
	VMULPD    Y10, Y11, Y11
	VADDPD    384(R8), Y11, Y11      // Lp5 + …
	VMULPD    Y10, Y11, Y11
	VADDPD    416(R8), Y11, Y11      // Lp4 + …
	VMULPD    Y10, Y11, Y11
	VADDPD    448(R8), Y11, Y11      // Lp3 + …
	VMULPD    Y10, Y11, Y11
	VADDPD    480(R8), Y11, Y11      // Lp2 + …
	VMULPD    Y10, Y11, Y11
	VADDPD    512(R8), Y11, Y11      // Lp1 + …
	VMULPD    Y10, Y11, Y11          // R
	VADDPD    Y11, Y8, Y12           // hfsq + R
	VMULPD    Y9, Y12, Y12           // s(hfsq + R)
	VSUBPD    Y12, Y8, Y13           // hfsq − s(hfsq + R)
	VSUBPD    Y13, Y7, Y13           // k = 0: f − (…)
	VADDPD    288(R8), Y2, Y14       // ln2Lo + c
	VADDPD    Y14, Y12, Y14          // s(hfsq + R) + (ln2Lo + c)
	VSUBPD    Y14, Y8, Y14           // hfsq − (…)
	VSUBPD    Y7, Y14, Y14           // (…) − f
	VMOVUPD   256(R8), Y15
	VSUBPD    Y14, Y15, Y14          // k = 1: ln2Hi − (…)
	VBLENDVPD Y4, Y14, Y13, Y15      // by k
	VMULPD    Y0, Y0, Y1             // x·x
	VMULPD    64(R8), Y1, Y1         // x·x·½
	VSUBPD    Y1, Y0, Y1             // x − x·x·½
	VCMPPD    $0x11, 128(R8), Y0, Y2 // x < 2⁻²⁹ (LT_OQ)
	VBLENDVPD Y2, Y1, Y15, Y15
	VCMPPD    $0x11, 160(R8), Y0, Y3 // x < 2⁻⁵⁴
	VBLENDVPD Y3, Y0, Y15, Y15
	VMOVUPD   Y15, (DI)(AX*8)
	ADDQ      $4, AX
	DECQ      CX
	JNZ       loopl

donel:
	VZEROUPPER
	RET
