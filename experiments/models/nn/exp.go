package nn

import "math"

// Constants of expNegAbs: Cody and Waite's split of ln 2 (the high part
// has trailing zero bits, so k·ln2Hi is exact for the k used here) and the
// Taylor coefficients 1/j! of e^r, j = 0, …, 13, whose remainder on
// |r| ≤ ln 2 / 2 is below 10⁻¹⁷ relative.
const (
	log2e = 1.44269504088896338700e+00
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
	// expMin is the smallest argument expNegAbs computes itself; below
	// (and for NaN) it defers to math.Exp, as 2^k would be subnormal.
	expMin = -708
)

var expCoef = [14]float64{1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
	1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800}

// ExpNegAbs writes e^(−|src[i]|) into dst[i] (len(dst) ≥ len(src)), to
// within 2 ulp of math.Exp, several times faster (see expNegAbs). It
// panics if dst is shorter than src.
func ExpNegAbs(dst, src []float64) { expNegAbs(dst, src) }

// expNegAbs writes e^(−|src[i]|) into dst[i] (len(dst) ≥ len(src)), to
// within 2 ulp of math.Exp (TestExpNegAbs): k = round(x·log₂e), r = x −
// k ln 2 in two parts, e^r by Horner's rule with fused multiply–adds, times
// 2^k. The loops of the Bernoulli log-likelihood need one such exponential
// per pixel and spend most of their time in it; math.Exp's branches cost
// several times as much there. The AVX2 kernel (exp_amd64.s) performs the
// same operations in the same order and gives the same bits.
func expNegAbs(dst, src []float64) {
	dst = dst[:len(src)]
	n := 0
	if hasAVX2FMA && !portable && len(src) >= 4 {
		n = len(src) &^ 3
		expNegAbsAVX2(dst[:n], src[:n], &expTable)
		for i, s := range src[:n] {
			if x := -math.Abs(s); !(x >= expMin) {
				dst[i] = math.Exp(x)
			}
		}
	}
	for i := n; i < len(src); i++ {
		dst[i] = expNegAbs1(src[i])
	}
}

// expNegAbs1 is expNegAbs for one value.
func expNegAbs1(s float64) float64 {
	x := -math.Abs(s)
	if !(x >= expMin) {
		return math.Exp(x)
	}
	k := math.RoundToEven(x * log2e)
	r := math.FMA(-k, ln2Lo, math.FMA(-k, ln2Hi, x))
	p := expCoef[13]
	for j := 12; j >= 0; j-- {
		p = math.FMA(p, r, expCoef[j])
	}
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// expTable holds the kernel's constants, each four times (one YMM
// register): sign mask, log₂e, −ln2Hi, −ln2Lo, 2⁵²·1.5 + 1023, then
// expCoef[13], …, expCoef[0].
var expTable = func() (t [5 + 14][4]float64) {
	v := []float64{math.Float64frombits(1 << 63), log2e, -ln2Hi, -ln2Lo, 0x1.8p52 + 1023}
	for j := 13; j >= 0; j-- {
		v = append(v, expCoef[j])
	}
	for i, c := range v {
		t[i] = [4]float64{c, c, c, c}
	}
	return t
}()
