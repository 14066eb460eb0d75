package stats

import (
	"math"
)

// VarianceSummary is what the variance interval and tests need to know about
// a sample: its size, its unbiased sample variance and its kurtosis as
// returned by Moments.Kurtosis. It lets a variance that was saved as numbers
// (a results file) be compared with a fresh one.
type VarianceSummary struct {
	N        int
	Variance float64 // unbiased sample variance s²
	Kurtosis float64 // m_4/m_2² with population moments
}

// VarianceSummary returns the summary of the sample in m.
func (m *Moments) VarianceSummary() VarianceSummary {
	return VarianceSummary{N: m.n, Variance: m.Variance(), Kurtosis: m.Kurtosis()}
}

// LogSE returns the asymptotic standard error of log s², the delta-method
// standard error
//
//	SE(log s²) = sqrt((κ − (n−3)/(n−1)) / n),   κ = m_4/s⁴,
//
// from Var(s²) = (μ_4 − σ⁴(n−3)/(n−1))/n, exact for any distribution with a
// finite fourth moment, with μ_4 estimated by m_4 = M_4/n and σ² by s².
// In terms of the stored kurtosis b_2 = m_4/m_2², κ = b_2 ((n−1)/n)². For
// normal data κ ≈ 3 and the standard error is about sqrt(2/n); for heavy
// tails it is larger, which is the point.
//
// It returns NaN if N < 2, if the variance is not positive and finite, or if
// the kurtosis is not a valid one (the result would not be positive).
func (s VarianceSummary) LogSE() float64 {
	if s.N < 2 || !(s.Variance > 0) || math.IsInf(s.Variance, 0) {
		return math.NaN()
	}
	n := float64(s.N)
	r := (n - 1) / n
	v := (float64(s.Kurtosis*r*r) - (n-3)/(n-1)) / n
	if !(v > 0) || math.IsInf(v, 0) {
		return math.NaN()
	}
	return math.Sqrt(v)
}

// CI returns the two-sided confidence interval for the variance at the given
// level, s²·exp(∓z·LogSE) with z = ZQuantile(level). See VarianceCI.
// It panics unless 0 < level < 1.
func (s VarianceSummary) CI(level float64) (lo, hi float64) {
	checkLevel("VarianceSummary.CI", level)
	if s.N >= 2 && s.Variance == 0 {
		return 0, 0
	}
	w := ZQuantile(level) * s.LogSE()
	return s.Variance * math.Exp(-w), s.Variance * math.Exp(w)
}

// VarianceCI returns a two-sided confidence interval [lo, hi] for the
// variance of the distribution m was sampled from, at the given level (0.95
// for 95%).
//
// The interval is symmetric on the log scale around the sample variance s²,
// with the delta-method standard error of log s² that uses the sample
// kurtosis (VarianceSummary.LogSE). Unlike the chi-square interval, which
// assumes normal data and is badly too narrow for heavy tails, it is
// asymptotically correct for any distribution with a finite fourth moment;
// the log scale keeps lo positive and makes the coverage better in small
// samples, as s² is right-skewed. It is still an asymptotic interval: for
// very heavy tails the kurtosis is underestimated and the interval
// undercovers. Coverage of the 95% interval at n = 1000, measured over
// 20000 simulated samples each (SE ≈ 0.002), with the chi-square interval's
// for comparison:
//
//	distribution      kurtosis  VarianceCI  chi-square
//	normal                   3       0.947       0.949
//	Student t(10)            4       0.947       0.893
//	exponential              9       0.935       0.673
//	chi-square(1)           15       0.930       0.547
//	lognormal(0, 1)       ≈114       0.844       0.282
//
// If the observations are all equal (n ≥ 2), the interval is [0, 0]. If
// there are fewer than two observations both ends are NaN. It panics unless
// 0 < level < 1.
func VarianceCI(m Moments, level float64) (lo, hi float64) {
	return m.VarianceSummary().CI(level)
}

// CompareVariances tests H0: the two samples come from distributions with
// equal variances, from their summaries. It returns the ratio s²_b/s²_a and
// the two-sided p-value of
//
//	z = (log s²_b − log s²_a) / sqrt(SE_a² + SE_b²),
//
// with SE the kurtosis-based standard errors of VarianceSummary.LogSE, so
// that the test is asymptotically valid for non-normal data (the F test is
// not). For a one-sided test of "b is larger", use p/2 when ratio > 1 and
// 1 − p/2 otherwise.
//
// If one variance is zero and the other is not, the ratio is 0 or +Inf and
// p is 0; if both are zero the ratio is 1 and p is 1. If either sample has
// fewer than two observations or a value is invalid, both results are NaN.
func CompareVariances(a, b VarianceSummary) (ratio, p float64) {
	if a.N < 2 || b.N < 2 || !(a.Variance >= 0) || !(b.Variance >= 0) {
		return math.NaN(), math.NaN()
	}
	switch {
	case a.Variance == 0 && b.Variance == 0:
		return 1, 1
	case a.Variance == 0 || b.Variance == 0:
		return b.Variance / a.Variance, 0
	}
	sa, sb := a.LogSE(), b.LogSE()
	ratio = b.Variance / a.Variance
	z := math.Log(ratio) / math.Sqrt(float64(sa*sa)+float64(sb*sb))
	return ratio, NormalTwoSidedP(z)
}

// VarianceRatioTest is CompareVariances on the samples accumulated in a and
// b: it returns s²_b/s²_a and the two-sided p-value of H0: Var_a = Var_b.
func VarianceRatioTest(a, b Moments) (ratio, p float64) {
	return CompareVariances(a.VarianceSummary(), b.VarianceSummary())
}

// VarianceRatioCI returns the two-sided confidence interval at the given
// level for the ratio of variances Var_b/Var_a, exp(log(s²_b/s²_a) ∓
// z·sqrt(SE_a² + SE_b²)) with the standard errors of
// VarianceSummary.LogSE. It contains 1 exactly when VarianceRatioTest
// gives p ≥ 1 − level (up to rounding). Both ends are NaN when the ratio test's p is NaN or
// a variance is zero. It panics unless 0 < level < 1.
func VarianceRatioCI(a, b Moments, level float64) (lo, hi float64) {
	checkLevel("VarianceRatioCI", level)
	sa, sb := a.VarianceSummary(), b.VarianceSummary()
	ea, eb := sa.LogSE(), sb.LogSE()
	r := sb.Variance / sa.Variance
	w := ZQuantile(level) * math.Sqrt(float64(ea*ea)+float64(eb*eb))
	if math.IsNaN(w) {
		return math.NaN(), math.NaN()
	}
	return r * math.Exp(-w), r * math.Exp(w)
}
