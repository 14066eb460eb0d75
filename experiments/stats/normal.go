package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// checkLevel panics unless 0 < level < 1.
func checkLevel(fn string, level float64) {
	if !(level > 0 && level < 1) {
		panic("stats: " + fn + ": level must be in (0, 1)")
	}
}

// ZQuantile returns the two-sided standard normal critical value for the
// confidence level: the z with P(|Z| ≤ z) = level, so ZQuantile(0.95) ≈
// 1.959964. It panics unless 0 < level < 1.
func ZQuantile(level float64) float64 {
	checkLevel("ZQuantile", level)
	return distuv.UnitNormal.Quantile(0.5 + level/2)
}

// NormalTwoSidedP returns the two-sided p-value P(|Z| ≥ |z|) of a standard
// normal statistic z, accurate far into the tails (it does not round to 0
// until |z| > 38). It returns NaN for a NaN z and 0 for an infinite one.
func NormalTwoSidedP(z float64) float64 {
	if math.IsNaN(z) {
		return z
	}
	// The CDF at −|z| is computed with erfc, without cancellation.
	return 2 * distuv.UnitNormal.CDF(-math.Abs(z))
}
