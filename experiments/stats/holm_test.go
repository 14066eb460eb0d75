package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHolmHand(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	for _, c := range []struct {
		p     []float64
		alpha float64
		rej   []bool
		adj   []float64
	}{
		// Sorted 0.005 ≤ 0.05/4, 0.01 ≤ 0.05/3, 0.03 > 0.05/2: stop.
		// Adjusted: 4·0.005, 3·0.01, max(0.03, 2·0.03), max(0.06, 1·0.04).
		{[]float64{0.01, 0.04, 0.03, 0.005}, 0.05,
			[]bool{true, false, false, true},
			[]float64{0.03, 0.06, 0.06, 0.02}},
		// Holm rejects all three where Bonferroni (0.05/3) rejects one.
		{[]float64{0.04, 0.011, 0.02}, 0.05,
			[]bool{true, true, true},
			[]float64{0.04, 0.033, 0.04}},
		// The smallest fails, so nothing is rejected.
		{[]float64{0.02, 0.02, 0.02}, 0.05,
			[]bool{false, false, false},
			[]float64{0.06, 0.06, 0.06}},
		// Ties, and the cap at 1.
		{[]float64{0.01, 0.01, 0.9}, 0.05,
			[]bool{true, true, false},
			[]float64{0.03, 0.03, 0.9}},
		{[]float64{0.6, 0.7}, 0.05, []bool{false, false}, []float64{1, 1}},
		// A NaN is never rejected but counts in m.
		{[]float64{nan, 0.001, 0.03}, 0.05,
			[]bool{false, true, false},
			[]float64{nan, 0.003, 0.06}},
		{[]float64{}, 0.05, []bool{}, []float64{}},
	} {
		if got := Holm(c.p, c.alpha); !slices.Equal(got, c.rej) {
			t.Errorf("Holm(%v, %v) = %v, want %v", c.p, c.alpha, got, c.rej)
		}
		got := HolmAdjust(c.p)
		for i := range got {
			if math.IsNaN(c.adj[i]) != math.IsNaN(got[i]) || math.Abs(got[i]-c.adj[i]) > 1e-15 {
				t.Errorf("HolmAdjust(%v) = %v, want %v", c.p, got, c.adj)
				break
			}
		}
	}
}

// TestHolmMatchesAdjust checks on random p-values that Holm rejects exactly
// the hypotheses whose adjusted p-value is at most alpha, and at least those
// Bonferroni rejects.
func TestHolmMatchesAdjust(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 4))
	for range 500 {
		p := make([]float64, 1+rng.IntN(8))
		for i := range p {
			p[i] = math.Pow(rng.Float64(), 3) // many small values
		}
		rej, adj := Holm(p, 0.05), HolmAdjust(p)
		for i := range p {
			if rej[i] != (adj[i] <= 0.05) {
				t.Fatalf("p = %v: Holm %v, adjusted %v", p, rej, adj)
			}
			if p[i] <= 0.05/float64(len(p)) && !rej[i] {
				t.Fatalf("p = %v: Holm %v misses a Bonferroni rejection", p, rej)
			}
		}
	}
}
