package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ARM is the augment-REINFORCE-merge estimator of Yin and Zhou (2019) for
// independent Bernoulli coordinates with logits α: with u uniform on
// (0, 1)^D shared by the coordinates,
//
//	∂/∂α_d E[f] ≈ (1/n) Σ_i (f(1[u_i > σ(−α)]) − f(1[u_i < σ(α)])) (u_id − 1/2).
//
// It is unbiased, needs a dist.Binary family and costs 2 evaluations of f
// per sample.
type ARM struct {
	mb    minibatchScratch
	pairs pairChunks
}

// Info describes the estimator.
func (*ARM) Info() Info {
	return Info{
		Name:     "arm",
		Summary:  "ARM (Yin & Zhou 2019): antithetic pair f(1[u>σ(−α)]) − f(1[u<σ(α)]) times (u − ½) (independent Bernoulli)",
		Unbiased: true,
		Needs:    NeedsBinary,
		Cost:     "2 f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *ARM) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
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
func (e *ARM) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	bp, ok := p.(dist.Binary)
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported("arm", "family %s is not independent Bernoulli", p.Name())
	}
	return e.pairs.replicate(e, dst, bp, f, n, R, rng), nil
}

func (*ARM) drawPair(bp dist.Binary, b1, b2, u []float64, rng *rand.Rand) {
	armPair(bp, u, b1, b2, rng)
}

func (*ARM) pairGrad(g, _, _, u []float64, f1, f2, n float64) {
	armLogitGrad(g, u, (f1-f2)/n)
}

// armLogitGrad writes ARM's logit gradient w (u − ½), w = (f(b1) − f(b2)) /
// n, into g.
func armLogitGrad(g, u []float64, w float64) {
	for k, uk := range u {
		g[k] = w * (uk - 0.5)
	}
}

// armPair draws ARM's uniforms u and antithetic pair b1 = 1[u > σ(−α)],
// b2 = 1[u < σ(α)].
func armPair(bp dist.Binary, u, b1, b2 []float64, rng *rand.Rand) {
	for k := range b1 {
		uk := rng.Float64()
		a := bp.LogitAt(k)
		u[k] = uk
		b1[k], b2[k] = 0, 0
		if uk > sigmoidF(-a) {
			b1[k] = 1
		}
		if uk < sigmoidF(a) {
			b2[k] = 1
		}
	}
}

func init() {
	Register("arm", func(*Options) (Estimator, error) { return &ARM{}, nil })
}

// self returns e (see replicator).
func (e *ARM) self() Estimator { return e }
