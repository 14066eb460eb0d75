package stats

import (
	"math"
	"slices"
)

// holmOrder returns the indices of p by increasing p-value, NaN last, ties
// in index order.
func holmOrder(p []float64) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := p[i], p[j]
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(b):
			return -1
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	return idx
}

// Holm returns, for each p-value in p, whether its null hypothesis is
// rejected by the Holm–Bonferroni step-down procedure at family-wise error
// rate alpha: with the m p-values sorted increasingly p_(1) ≤ … ≤ p_(m),
// reject H_(1), …, H_(k) where k is the largest index such that
// p_(i) ≤ alpha/(m−i+1) for every i ≤ k. It controls the probability of any
// false rejection at alpha whatever the dependence between the tests, and
// rejects everything Bonferroni rejects.
//
// The result is in the order of p. A NaN p-value is never rejected but
// still counts in m, which keeps the procedure conservative. It panics
// unless 0 < alpha < 1.
func Holm(p []float64, alpha float64) []bool {
	if !(alpha > 0 && alpha < 1) {
		panic("stats: Holm: alpha must be in (0, 1)")
	}
	rej := make([]bool, len(p))
	m := len(p)
	for i, k := range holmOrder(p) {
		if !(p[k] <= alpha/float64(m-i)) {
			break
		}
		rej[k] = true
	}
	return rej
}

// HolmAdjust returns the Holm-adjusted p-values, in the order of p:
// adj_(i) = max_{j ≤ i} min(1, (m−j+1) p_(j)). H_i is rejected by Holm at
// level alpha exactly when adj_i ≤ alpha (up to rounding). A NaN p-value stays NaN and
// counts in m.
func HolmAdjust(p []float64) []float64 {
	adj := make([]float64, len(p))
	m := len(p)
	running := 0.0
	for i, k := range holmOrder(p) {
		if math.IsNaN(p[k]) {
			adj[k] = math.NaN()
			continue
		}
		running = math.Max(running, math.Min(1, float64(m-i)*p[k]))
		adj[k] = running
	}
	return adj
}
