package estimators

import (
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// DisARM is the estimator of Dong, Mnih and Tucker (2020) for independent
// Bernoulli coordinates with logits α: the antithetic pair
// b = 1[u < σ(α)], b̃ = 1[1 − u < σ(α)] with u uniform on (0, 1)^D, and
//
//	∂/∂α_d E[f] ≈ (1/n) Σ_i ½ (f(b_i) − f(b̃_i)) (−1)^{b̃_id} 1[b_id ≠ b̃_id] σ(|α_d|).
//
// It is ARM with the augmentation variable integrated out, unbiased, and
// never has a larger variance than ARM. It needs a dist.Binary family and
// costs 2 evaluations of f per sample.
type DisARM struct {
	mb    minibatchScratch
	pairs pairChunks
}

// Info describes the estimator.
func (*DisARM) Info() Info {
	return Info{
		Name:     "disarm",
		Summary:  "DisARM (Dong, Mnih & Tucker 2020): ARM with the augmentation integrated out (independent Bernoulli)",
		Unbiased: true,
		Needs:    NeedsBinary,
		Cost:     "2 f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *DisARM) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	return e.replicate(grad, p, f, n, 1, rng)
}

// replicate writes R estimates into dst (the batched replications of
// Replicate). The antithetic pairs of up to 256 samples (of one or more
// replications) are drawn first, then evaluated with one Values call per
// side when f is an objective.Batch.
func (e *DisARM) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	bp, ok := p.(dist.Binary)
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported("disarm", "family %s is not independent Bernoulli", p.Name())
	}
	return e.pairs.replicate(e, dst, bp, f, n, R, rng), nil
}

func (*DisARM) drawPair(bp dist.Binary, b1, b2, s []float64, rng *rand.Rand) {
	disarmPair(bp, b1, b2, s, rng)
}

func (*DisARM) pairGrad(g, b1, b2, s []float64, f1, f2, n float64) {
	disarmLogitGrad(g, b1, b2, s, 0.5*(f1-f2)/n)
}

// disarmPair draws DisARM's antithetic pair b1 = 1[u < σ(α)], b2 = 1[1 −
// u < σ(α)] and writes σ(|α|), which the gradient needs, into s. Both
// sigmoids come from one exponential (sigmoids), with the bits of
// sigmoidF(α) and sigmoidF(|α|); the pair is stored without branches on
// the random comparisons.
func disarmPair(bp dist.Binary, b1, b2, s []float64, rng *rand.Rand) {
	logits := logitsOf(bp, len(b1))
	for k := range b1 {
		u := rng.Float64()
		// σ(α) and σ(|α|) as sigmoids gives them, without σ(−|α|)'s
		// division where α ≥ 0: σ(|α|) = 1/(1 + e^−|α|) is the larger of
		// the two.
		a := logitAt(bp, logits, k)
		e := math.Exp(-math.Abs(a))
		hi := 1 / (1 + e)
		th := hi
		if a < 0 {
			th = e / (1 + e)
		}
		s[k] = hi
		b1[k], b2[k] = bit(u < th), bit(1-u < th)
	}
}

// disarmLogitGrad writes DisARM's logit gradient of the pair (b1, b2), with
// s = σ(|α|) from disarmPair and weight w = ½ (f(b1) − f(b2)) / n, into g.
func disarmLogitGrad(g, b1, b2, s []float64, w float64) {
	for k := range g {
		g[k] = 0
		if b1[k] != b2[k] {
			sk := s[k]
			if b2[k] == 1 {
				sk = -sk
			}
			g[k] = w * sk
		}
	}
}

func init() {
	Register("disarm", func(*Options) (Estimator, error) { return &DisARM{}, nil })
}

// self returns e (see replicator).
func (e *DisARM) self() Estimator { return e }
