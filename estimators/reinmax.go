package estimators

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ReinMax is the second-order straight-through estimator of Liu, Zhao,
// Huang, Gao and Wang (2023, "Bridging discrete and backpropagation:
// straight-through and beyond"). For each block d of a dist.Factorized
// family, with π = softmax(ℓ_d), the one-hot sample D of the block and
// g = ∂f/∂D (∇f at the discrete sample, passed to the block's indicators by
// IndicatorVJP), the forward pass uses D and the backward pass the Heun
// (trapezoid) step
//
//	∇_{ℓ_d} ≈ 2 J(π̂)ᵀ g − ½ J(π)ᵀ g,  π̂ = ½ (softmax(ℓ_d/τ) + D),  J(p) = diag(p) − ppᵀ,
//
// averaged over n samples and mapped to θ by BlockLogitVJP. It costs one
// ∇f per sample and is biased; its mean is the exact gradient when f is
// quadratic in the indicators of a single block and τ = 1 (the trapezoid
// rule is exact there), and not otherwise.
//
// It follows the backward pass of microsoft/ReinMax (reinmax/reinmax.py)
// with no gradient arriving at π itself. Deviations: the reference
// subtracts the mean over classes at the end, which changes nothing since
// both Jacobian products already sum to zero (it is skipped here), and it
// rejects τ < 1, which is accepted here (any τ > 0) for exploration.
type ReinMax struct {
	// Tau is the temperature of the softmax in π̂, > 0 (default 1).
	Tau float64

	x, g, pi, pt, gd, v []float64
}

// NewReinMax returns the estimator at temperature tau, or an error if tau
// is not positive.
func NewReinMax(tau float64) (*ReinMax, error) {
	if !(tau > 0) {
		return nil, fmt.Errorf("option tau = %v: want tau > 0", tau)
	}
	return &ReinMax{Tau: tau}, nil
}

// Info describes the estimator.
func (*ReinMax) Info() Info {
	return Info{
		Name:    "reinmax",
		Summary: "ReinMax (Liu et al. 2023): straight-through with a second-order (Heun) Jacobian 2J(½(softmax(ℓ/τ)+D)) − ½J(π) (biased; factorized family)",
		Needs:   NeedsGrad | NeedsFactorized,
		Cost:    "1 ∇f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *ReinMax) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if err := Supports(e, p, f, n); err != nil {
		return Cost{}, err
	}
	checkGrad(grad, p)
	fp := p.(dist.Factorized)
	df := f.(objective.Differentiable)
	D := fp.Blocks()
	total, maxK := 0, 0
	for d := range D {
		total += fp.Classes(d)
		maxK = max(maxK, fp.Classes(d))
	}
	// π and softmax(ℓ/τ) of every block, block after block.
	e.pi, e.pt = grow(e.pi, total), grow(e.pt, total)
	off := 0
	for d := range D {
		k := fp.Classes(d)
		pi, pt := e.pi[off:off+k], e.pt[off:off+k]
		fp.BlockLogits(pi, d)
		for j := range pt {
			pt[j] = pi[j] / e.Tau
		}
		softmaxInPlace(pi)
		softmaxInPlace(pt)
		off += k
	}
	e.x, e.g = grow(e.x, p.Dim()), grow(e.g, p.Dim())
	e.gd, e.v = grow(e.gd, maxK), grow(e.v, maxK)
	zero(grad)
	inv := 1 / float64(n)
	for range n {
		p.Rand(e.x, rng)
		df.Grad(e.g, e.x)
		off := 0
		for d := range D {
			k := fp.Classes(d)
			pi, pt, gd, v := e.pi[off:off+k], e.pt[off:off+k], e.gd[:k], e.v[:k]
			off += k
			fp.IndicatorVJP(gd, d, e.g)
			c := fp.Class(e.x, d)
			// π̂ = ½(π_τ + D): π̂·g and π·g.
			hg, pg := 0.0, 0.0
			for j, gj := range gd {
				h := 0.5 * pt[j]
				if j == c {
					h += 0.5
				}
				hg += h * gj
				pg += pi[j] * gj
			}
			for j, gj := range gd {
				h := 0.5 * pt[j]
				if j == c {
					h += 0.5
				}
				v[j] = (2*h*(gj-hg) - 0.5*pi[j]*(gj-pg)) * inv
			}
			fp.BlockLogitVJP(grad, d, v)
		}
	}
	return Cost{Grad: n}, nil
}

func init() {
	Register("reinmax", func(o *Options) (Estimator, error) {
		tau, err := o.Float("tau", 1)
		if err != nil {
			return nil, err
		}
		return NewReinMax(tau)
	})
}
