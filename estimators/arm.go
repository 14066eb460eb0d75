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
	u, b1, b2, g []float64
	us           []float64 // the uniforms of a minibatch
	mb           minibatchScratch
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
	bp, ok := p.(dist.Binary)
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported("arm", "family %s is not independent Bernoulli", p.Name())
	}
	checkGrad(grad, p)
	d := p.Dim()
	e.u, e.b1, e.b2, e.g = grow(e.u, d), grow(e.b1, d), grow(e.b2, d), grow(e.g, d)
	zero(grad)
	for range n {
		for k := range d {
			u := rng.Float64()
			a := bp.LogitAt(k)
			e.u[k] = u
			e.b1[k], e.b2[k] = 0, 0
			if u > sigmoidF(-a) {
				e.b1[k] = 1
			}
			if u < sigmoidF(a) {
				e.b2[k] = 1
			}
		}
		w := (f.Value(e.b1) - f.Value(e.b2)) / float64(n)
		for k, u := range e.u {
			e.g[k] = w * (u - 0.5)
		}
		bp.LogitVJP(grad, e.g)
	}
	return Cost{F: 2 * n}, nil
}

func init() {
	Register("arm", func(*Options) (Estimator, error) { return &ARM{}, nil })
}
