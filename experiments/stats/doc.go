// Package stats holds the streaming statistics and the tests that the
// harness's decisions rest on: a mergeable accumulator of the first four
// moments (Moments), a confidence interval for a variance that stays honest
// for heavy-tailed data (VarianceCI), a comparison of two variances
// (VarianceRatioTest), a z-test of a mean against a reference (MeanZTest) and
// Holm's step-down correction for many tests at once (Holm, HolmAdjust).
//
// # Determinism
//
// Given the same inputs and the same order of Moments.Add and Moments.Merge
// calls, every result is bit-identical from run to run. The accumulator
// itself (Moments and its Mean, Variance, SE and Kurtosis) is
// also bit-identical across platforms: products are rounded explicitly so
// that the compiler cannot fuse them into FMA instructions. Results that go
// through the math library (intervals and p-values use Exp, Log, Erfc and
// quantile functions) may differ in the last bits between architectures.
//
// Merging blocks is exact in exact arithmetic but not bit-identical to adding
// the same values one by one: to get reproducible results whatever the number
// of workers, accumulate fixed blocks of replications and merge the blocks in
// block order.
//
// # Why not the chi-square interval
//
// The textbook interval for a variance, (n−1)s²/χ²_{n−1}, assumes normal
// data. Monte Carlo gradient estimates are often far from normal (score
// function estimates are products of a heavy-tailed score and the objective),
// and for such data the chi-square interval is much too narrow: its coverage
// does not tend to the nominal level as n grows, because the variance of s²
// depends on the fourth moment. VarianceCI uses the asymptotic distribution
// of s² instead, with the kurtosis estimated from the same sample; see
// VarianceSummary.LogSE for the formula and VarianceCI for measured coverage.
package stats
