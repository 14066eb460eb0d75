package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ScoreConst is the score-function estimator with a fixed baseline B:
//
//	∇θ E[f] ≈ (1/n) Σ_i (f(x_i) − B) ∇θ log p(x_i;θ).
//
// It is unbiased for every B, because E[∇θ log p] = 0; its variance depends
// on B, which makes it a reference point for learned baselines.
type ScoreConst struct {
	// B is the baseline subtracted from f.
	B float64

	x, s []float64
}

// Info describes the estimator.
func (*ScoreConst) Info() Info {
	return Info{
		Name:     "score+const",
		Summary:  "REINFORCE with a fixed baseline b (option b, default 0)",
		Unbiased: true,
		Cost:     "1 f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *ScoreConst) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	e.x, e.s = grow(e.x, p.Dim()), grow(e.s, p.NumParams())
	zero(grad)
	for range n {
		p.Rand(e.x, rng)
		w := f.Value(e.x) - e.B
		p.Score(e.s, e.x)
		for j, sj := range e.s {
			grad[j] += w * sj
		}
	}
	scale(1/float64(n), grad)
	return Cost{F: n}, nil
}

func init() {
	Register("score+const", func(o *Options) (Estimator, error) {
		b, err := o.Float("b", 0)
		if err != nil {
			return nil, err
		}
		return &ScoreConst{B: b}, nil
	})
}
