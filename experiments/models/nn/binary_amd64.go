//go:build amd64 && !purego

package nn

// Implemented in binary_amd64.s: the AVX2 loop of Binary.sumRows over
// the first cols &^ 31 columns, and the CPU feature queries.
//
//go:noescape
func sumRowsAVX2(y, w []float64, start []int, idx []int32, cols int, sc float64)

// sumRows8AVX2 is sumRowsAVX2 over 8-column blocks from column from
// (a multiple of 8) to cols &^ 7.
//
//go:noescape
func sumRows8AVX2(y, w []float64, start []int, idx []int32, cols int, sc float64, from int)

func cpuid(eax, ecx uint32) (a, b, c, d uint32)
func xgetbv() (eax, edx uint32)

// hasAVX2 reports whether the CPU has AVX2 and the OS saves its registers.
var hasAVX2 = func() bool {
	max, _, _, _ := cpuid(0, 0)
	if max < 7 {
		return false
	}
	_, _, c, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if c&osxsave == 0 || c&avx == 0 {
		return false
	}
	if lo, _ := xgetbv(); lo&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0
}()

// expNegAbsAVX2 is expNegAbs's vector loop over len(src) (a multiple of 4)
// values, without the fix-up below expMin (exp_amd64 in binary_amd64.s).
//
//go:noescape
func expNegAbsAVX2(dst, src []float64, table *[19][4]float64)

// hasAVX2FMA reports whether expNegAbsAVX2 can run: AVX2 and FMA.
var hasAVX2FMA = func() bool {
	_, _, c, _ := cpuid(1, 0)
	return hasAVX2 && c&(1<<12) != 0
}()

// log1pAVX2 is Log1pUnit's vector loop over len(src) (a multiple of 4)
// values, without the fix-up of arguments outside [0, log1pMax)
// (log1p_amd64 in binary_amd64.s).
//
//go:noescape
func log1pAVX2(dst, src []float64, table *[17][4]float64)
