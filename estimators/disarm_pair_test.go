package estimators

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
)

// TestDisarmPairSigmoids: disarmPair's σ(α) and σ(|α|), computed without
// σ(−|α|) where α ≥ 0, have the bits of sigmoids' σ(α) and of the larger of
// its two values, over logits from 1e-6 to 1e6 in size and both signs
// (the draws are fixed by the seed).
func TestDisarmPairSigmoids(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	const d = 1000
	logits := make([]float64, d)
	for range 100 {
		for k := range logits {
			logits[k] = rng.NormFloat64() * math.Exp(2*rng.NormFloat64())
		}
		p := &dist.BernoulliVec{Logits: logits}
		b1, b2, s := make([]float64, d), make([]float64, d), make([]float64, d)
		seed := rng.Uint64()
		disarmPair(p, b1, b2, s, rand.New(rand.NewPCG(seed, 0)))
		u := rand.New(rand.NewPCG(seed, 0))
		for k, a := range logits {
			th, neg := sigmoids(a)
			uk := u.Float64()
			if math.Float64bits(s[k]) != math.Float64bits(max(th, neg)) || b1[k] != bit(uk < th) || b2[k] != bit(1-uk < th) {
				t.Fatalf("α = %v: s %v, pair (%v, %v); sigmoids give %v, %v", a, s[k], b1[k], b2[k], th, neg)
			}
		}
	}
}
