package estimators

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// GumbelSoftmax is the relaxed (Concrete, Gumbel-Softmax) pathwise
// estimator of Jang, Gu and Poole (2017) and Maddison, Mnih and Teh (2017):
// it differentiates E[f(σ_τ(z))], z = z(θ, u), instead of E[f(H(z))],
//
//	∇θ E[f] ≈ (1/n) Σ_i (∂z/∂θ)ᵀ (∂σ_τ/∂z)ᵀ ∇f(σ_τ(z_i)).
//
// It is biased for every τ > 0 (the bias vanishes as τ → 0 while the
// variance grows) and needs a dist.Relaxed family and an objective that is
// differentiable on the relaxed points.
type GumbelSoftmax struct {
	// Tau is the temperature, > 0.
	Tau float64
	// Straight selects the straight-through variant (see STGumbel).
	Straight bool

	u, z, x, b, g, dz []float64
}

// NewGumbelSoftmax returns the estimator at temperature tau (straight: the
// straight-through variant), or an error if tau is not positive.
func NewGumbelSoftmax(tau float64, straight bool) (*GumbelSoftmax, error) {
	if !(tau > 0) {
		return nil, fmt.Errorf("option tau = %v: want tau > 0", tau)
	}
	return &GumbelSoftmax{Tau: tau, Straight: straight}, nil
}

// Info describes the estimator.
func (e *GumbelSoftmax) Info() Info {
	if e.Straight {
		return Info{
			Name:    "st-gumbel",
			Summary: "straight-through Gumbel-Softmax: ∇f at the hard sample through the relaxed Jacobian (biased; relaxed family)",
			Needs:   NeedsGrad | NeedsRelaxed,
			Cost:    "1 ∇f",
		}
	}
	return Info{
		Name:    "gumbel-softmax",
		Summary: "Gumbel-Softmax/Concrete: pathwise gradient of f at the relaxed sample (biased; relaxed family)",
		Needs:   NeedsGrad | NeedsRelaxed,
		Cost:    "1 ∇f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *GumbelSoftmax) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	info := e.Info()
	r, ok := p.(dist.Relaxed)
	df, ok2 := f.(objective.Differentiable)
	if !ok2 || n < 1 {
		return Cost{}, Check(info, p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported(info.Name, "family %s has no continuous relaxation", p.Name())
	}
	checkGrad(grad, p)
	d := p.Dim()
	e.u, e.z, e.x, e.b = grow(e.u, d), grow(e.z, d), grow(e.x, d), grow(e.b, d)
	e.g, e.dz = grow(e.g, d), grow(e.dz, d)
	zero(grad)
	for range n {
		r.RelaxNoise(e.u, rng)
		r.Preact(e.z, e.u)
		r.Soft(e.x, e.z, e.Tau)
		if e.Straight {
			r.Hard(e.b, e.z)
			df.Grad(e.g, e.b)
		} else {
			df.Grad(e.g, e.x)
		}
		r.SoftVJP(e.dz, e.x, e.z, e.g, e.Tau)
		r.PreactVJP(grad, e.u, e.dz)
	}
	scale(1/float64(n), grad)
	return Cost{Grad: n}, nil
}

func init() {
	Register("gumbel-softmax", func(o *Options) (Estimator, error) {
		tau, err := o.Float("tau", 0.5)
		if err != nil {
			return nil, err
		}
		return NewGumbelSoftmax(tau, false)
	})
}
