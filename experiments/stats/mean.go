package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// ZTest returns the z statistic and two-sided p-value of H0: the quantity
// estimated by est (with standard error se) equals ref (known with standard
// error refSE, 0 for an exact reference):
//
//	z = (est − ref) / sqrt(se² + refSE²).
//
// If the combined standard error is zero, z is 0 when est == ref (p = 1)
// and ±Inf otherwise (p = 0). Any NaN input gives NaN results.
func ZTest(est, se, ref, refSE float64) (z, p float64) {
	if math.IsNaN(est) || math.IsNaN(se) || math.IsNaN(ref) || math.IsNaN(refSE) {
		return math.NaN(), math.NaN()
	}
	d := est - ref
	s := math.Hypot(se, refSE)
	if s == 0 {
		if d == 0 {
			return 0, 1
		}
		return math.Inf(int(math.Copysign(1, d))), 0
	}
	z = d / s
	return z, NormalTwoSidedP(z)
}

// MeanZTest tests H0: the mean of the distribution m was sampled from equals
// ref, known with standard error refSE (0 for a closed-form reference). It
// returns the z statistic (m.Mean() − ref)/sqrt(m.SE()² + refSE²) and its
// two-sided normal p-value; see ZTest. The normal approximation is the usual
// one for a bias check over many replications; the results are NaN with
// fewer than two observations.
func MeanZTest(m Moments, ref, refSE float64) (z, p float64) {
	return ZTest(m.Mean(), m.SE(), ref, refSE)
}

// MeanCI returns the two-sided Student t confidence interval for the mean at
// the given level, mean ∓ t_{n−1}·SE. Both ends are NaN with fewer than two
// observations. It panics unless 0 < level < 1.
func MeanCI(m Moments, level float64) (lo, hi float64) {
	checkLevel("MeanCI", level)
	if m.n < 2 {
		return math.NaN(), math.NaN()
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(m.n - 1)}.Quantile(0.5 + level/2)
	w := float64(t * m.SE()) // rounded: no fused multiply-add
	return m.mean - w, m.mean + w
}

// BatchMeansTest tests H0: the batch means xs (means of independent
// batches of equal size) have expectation ref, known with standard error
// refSE (0 for an exact reference). It returns the statistic
//
//	t = (mean(xs) − ref) / sqrt(s²/B + refSE²),
//
// with s² the sample variance of the B batch means, and its two-sided
// p-value from Student's t with B − 1 degrees of freedom. Batch means are
// close to normal even when single observations are skewed, so this test
// keeps its level where a z-test on heavy-tailed observations does not.
// With fewer than two batches both results are NaN.
func BatchMeansTest(xs []float64, ref, refSE float64) (t, p float64) {
	B := len(xs)
	if B < 2 {
		return math.NaN(), math.NaN()
	}
	var m Moments
	for _, x := range xs {
		m.Add(x)
	}
	se := math.Hypot(m.SE(), refSE)
	d := m.Mean() - ref
	if se == 0 {
		if d == 0 {
			return 0, 1
		}
		return math.Inf(int(math.Copysign(1, d))), 0
	}
	t = d / se
	st := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(B - 1)}
	return t, 2 * st.CDF(-math.Abs(t))
}
