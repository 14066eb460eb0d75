package estimators

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNaiveGammaDerivative checks naiveGamma's derivative against central
// differences of the sampler at the same random stream (h = 10⁻⁶, error
// O(h²) relative): where the two draws accept at the same step (all but
// those that flip an acceptance, a probability O(h) each) they agree to
// 10⁻⁶ relative; at most 1% of the 2000 streams may flip.
func TestNaiveGammaDerivative(t *testing.T) {
	t.Parallel()
	const h = 1e-6
	for _, a := range []float64{0.3, 1.2, 2.5, 40} { // not 1, where the sampler switches to the boost
		flips := 0
		for s := range uint64(2000) {
			_, dy := naiveGamma(a, rand.New(rand.NewPCG(s, 3)))
			hi, _ := naiveGamma(a+h, rand.New(rand.NewPCG(s, 3)))
			lo, _ := naiveGamma(a-h, rand.New(rand.NewPCG(s, 3)))
			fd := (hi - lo) / (2 * h)
			if math.Abs(fd-dy) > 1e-6*math.Max(1, math.Abs(dy)) {
				flips++
			}
		}
		if flips > 20 {
			t.Errorf("α = %v: %d of 2000 derivatives disagree with central differences", a, flips)
		}
	}
}
