//go:build !amd64 || purego

package nn

func axpyRowsAVX2(c, b []float64, ldb int, a []float64, inca, k int) {
	panic("nn: no AVX2 kernel")
}

func dotRowsAVX2(c, a, b []float64, ldb, k int) { panic("nn: no AVX2 kernel") }
