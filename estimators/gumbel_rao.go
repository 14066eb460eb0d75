package estimators

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// GumbelRao is the Gumbel-Rao estimator of Paulus, Maddison and Krause
// (2021, "Rao-Blackwellizing the straight-through Gumbel-Softmax gradient
// estimator"): the straight-through Gumbel-Softmax gradient (STGumbel)
// with its relaxed Jacobian averaged over K draws of the perturbed logits
// given the discrete outcome b = H(z),
//
//	∇θ E[f] ≈ (1/n) Σ_i (∂z/∂θ)ᵀ [(1/K) Σ_k (∂σ_τ/∂z)(z̃_ik)]ᵀ ∇f(b_i),  z̃_ik ~ z | H(z) = b_i.
//
// The draws z̃ are not differentiated through: ∂z/∂θ is that of the
// location family z = ℓ(θ) + ε (dist.RelaxedLocation), the same for every
// draw. So E[GumbelRao_K] = E[STGumbel] for every K (the tower property),
// and its variance Var(E[·|b]) + E[Var(·|b)]/K does not increase with K.
// It is biased wherever ST-Gumbel is, and costs one ∇f per sample (and K
// relaxations).
//
// Deviation from the reference (Paulus et al., gumbel_rao in their code;
// the same as the ReinMax repository's rao_gumbel): the first of the K
// draws is the z that produced b, itself a draw of z given b, and the
// other K − 1 are fresh conditional draws (dist.RelaxedConditional's
// CondPreact), where the reference discards z and draws K fresh ones. The
// law of the estimate is the same, and at K = 1 it is bit for bit
// STGumbel's (st-gumbel with the same τ and random stream).
type GumbelRao struct {
	// Tau is the temperature, > 0.
	Tau float64
	// K is the number of draws of z given b per sample, ≥ 1.
	K int

	u, v, z, x, b, g, dz, sum []float64
}

// NewGumbelRao returns the estimator at temperature tau with k draws per
// sample, or an error if tau is not positive or k < 1.
func NewGumbelRao(tau float64, k int) (*GumbelRao, error) {
	if !(tau > 0) {
		return nil, fmt.Errorf("option tau = %v: want tau > 0", tau)
	}
	if k < 1 || k > 1<<20 {
		return nil, fmt.Errorf("option k = %d: want an integer in [1, 2²⁰]", k)
	}
	return &GumbelRao{Tau: tau, K: k}, nil
}

// Info describes the estimator.
func (*GumbelRao) Info() Info {
	return Info{
		Name:    "gumbel-rao",
		Summary: "Gumbel-Rao (Paulus et al. 2021): straight-through Gumbel-Softmax with the relaxed Jacobian averaged over K draws of z given the sample (biased; relaxed location family)",
		Needs:   NeedsGrad | NeedsRelaxed | NeedsRelaxedConditional | NeedsRelaxedLocation,
		Cost:    "1 ∇f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *GumbelRao) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if err := Supports(e, p, f, n); err != nil {
		return Cost{}, err
	}
	checkGrad(grad, p)
	r := p.(dist.RelaxedLocation)
	df := f.(objective.Differentiable)
	d := p.Dim()
	e.u, e.v, e.z, e.x, e.b = grow(e.u, d), grow(e.v, d), grow(e.z, d), grow(e.x, d), grow(e.b, d)
	e.g, e.dz, e.sum = grow(e.g, d), grow(e.dz, d), grow(e.sum, d)
	zero(grad)
	for range n {
		// The straight-through Gumbel-Softmax sample, as STGumbel draws it.
		r.RelaxNoise(e.u, rng)
		r.Preact(e.z, e.u)
		r.Soft(e.x, e.z, e.Tau)
		r.Hard(e.b, e.z)
		df.Grad(e.g, e.b)
		r.SoftVJP(e.dz, e.x, e.z, e.g, e.Tau)
		if e.K > 1 {
			copy(e.sum, e.dz)
			for range e.K - 1 {
				r.RelaxNoise(e.v, rng)
				r.CondPreact(e.z, e.v, e.b)
				r.Soft(e.x, e.z, e.Tau)
				r.SoftVJP(e.dz, e.x, e.z, e.g, e.Tau)
				for j, v := range e.dz {
					e.sum[j] += v
				}
			}
			scale(1/float64(e.K), e.sum)
			copy(e.dz, e.sum)
		}
		r.LocationVJP(grad, e.dz)
	}
	scale(1/float64(n), grad)
	return Cost{Grad: n}, nil
}

func init() {
	Register("gumbel-rao", func(o *Options) (Estimator, error) {
		tau, err := o.Float("tau", 0.5)
		if err != nil {
			return nil, err
		}
		k, err := o.Int("k", 10)
		if err != nil {
			return nil, err
		}
		return NewGumbelRao(tau, k)
	})
}
