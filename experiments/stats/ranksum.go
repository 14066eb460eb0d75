package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// RankSum is the Wilcoxon–Mann–Whitney rank-sum test of H0: the values in a
// and b are independent draws from one continuous distribution. It returns
// U, the number of pairs (a_i, b_j) with b_j > a_i (ties count ½), and the
// one-sided p-values of "b tends to be larger" (pGreater = P(U' ≥ U)) and
// "b tends to be smaller" (pLess = P(U' ≤ U)) under H0.
//
// Up to 50 values on each side the p-values are exact: the null
// distribution of U is counted over all C(m+n, m) arrangements, so the
// false-alarm rate holds whatever the distribution's tails, which is why the
// regression check compares per-block variances with it. Ties make the
// exact p-values conservative. For larger samples the normal approximation
// with continuity correction is used. With an empty side both p-values are 1.
func RankSum(a, b []float64) (u, pGreater, pLess float64) {
	m, n := len(a), len(b)
	if m == 0 || n == 0 {
		return 0, 1, 1
	}
	for _, x := range a {
		for _, y := range b {
			switch {
			case y > x:
				u++
			case y == x:
				u += 0.5
			}
		}
	}
	if m <= 50 && n <= 50 {
		counts := rankSumCounts(m, n)
		total := 0.0
		for _, c := range counts {
			total += c
		}
		ge, le := 0.0, 0.0
		for k, c := range counts {
			if float64(k) >= math.Floor(u) {
				ge += c
			}
			if float64(k) <= math.Ceil(u) {
				le += c
			}
		}
		return u, ge / total, le / total
	}
	mean := float64(m*n) / 2
	sd := math.Sqrt(float64(m*n) * float64(m+n+1) / 12)
	z := distuv.UnitNormal
	return u, z.CDF(-(u - mean - 0.5) / sd), z.CDF((u - mean + 0.5) / sd)
}

// rankSumCounts returns, for k = 0 … m·n, the number of arrangements of m
// values of one sample and n of the other in which exactly k pairs have the
// second sample's value larger (no ties). It uses c(i, j, k) =
// c(i−1, j, k) + c(i, j−1, k − i) over the largest value's origin.
func rankSumCounts(m, n int) []float64 {
	// prev[i] holds the counts for (i, j−1); cur[i] for (i, j).
	prev := make([][]float64, m+1)
	for i := range prev {
		prev[i] = []float64{1} // j = 0: one arrangement, U = 0
	}
	for j := 1; j <= n; j++ {
		cur := make([][]float64, m+1)
		cur[0] = []float64{1}
		for i := 1; i <= m; i++ {
			c := make([]float64, i*j+1)
			// Largest value from the first sample: it beats no b, U unchanged.
			copy(c, cur[i-1])
			// Largest value from the second sample: it beats all i a's.
			for k, v := range prev[i] {
				c[k+i] += v
			}
			cur[i] = c
		}
		prev = cur
	}
	return prev[m]
}
