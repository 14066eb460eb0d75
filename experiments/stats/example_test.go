package stats_test

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/experiments/stats"
)

func ExampleMoments() {
	var m stats.Moments
	for _, x := range []float64{2, 4, 4, 4, 5, 5, 7, 9, math.NaN()} {
		m.Add(x)
	}
	fmt.Printf("n = %d (%d non-finite)\n", m.N(), m.NonFinite())
	fmt.Printf("mean = %.4g, variance = %.4g, SE = %.4g\n", m.Mean(), m.Variance(), m.SE())
	fmt.Printf("skewness = %.3f, kurtosis = %.3f\n", m.Skewness(), m.Kurtosis())
	// Output:
	// n = 8 (1 non-finite)
	// mean = 5, variance = 4.571, SE = 0.7559
	// skewness = 0.656, kurtosis = 2.781
}

// Blocks accumulated separately (on different workers, say) combine into
// the statistics of the whole sample. Merging the blocks in a fixed order
// makes the result bit-identical whatever the number of workers.
func ExampleMoments_Merge() {
	blocks := make([]stats.Moments, 3)
	for i := range 30 {
		blocks[i/10].Add(float64(i))
	}
	var total stats.Moments
	for i := range blocks {
		total.Merge(&blocks[i])
	}
	fmt.Printf("n = %d, mean = %.4g, variance = %.4g\n", total.N(), total.Mean(), total.Variance())
	// Output:
	// n = 30, mean = 14.5, variance = 77.5
}

func ExampleVarianceCI() {
	// 1000 well-spread points of [0, 1): the variance of the uniform
	// distribution is 1/12 ≈ 0.0833 and its kurtosis 1.8. The interval's
	// half-width on the log scale is 1.96·sqrt((1.8 − 1)/1000) ≈ 0.055,
	// narrower than the 0.088 of normal data (kurtosis 3).
	var m stats.Moments
	for i := range 1000 {
		_, frac := math.Modf(float64(i) * math.Phi)
		m.Add(frac)
	}
	lo, hi := stats.VarianceCI(m, 0.95)
	fmt.Printf("s² = %.4f, kurtosis = %.2f, 95%% CI [%.4f, %.4f]\n", m.Variance(), m.Kurtosis(), lo, hi)
	// Output:
	// s² = 0.0834, kurtosis = 1.80, 95% CI [0.0789, 0.0882]
}

// A regression check: has the variance of an estimator changed between a
// baseline (stored as numbers) and a fresh run?
func ExampleCompareVariances() {
	baseline := stats.VarianceSummary{N: 1000, Variance: 2.0, Kurtosis: 6}
	current := stats.VarianceSummary{N: 1000, Variance: 2.6, Kurtosis: 6}
	ratio, p := stats.CompareVariances(baseline, current)
	fmt.Printf("new/old = %.2f, p = %.3g\n", ratio, p)
	// Output:
	// new/old = 1.30, p = 0.00863
}

func ExampleMeanZTest() {
	var m stats.Moments
	for _, x := range []float64{0.9, 1.3, 1.1, 0.8, 1.2, 1.0, 0.7, 1.4} {
		m.Add(x)
	}
	// Is the mean consistent with an exact reference value of 1?
	z, p := stats.MeanZTest(m, 1, 0)
	fmt.Printf("z = %.3f, p = %.3f\n", z, p)
	// Output:
	// z = 0.577, p = 0.564
}

// Holm's procedure decides which of several tests (one per gradient
// component, say) reject while keeping the chance of any false rejection
// below alpha.
func ExampleHolm() {
	p := []float64{0.01, 0.04, 0.03, 0.005}
	fmt.Println(stats.Holm(p, 0.05))
	fmt.Printf("%.3g\n", stats.HolmAdjust(p))
	// Output:
	// [true false false true]
	// [0.03 0.06 0.06 0.02]
}
