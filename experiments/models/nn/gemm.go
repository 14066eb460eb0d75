package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemm is blas64.Gemm (c = alpha op(a) op(b) + beta c) with an AVX2 path
// for op(b) = b, alpha = 1 and beta 0 or 1, the products of the layers'
// forward passes and weight gradients. gonum's Dgemm computes these
// (serially or in parallel blocks) by adding a_il b_lj to c_ij for l = 0,
// 1, … in order, each product rounded before it is added and products
// with a_il = 0 skipped, after zeroing c when beta is 0; the AVX2 kernel
// makes the same additions in the same order with a row of c held in
// registers across l, so the two give the same bits
// (TestGemmSameBits). Everything else goes to blas64.Gemm, and so does
// everything when blas64 has been given another implementation (OpenBLAS
// through gonum's netlib binding: make bench-openblas).
func gemm(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	if _, ok := blas64.Implementation().(gonum.Implementation); !ok || !hasAVX2 || portable ||
		tB != blas.NoTrans || alpha != 1 || (beta != 0 && beta != 1) {
		blas64.Gemm(tA, tB, alpha, a, b, beta, c)
		return
	}
	m, k, inca, step := a.Rows, a.Cols, 1, a.Stride
	if tA == blas.Trans {
		m, k, inca, step = a.Cols, a.Rows, a.Stride, 1
	}
	n := c.Cols
	if c.Rows != m || b.Rows != k || b.Cols != n || a.Stride < a.Cols || b.Stride < n || c.Stride < n ||
		len(a.Data) < (a.Rows-1)*a.Stride+a.Cols || len(b.Data) < (k-1)*b.Stride+n || len(c.Data) < (m-1)*c.Stride+n {
		panic(fmt.Sprintf("nn: gemm: op(A) %d × %d, B %d × %d, C %d × %d, or short data", m, k, b.Rows, b.Cols, c.Rows, c.Cols))
	}
	if m == 0 || n == 0 {
		return
	}
	for i := range m {
		row := c.Data[i*c.Stride : i*c.Stride+n]
		if beta == 0 {
			clear(row)
		}
		if k > 0 {
			axpyRowsAVX2(row, b.Data, b.Stride, a.Data[i*step:], inca, k)
		}
	}
}
