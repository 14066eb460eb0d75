package claims

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
)

// normUpper returns P(Z ≥ z) for a standard normal Z.
func normUpper(z float64) float64 {
	if math.IsNaN(z) {
		return z
	}
	return distuv.UnitNormal.CDF(-z)
}

// tUpper returns P(T ≥ t) for Student's T with df degrees of freedom
// (the normal for infinite df).
func tUpper(t, df float64) float64 {
	switch {
	case math.IsNaN(t) || !(df > 0):
		return math.NaN()
	case math.IsInf(df, 1):
		return normUpper(t)
	case math.IsInf(t, 1):
		return 0
	case math.IsInf(t, -1):
		return 1
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.CDF(-t)
}

// tQuantile returns the upper-q quantile of Student's T with df degrees of
// freedom: P(T ≥ t) = q.
func tQuantile(q, df float64) float64 {
	if math.IsInf(df, 1) {
		return distuv.UnitNormal.Quantile(1 - q)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - q)
}

// fisher returns the p-value of Fisher's combination of independent
// p-values: −2 Σ log p_i is χ² with 2k degrees of freedom under the
// intersection of their null hypotheses. It also returns the statistic.
func fisher(ps []float64) (p, x float64) {
	if len(ps) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, q := range ps {
		if q <= 0 {
			return 0, math.Inf(1)
		}
		x -= 2 * math.Log(math.Min(q, 1))
	}
	return distuv.ChiSquared{K: float64(2 * len(ps))}.Survival(x), x
}

// meanTest is a one-sample t-test of the mean of paired differences (one
// per seed) against a value.
type meanTest struct {
	n        int
	mean, se float64
	df       float64
}

// newMeanTest summarises xs (NaN values dropped).
func newMeanTest(xs []float64) meanTest {
	var m stats.Moments
	for _, x := range xs {
		if !math.IsNaN(x) {
			m.Add(x)
		}
	}
	return meanTest{n: m.N(), mean: m.Mean(), se: m.SE(), df: float64(m.N() - 1)}
}

// greater returns the one-sided p-values of "the mean is above v" (H0:
// mean ≤ v) and "below v" (H0: mean ≥ v); NaN with fewer than two values.
// With a zero standard error the mean decides: p is 0 on its side and 1 on
// the other (1 and 1 when it equals v).
func (m meanTest) greater(v float64) (pAbove, pBelow float64) {
	if m.n < 2 {
		return math.NaN(), math.NaN()
	}
	if m.se == 0 {
		switch {
		case m.mean > v:
			return 0, 1
		case m.mean < v:
			return 1, 0
		}
		return 1, 1
	}
	t := (m.mean - v) / m.se
	return tUpper(t, m.df), tUpper(-t, m.df)
}

// ci returns the two-sided t-interval at level for the mean.
func (m meanTest) ci(level float64) (lo, hi float64) {
	if m.n < 2 {
		return math.NaN(), math.NaN()
	}
	h := tQuantile((1-level)/2, m.df) * m.se
	return m.mean - h, m.mean + h
}

// summary returns the variance summary of a row, for variance tests.
func summary(r *store.Row) stats.VarianceSummary {
	return stats.VarianceSummary{N: r.Replications - r.Nonfinite, Variance: r.Variance, Kurtosis: r.Kurtosis}
}

// logRatio is the log of a ratio of two variances (times constants) with
// the standard error from the kurtosis-based standard errors of each log
// variance (stats.VarianceSummary.LogSE); the two variances come from
// independent random streams.
type logRatio struct {
	log, se float64
}

// newLogRatio returns log(c_a s²_a / (c_b s²_b)).
func newLogRatio(a *store.Row, ca float64, b *store.Row, cb float64) logRatio {
	sa, sb := summary(a).LogSE(), summary(b).LogSE()
	return logRatio{
		log: math.Log(a.Variance*ca) - math.Log(b.Variance*cb),
		se:  math.Hypot(sa, sb),
	}
}

// ratio is the point estimate.
func (l logRatio) ratio() float64 { return math.Exp(l.log) }

// above returns the one-sided p-values of H0: ratio ≤ v (small when the
// ratio is above v) and H0: ratio ≥ v.
func (l logRatio) above(v float64) (pAbove, pBelow float64) {
	z := (l.log - math.Log(v)) / l.se
	return normUpper(z), normUpper(-z)
}

// ci returns the two-sided interval at level for the ratio.
func (l logRatio) ci(level float64) (lo, hi float64) {
	w := stats.ZQuantile(level) * l.se
	return math.Exp(l.log - w), math.Exp(l.log + w)
}

// valid reports whether the ratio and its standard error are usable.
func (l logRatio) valid() bool {
	return !math.IsNaN(l.log) && !math.IsInf(l.log, 0) && l.se > 0 && !math.IsInf(l.se, 0)
}
