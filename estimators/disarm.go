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
	mb        minibatchScratch
	b1, b2, g []float64
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
	bp, ok := p.(dist.Binary)
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported("disarm", "family %s is not independent Bernoulli", p.Name())
	}
	checkGrad(grad, p)
	d := p.Dim()
	e.b1, e.b2, e.g = grow(e.b1, d), grow(e.b2, d), grow(e.g, d)
	zero(grad)
	for range n {
		for k := range d {
			u := rng.Float64()
			th := sigmoidF(bp.LogitAt(k))
			e.b1[k], e.b2[k] = 0, 0
			if u < th {
				e.b1[k] = 1
			}
			if 1-u < th {
				e.b2[k] = 1
			}
		}
		w := 0.5 * (f.Value(e.b1) - f.Value(e.b2)) / float64(n)
		for k := range d {
			e.g[k] = 0
			if e.b1[k] != e.b2[k] {
				s := sigmoidF(math.Abs(bp.LogitAt(k)))
				if e.b2[k] == 1 {
					s = -s
				}
				e.g[k] = w * s
			}
		}
		bp.LogitVJP(grad, e.g)
	}
	return Cost{F: 2 * n}, nil
}

func init() {
	Register("disarm", func(*Options) (Estimator, error) { return &DisARM{}, nil })
}
