package nn

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemm is blas64.Gemm (c = alpha op(a) op(b) + beta c) with AVX2 paths
// for A·B, Aᵀ·B and A·Bᵀ at alpha = 1 and beta 0 or 1: the products of the
// layers' forward passes, weight gradients and input gradients. They give
// gonum's bits (TestGemmSameBits) by making gonum's operations in gonum's
// order, after zeroing c when beta is 0:
//
//   - A·B and Aᵀ·B: gonum adds a_il b_lj to c_ij for l = 0, 1, … in order
//     (serially or in parallel blocks), each product rounded before it is
//     added and products with a_il = 0 skipped; the kernel does the same
//     with a row of c held in registers across l.
//   - A·Bᵀ: gonum adds to c_ij the dot product of row i of A and row j of B
//     as its DotUnitary computes it, over all of k when it runs serially and
//     over each block of gonumBlock columns of k in turn when it splits C
//     into parallel blocks (at least gonumMinPar of them); the kernel makes
//     the same dot products, four at a time.
//
// Everything else goes to blas64.Gemm, and so does everything when blas64
// has been given another implementation (OpenBLAS through gonum's netlib
// binding: make bench-openblas).
func gemm(tA, tB blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	if _, ok := blas64.Implementation().(gonum.Implementation); !ok || !hasAVX2 || portable ||
		(tA == blas.Trans && tB == blas.Trans) || alpha != 1 || (beta != 0 && beta != 1) {
		blas64.Gemm(tA, tB, alpha, a, b, beta, c)
		return
	}
	m, k, inca, step := a.Rows, a.Cols, 1, a.Stride
	if tA == blas.Trans {
		m, k, inca, step = a.Cols, a.Rows, a.Stride, 1
	}
	n, bk := b.Cols, b.Rows
	if tB == blas.Trans {
		n, bk = b.Rows, b.Cols
	}
	if c.Rows != m || c.Cols != n || bk != k || a.Stride < a.Cols || b.Stride < b.Cols || c.Stride < n ||
		len(a.Data) < (a.Rows-1)*a.Stride+a.Cols || len(b.Data) < (b.Rows-1)*b.Stride+b.Cols || len(c.Data) < (m-1)*c.Stride+n {
		panic(fmt.Sprintf("nn: gemm: op(A) %d × %d, op(B) %d × %d, C %d × %d, or short data", m, k, bk, n, c.Rows, c.Cols))
	}
	if m == 0 || n == 0 {
		return
	}
	// The k block of A·Bᵀ's dot products: gonum's parallel blocks, or all
	// of k when it runs serially.
	kb := k
	if blocks(m)*blocks(n) >= gonumMinPar {
		kb = gonumBlock
	}
	for i := range m {
		row := c.Data[i*c.Stride : i*c.Stride+n]
		if beta == 0 {
			clear(row)
		}
		if k == 0 {
			continue
		}
		if tB == blas.NoTrans {
			axpyRowsAVX2(row, b.Data, b.Stride, a.Data[i*step:], inca, k)
			continue
		}
		for l := 0; l < k; l += kb {
			dotRowsAVX2(row, a.Data[i*a.Stride+l:], b.Data[l:], b.Stride, min(kb, k-l))
		}
	}
}

// gonum's Dgemm splits C into gonumBlock × gonumBlock blocks computed in
// parallel, each along k in blocks as wide, when there are at least
// gonumMinPar of them (gonum/blas/gonum: blockSize, minParBlock).
const gonumBlock, gonumMinPar = 64, 4

// blocks returns the number of gonumBlock-wide blocks of n.
func blocks(n int) int { return (n + gonumBlock - 1) / gonumBlock }

// MatMul writes the m × n product of a (m × k) and b (k × n), all
// row-major, into c, with the bits of blas64.Gemm (no transposes, alpha 1,
// beta 0): each c_ij adds the products a_il·b_lj for l = 0, 1, … in order,
// each rounded before it is added, to zero, skipping those with a_il = 0.
// For finite values that is the sum a loop over l makes, since the
// skipped products are zeros and a sum that starts at +0 never becomes −0.
// It runs on one core with gemm's AVX2 kernel; without AVX2 it calls
// blas64.Gemm, which may use several (and, with another blas64
// implementation installed, need not give these bits). It panics on
// lengths that do not match the sizes.
func MatMul(c, a, b []float64, m, k, n int) {
	if len(a) != m*k || len(b) != k*n || len(c) != m*n {
		panic(fmt.Sprintf("nn: MatMul: len(a), len(b), len(c) = %d, %d, %d for %d × %d times %d × %d", len(a), len(b), len(c), m, k, k, n))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c)
		return
	}
	gemm(blas.NoTrans, blas.NoTrans, 1, general(m, k, a), general(k, n, b), 0, general(m, n, c))
}
