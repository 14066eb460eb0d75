package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Score is the score-function (REINFORCE, likelihood-ratio) estimator:
//
//	∇θ E[f] ≈ (1/n) Σ_i f(x_i) ∇θ log p(x_i;θ),  x_i ~ p(·;θ).
//
// It needs only samples, log-density gradients and values of f, so it works
// for discrete families and non-differentiable objectives.
//
// With the option sampling = antithetic or rqmc (see SamplingAntithetic,
// SamplingRQMC) its samples x = g(θ, ε) come from antithetic pairs or
// scrambled Sobol' points, for families whose noise is a function of
// uniforms.
type Score struct {
	x, s   []float64
	xs, fs []float64 // batch buffers
	smp    samples
	samp   *uniforms // nil: iid
}

// Info describes the score-function estimator.
func (*Score) Info() Info {
	return Info{
		Name:     "score",
		Summary:  "REINFORCE: mean of f(x) ∇θ log p(x;θ)",
		Unbiased: true,
		Cost:     "1 f",
	}
}

// Estimate writes the n-sample score-function estimate into grad.
func (e *Score) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	if e.samp != nil {
		if err := e.samp.supports("score", p, n); err != nil {
			return Cost{}, err
		}
		return e.sampled(grad, p, f, n, rng)
	}
	e.x, e.s = grow(e.x, p.Dim()), grow(e.s, p.NumParams())
	zero(grad)
	bp, ok := p.(dist.BatchScorer)
	bf, ok2 := f.(objective.Batch)
	if ok && ok2 {
		// Batched: the same draws and sums in the same order, with three
		// interface calls per chunk instead of per sample.
		d := p.Dim()
		chunk := chunkRows(n, d)
		e.xs, e.fs = grow(e.xs, chunk*d), grow(e.fs, chunk)
		for done := 0; done < n; done += chunk {
			k := min(chunk, n-done)
			x, fs := e.xs[:k*d], e.fs[:k]
			bp.RandN(x, rng)
			bf.Values(fs, x)
			bp.ScoreVJPN(grad, x, fs)
		}
		scale(1/float64(n), grad)
		return Cost{F: n}, nil
	}
	for range n {
		p.Rand(e.x, rng)
		e.add(grad, p, f)
	}
	scale(1/float64(n), grad)
	return Cost{F: n}, nil
}

// add adds f(x) ∇θ log p(x) at x = e.x to grad.
func (e *Score) add(grad []float64, p dist.Distribution, f objective.Objective) {
	fx := f.Value(e.x)
	p.Score(e.s, e.x)
	for j, sj := range e.s {
		grad[j] += fx * sj
	}
}

// replicate writes R estimates into dst (the batched replications of
// Replicate). With batched family and objective, the samples and values of
// a group of replications are drawn and evaluated in one call each.
func (e *Score) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	bp, ok := p.(dist.BatchScorer)
	_, ok2 := f.(objective.Batch)
	d, P := p.Dim(), p.NumParams()
	G := groupSize(n, d, R)
	if !ok || !ok2 || G == 0 || e.samp != nil {
		return replicateLoop(e, dst, p, f, n, R, rng)
	}
	gp, means := bp.(dist.GroupScorer)
	inv := 1 / float64(n)
	for r0 := 0; r0 < R; r0 += G {
		g := min(G, R-r0)
		xs, fs := e.smp.draw(p, f, g*n, d, rng)
		if means {
			gp.ScoreMeans(dst[r0*P:(r0+g)*P], xs, fs, n)
			continue
		}
		for r := range g {
			row := dst[(r0+r)*P : (r0+r+1)*P : (r0+r+1)*P]
			zero(row)
			bp.ScoreVJPN(row, xs[r*n*d:(r+1)*n*d], fs[r*n:(r+1)*n])
			scale(inv, row)
		}
	}
	return Cost{F: n * R}, nil
}

func init() {
	Register("score", func(o *Options) (Estimator, error) {
		s, err := samplingOption(o)
		return &Score{samp: s}, err
	})
}

// Supports reports whether the sampling scheme applies to p and n
// (Supporter).
func (e *Score) Supports(p dist.Distribution, _ objective.Objective, n int) error {
	return e.samp.supports("score", p, n)
}

// self returns e (see replicator).
func (e *Score) self() Estimator { return e }
