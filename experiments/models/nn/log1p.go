package nn

import "math"

// Log1pUnit writes math.Log1p(src[i]) into dst[i] (len(dst) ≥ len(src)),
// with math.Log1p's bits, for arguments such as e^(−|a|) in [0, 1]: a
// Bernoulli's log-partition softplus(a) = max(a, 0) + log1p(e^(−|a|)) needs
// one per logit. The AVX2 kernel (log1p_amd64 in binary_amd64.s) performs
// math.Log1p's operations in its order on four arguments at once, both of
// its branches for the arguments in [0, 1 − 2⁻⁴⁰) blended by their
// conditions; any other argument (NaN, negative, near 1 or above) gets
// math.Log1p itself. It panics if dst is shorter than src.
func Log1pUnit(dst, src []float64) {
	dst = dst[:len(src)]
	n := 0
	if hasAVX2 && !portable && len(src) >= 4 {
		n = len(src) &^ 3
		log1pAVX2(dst[:n], src[:n], &log1pTable)
		for i, x := range src[:n] {
			if !(x >= 0 && x < log1pMax) {
				dst[i] = math.Log1p(x)
			}
		}
	}
	for i := n; i < len(src); i++ {
		dst[i] = math.Log1p(src[i])
	}
}

// log1pMax bounds the kernel's arguments: below it, 1 + x < 2 and the
// normalised mantissa's offset (math.Log1p's iu) is never 0, so
// math.Log1p's special branch for |f| < 2⁻²⁰ is never taken.
const log1pMax = 1 - 0x1p-40

// log1pTable holds the kernel's constants, each four times (one YMM
// register): 1, 2, ½, √2 − 1, 2⁻²⁹, 2⁻⁵⁴, the mantissa mask, the mantissa
// of √2 less one, ln2Hi, ln2Lo, then math.Log1p's coefficients Lp7, …, Lp1.
var log1pTable = func() (t [17][4]float64) {
	const (
		sqrt2M1 = 4.142135623730950488017e-01 // √2 − 1
		small   = 1.0 / (1 << 29)
		tiny    = 1.0 / (1 << 54)
	)
	v := []float64{1, 2, 0.5, sqrt2M1, small, tiny,
		math.Float64frombits(0x000fffffffffffff), math.Float64frombits(0x0006a09e667f3bcd - 1),
		ln2Hi, ln2Lo,
		1.479819860511658591e-01, 1.531383769920937332e-01, 1.818357216161805012e-01,
		2.222219843214978396e-01, 2.857142874366239149e-01, 3.999999999940941908e-01,
		6.666666666666735130e-01}
	for i, c := range v {
		t[i] = [4]float64{c, c, c, c}
	}
	return t
}()
