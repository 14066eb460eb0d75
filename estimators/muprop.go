package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// MuProp is the estimator of Gu, Levine, Sutskever and Mnih (2016): the
// score-function estimator with the first-order Taylor expansion of f
// around the mean x̄ = E[x] as control variate, whose expectation is added
// back analytically,
//
//	∇θ E[f] ≈ (1/n) Σ_i (f(x_i) − f(x̄) − ∇f(x̄)·(x_i − x̄)) ∇θ log p(x_i;θ) + (∂E[x]/∂θ)ᵀ ∇f(x̄).
//
// It is unbiased for any family with known moments (dist.Moments) and a
// differentiable f, and costs one evaluation of f per sample plus one of
// ∇f at x̄ per estimate.
type MuProp struct {
	x, mean, g, s, zeros []float64
}

// Info describes the estimator.
func (*MuProp) Info() Info {
	return Info{
		Name:     "muprop",
		Summary:  "MuProp (Gu et al. 2016): REINFORCE with the Taylor expansion of f at the mean as control variate",
		Unbiased: true,
		Needs:    NeedsGrad | NeedsMoments,
		Cost:     "1 f + 1 ∇f per estimate",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *MuProp) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	mp, ok := p.(dist.Moments)
	df, ok2 := f.(objective.Differentiable)
	if !ok || !ok2 || n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	d, np := p.Dim(), p.NumParams()
	e.x, e.mean, e.g, e.zeros = grow(e.x, d), grow(e.mean, d), grow(e.g, d), grow(e.zeros, d)
	e.s = grow(e.s, np)
	zero(e.zeros)
	zero(grad)
	mp.Mean(e.mean)
	fm := df.Grad(e.g, e.mean)
	for range n {
		p.Rand(e.x, rng)
		w := f.Value(e.x) - fm
		for k, xk := range e.x {
			w -= e.g[k] * (xk - e.mean[k])
		}
		p.Score(e.s, e.x)
		for j, sj := range e.s {
			grad[j] += w * sj
		}
	}
	scale(1/float64(n), grad)
	mp.MomentsVJP(grad, e.g, e.zeros)
	return Cost{F: n, Grad: 1}, nil
}

func init() {
	Register("muprop", func(*Options) (Estimator, error) { return &MuProp{}, nil })
}
