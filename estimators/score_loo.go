package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ScoreLOO is the leave-one-out (RLOO) score-function estimator of Kool, van
// Hoof and Welling (2019): each sample's baseline is the mean of f over the
// other samples of the batch,
//
//	∇θ E[f] ≈ (1/n) Σ_i (f_i − (1/(n−1)) Σ_{k≠i} f_k) s_i = 1/(n−1) Σ_i (f_i − f̄) s_i,
//
// with f_i = f(x_i), s_i = ∇θ log p(x_i;θ). The baseline of sample i is
// independent of x_i, so the estimate is unbiased. It needs n ≥ 2.
type ScoreLOO struct {
	mb      minibatchScratch
	smp     samples
	s, sumS []float64
	probs   []float64            // σ(α) of the examples (the Bernoulli fast path)
	bv      []*dist.BernoulliVec // the examples on that path
}

// Info describes the estimator.
func (*ScoreLOO) Info() Info {
	return Info{
		Name:       "score+loo",
		Summary:    "REINFORCE with the leave-one-out mean of f as baseline (RLOO)",
		Unbiased:   true,
		MinSamples: 2,
		Cost:       "1 f",
	}
}

// Estimate writes the n-sample estimate into grad.
//
// It uses one pass and no per-sample storage: for any constant c,
// Σ_i (f_i − f̄) s_i = Σ_i (f_i − c) s_i − (Σ_i (f_i − c)/n) Σ_i s_i, and c =
// f_1 keeps the two sums small when f has a large offset.
func (e *ScoreLOO) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if n < 2 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	xs, fs := e.smp.draw(p, f, n, p.Dim(), rng)
	e.fromSamples(grad, p, xs, fs)
	return Cost{F: n}, nil
}

// replicate writes R estimates into dst (the batched replications of
// Replicate), drawing the samples of a group of replications together.
func (e *ScoreLOO) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	if n < 2 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	return replicateSamples(e, &e.smp, dst, p, f, n, R, rng), nil
}

func (e *ScoreLOO) fromSamples(grad []float64, p dist.Distribution, xs, fs []float64) {
	np, d, n := p.NumParams(), p.Dim(), len(fs)
	e.s, e.sumS = grow(e.s, np), grow(e.sumS, np)
	zero(grad) // accumulates Σ (f_i − c) s_i
	zero(e.sumS)
	c, sumF := fs[0], 0.0
	for i, fx := range fs {
		w := fx - c
		sumF += w
		p.Score(e.s, xs[i*d:(i+1)*d:(i+1)*d])
		for j, sj := range e.s {
			grad[j] += w * sj
			e.sumS[j] += sj
		}
	}
	mean := sumF / float64(n)
	inv := 1 / float64(n-1)
	for j := range grad {
		grad[j] = (grad[j] - mean*e.sumS[j]) * inv
	}
}

func init() {
	Register("score+loo", func(*Options) (Estimator, error) { return &ScoreLOO{}, nil })
}

// self returns e (see replicator).
func (e *ScoreLOO) self() Estimator { return e }
