//go:build !amd64 || purego

package nn

const hasAVX2, hasAVX2FMA = false, false

func sumRowsAVX2(y, w []float64, start []int, idx []int32, cols int, sc float64) {
	panic("nn: no AVX2 kernel")
}

func sumRows8AVX2(y, w []float64, start []int, idx []int32, cols int, sc float64, from int) {
	panic("nn: no AVX2 kernel")
}

func expNegAbsAVX2(dst, src []float64, table *[19][4]float64) { panic("nn: no AVX2 kernel") }

func log1pAVX2(dst, src []float64, table *[17][4]float64) { panic("nn: no AVX2 kernel") }
