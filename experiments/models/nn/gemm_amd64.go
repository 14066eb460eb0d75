//go:build amd64 && !purego

package nn

// axpyRowsAVX2 adds Σ_l a[l·inca] b[l·ldb + j] to c[j] for every j <
// len(c), l = 0, …, k−1 in order, as gonum's Dgemm does for one row of C
// (gemm_amd64.s).
//
//go:noescape
func axpyRowsAVX2(c, b []float64, ldb int, a []float64, inca, k int)

// dotRowsAVX2 adds a[:k]·b[j·ldb : j·ldb+k] to c[j] for every j < len(c),
// each dot product as gonum's DotUnitary computes it (gemm_amd64.s).
//
//go:noescape
func dotRowsAVX2(c, a, b []float64, ldb, k int)
