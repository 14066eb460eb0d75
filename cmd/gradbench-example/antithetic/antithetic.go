// Package antithetic registers the estimator "pathwise+antithetic": the
// pathwise estimator with antithetic noise pairs (ε, −ε). It is an example of
// an estimator living outside the estimators package: importing this package
// for its side effect makes the estimator available by name, in the
// command-line tool, in specs and in the conformance kit.
package antithetic

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Name is the registered name of the estimator.
const Name = "pathwise+antithetic"

// Symmetric reports whether p's base noise is symmetric about 0: whether
// it implements dist.SymmetricNoise and says so.
func Symmetric(p dist.Reparameterized) bool {
	s, ok := p.(dist.SymmetricNoise)
	return ok && s.SymmetricNoise()
}

// Estimator is the pathwise estimator with antithetic pairs: n samples are
// n/2 pairs x = g(θ, ε), x' = g(θ, −ε) (and one unpaired sample if n is
// odd), and the estimate is the mean of (∂x/∂θ)ᵀ ∇f(x) over all of them.
//
// Because −ε has the distribution of ε, every term has the pathwise
// estimator's expectation, so the estimate is unbiased. The pair average
// cancels the part of each gradient term that is odd in ε, which removes all
// the variance of a linear integrand and much of that of a monotone one, at
// the same cost; but it counts the even part twice, so a component dominated
// by an even term (e.g. ∂/∂σ of (x − k)² at μ = k) gets up to twice the
// variance of plain pathwise.
// It needs a reparameterized family with symmetric base noise and a
// differentiable objective.
type Estimator struct {
	eps, neg, x, gx []float64
}

// Info describes the estimator.
func (*Estimator) Info() estimators.Info {
	return estimators.Info{
		Name:       Name,
		Summary:    "pathwise with antithetic noise pairs (ε, −ε)",
		Unbiased:   true,
		Needs:      estimators.NeedsReparam | estimators.NeedsGrad,
		MinSamples: 2,
		Cost:       "1 ∇f",
	}
}

// Supports refuses families whose base noise is not symmetric (see
// estimators.Supporter): Info cannot say that.
func (e *Estimator) Supports(p dist.Distribution, f objective.Objective, n int) error {
	if rp, ok := p.(dist.Reparameterized); !ok || !Symmetric(rp) {
		return estimators.Unsupported(Name, "family %s does not have symmetric base noise", p.Name())
	}
	return nil
}

// Estimate writes the n-sample estimate into grad (len p.NumParams(); wrong
// length panics).
func (e *Estimator) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	info := e.Info()
	if err := estimators.Check(info, p, f, n); err != nil {
		return estimators.Cost{}, err
	}
	if err := e.Supports(p, f, n); err != nil {
		return estimators.Cost{}, err
	}
	rp := p.(dist.Reparameterized)
	df := f.(objective.Differentiable)
	if len(grad) != p.NumParams() {
		panic("antithetic: gradient length does not match the family's parameters")
	}
	d := p.Dim()
	e.eps, e.neg, e.x, e.gx = grow(e.eps, d), grow(e.neg, d), grow(e.x, d), grow(e.gx, d)
	for j := range grad {
		grad[j] = 0
	}
	for i := 0; i < n; i += 2 {
		rp.Noise(e.eps, rng)
		rp.Transform(e.x, e.eps)
		df.Grad(e.gx, e.x)
		rp.PathVJP(grad, e.eps, e.gx)
		if i+1 == n {
			break // odd n: the last sample is unpaired
		}
		for k, v := range e.eps {
			e.neg[k] = -v
		}
		rp.Transform(e.x, e.neg)
		df.Grad(e.gx, e.x)
		rp.PathVJP(grad, e.neg, e.gx)
	}
	for j := range grad {
		grad[j] /= float64(n)
	}
	return estimators.Cost{Grad: n}, nil
}

func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

func init() {
	estimators.Register(Name, func(*estimators.Options) (estimators.Estimator, error) { return &Estimator{}, nil })
}
