package estimators

import (
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ST is the plain straight-through estimator for independent Bernoulli
// coordinates (Bengio, Léonard, Courville 2013), in its sigmoid-adjusted
// form: the derivative of b_d ~ Bern(σ(α_d)) with respect to its logit is
// replaced by that of its mean, σ'(α_d),
//
//	∂/∂α_d E[f] ≈ (1/n) Σ_i ∂f/∂x_d(b_i) σ(α_d)(1 − σ(α_d)).
//
// It is biased unless f is linear, and needs a dist.Binary family and a
// differentiable objective.
type ST struct {
	b, g []float64
}

// Info describes the estimator.
func (*ST) Info() Info {
	return Info{
		Name:    "st",
		Summary: "straight-through Bernoulli: ∇f(b) times σ'(logit) (biased; independent Bernoulli)",
		Needs:   NeedsGrad | NeedsBinary,
		Cost:    "1 ∇f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *ST) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	bp, ok := p.(dist.Binary)
	df, ok2 := f.(objective.Differentiable)
	if !ok2 || n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported("st", "family %s is not independent Bernoulli", p.Name())
	}
	checkGrad(grad, p)
	d := p.Dim()
	e.b, e.g = grow(e.b, d), grow(e.g, d)
	zero(grad)
	for range n {
		bp.Rand(e.b, rng)
		df.Grad(e.g, e.b)
		for k, gk := range e.g {
			a := bp.LogitAt(k)
			e.g[k] = gk * sigmoidF(a) * sigmoidF(-a) / float64(n)
		}
		bp.LogitVJP(grad, e.g)
	}
	return Cost{Grad: n}, nil
}

// sigmoidF returns 1/(1 + exp(−z)) without overflow.
func sigmoidF(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	ez := math.Exp(z)
	return ez / (1 + ez)
}

func init() {
	Register("st", func(*Options) (Estimator, error) { return &ST{}, nil })
}
