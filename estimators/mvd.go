package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// MVD is the measure-valued derivative estimator (Mohamed et al. 2020, §6):
// the family's derivative with respect to each parameter j is written as
// c_j (p⁺_j − p⁻_j), so that
//
//	∂/∂θ_j E[f] ≈ (1/n) Σ_i c_j (f(x⁺_ij) − f(x⁻_ij)),  x⁺_ij ~ p⁺_j, x⁻_ij ~ p⁻_j.
//
// It needs neither ∇f nor a reparameterization, but costs 2 evaluations of f
// per parameter and sample. With Coupled (the default) the positive and
// negative samples share randomness, which usually lowers the variance.
type MVD struct {
	// Coupled makes each pair (x⁺, x⁻) share randomness.
	Coupled bool

	xp, xm []float64
}

// Info describes the estimator.
func (e *MVD) Info() Info {
	summary := "measure-valued derivative: c_j (f(x⁺) − f(x⁻)) per parameter, coupled pairs"
	if !e.Coupled {
		summary = "measure-valued derivative: c_j (f(x⁺) − f(x⁻)) per parameter, independent pairs"
	}
	return Info{
		Name:     "mvd",
		Summary:  summary,
		Unbiased: true,
		Needs:    NeedsMVD,
		Cost:     "2·P f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *MVD) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	mv, ok := p.(dist.MeasureValued)
	if !ok || n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	d := p.Dim()
	e.xp, e.xm = grow(e.xp, d), grow(e.xm, d)
	zero(grad)
	for range n {
		for j := range grad {
			c := mv.MVDSample(e.xp, e.xm, j, e.Coupled, rng)
			grad[j] += c * (f.Value(e.xp) - f.Value(e.xm))
		}
	}
	scale(1/float64(n), grad)
	return Cost{F: 2 * len(grad) * n}, nil
}

func init() {
	Register("mvd", func(o *Options) (Estimator, error) {
		coupled, err := o.Bool("coupled", true)
		if err != nil {
			return nil, err
		}
		return &MVD{Coupled: coupled}, nil
	})
}
