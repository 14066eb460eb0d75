package estimators

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
)

// TestSigmoidsBits checks that sigmoids gives the bits of sigmoidF(α) and
// sigmoidF(−α), on which the ARM and DisARM pairs' bits (and so every
// committed Bernoulli-VAE result) depend: at signed zeros, infinities,
// NaN, the extremes and 10⁵ random logits of every scale.
func TestSigmoidsBits(t *testing.T) {
	t.Parallel()
	xs := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e-300, -1e-300, 745, -745, 800, -800, math.MaxFloat64, -math.MaxFloat64}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		xs = append(xs, rng.NormFloat64()*math.Pow(10, 4*rng.Float64()-2))
	}
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	for _, a := range xs {
		pos, neg := sigmoids(a)
		if !same(pos, sigmoidF(a)) || !same(neg, sigmoidF(-a)) {
			t.Fatalf("sigmoids(%v) = %v, %v; sigmoidF gives %v, %v", a, pos, neg, sigmoidF(a), sigmoidF(-a))
		}
	}
}

// TestPairLogits checks that the pair loops draw the same pairs from a
// *dist.BernoulliVec (whose logits they read as a slice) as from a Binary
// known only through LogitAt.
func TestPairLogits(t *testing.T) {
	t.Parallel()
	logits := []float64{-3, -0.5, 0, 0.25, 2, math.Copysign(0, -1), 40, -40}
	vec := &dist.BernoulliVec{Logits: logits}
	type onlyBinary struct{ dist.Binary } // hides the concrete type
	d := len(logits)
	for name, pair := range map[string]func(bp dist.Binary, b1, b2, s []float64, rng *rand.Rand){
		"arm":    func(bp dist.Binary, b1, b2, s []float64, rng *rand.Rand) { armPair(bp, s, b1, b2, rng) },
		"disarm": disarmPair,
	} {
		got, want := make([]float64, 3*d), make([]float64, 3*d)
		r1, r2 := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
		for range 1000 {
			pair(vec, got[:d], got[d:2*d], got[2*d:], r1)
			pair(onlyBinary{vec}, want[:d], want[d:2*d], want[2*d:], r2)
			for k := range got {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
					t.Fatalf("%s: value %d: %v from the slice, %v through LogitAt", name, k, got[k], want[k])
				}
			}
		}
	}
}
