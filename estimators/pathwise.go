package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Pathwise is the pathwise (reparameterization) estimator:
//
//	∇θ E[f] ≈ (1/n) Σ_i (∂x/∂θ)ᵀ ∇f(x_i),  x_i = g(θ, ε_i).
//
// It is unbiased when f is differentiable almost everywhere and the
// exchange of derivative and integral holds; on a step objective it returns
// zero, which is wrong, and so needs ∇f to exist.
//
// With the option sampling = antithetic or rqmc (see SamplingAntithetic,
// SamplingRQMC) its samples come from antithetic pairs or scrambled
// Sobol' points, for families whose noise is a function of uniforms.
type Pathwise struct {
	eps, x, gx []float64
	samp       *uniforms // nil: iid
}

// Info describes the pathwise estimator.
func (*Pathwise) Info() Info {
	return Info{
		Name:     "pathwise",
		Summary:  "reparameterization: mean of (∂x/∂θ)ᵀ ∇f(g(θ, ε))",
		Unbiased: true,
		Needs:    NeedsReparam | NeedsGrad,
		Cost:     "1 ∇f",
	}
}

// Estimate writes the n-sample pathwise estimate into grad.
func (e *Pathwise) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	rp, ok := p.(dist.Reparameterized)
	df, ok2 := f.(objective.Differentiable)
	if !ok || !ok2 || n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	if e.samp != nil {
		if err := e.samp.supports("pathwise", p, n); err != nil {
			return Cost{}, err
		}
		return e.sampled(grad, p, f, n, rng)
	}
	d := p.Dim()
	e.eps, e.x, e.gx = grow(e.eps, d), grow(e.x, d), grow(e.gx, d)
	zero(grad)
	bp, ok := rp.(dist.BatchReparameterized)
	bf, ok2 := df.(objective.BatchDifferentiable)
	if !ok || !ok2 {
		for range n {
			rp.Noise(e.eps, rng)
			rp.Transform(e.x, e.eps)
			df.Grad(e.gx, e.x)
			rp.PathVJP(grad, e.eps, e.gx)
		}
		scale(1/float64(n), grad)
		return Cost{Grad: n}, nil
	}
	// Batched: the same draws and sums in the same order, with four
	// interface calls per chunk instead of per sample.
	chunk := chunkRows(n, d)
	e.eps, e.x, e.gx = grow(e.eps, chunk*d), grow(e.x, chunk*d), grow(e.gx, chunk*d)
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done) * d
		eps, x, gx := e.eps[:k], e.x[:k], e.gx[:k]
		bp.NoiseN(eps, rng)
		bp.TransformN(x, eps)
		bf.Grads(gx, x)
		bp.PathVJPN(grad, eps, gx)
	}
	scale(1/float64(n), grad)
	return Cost{Grad: n}, nil
}

// replicate writes R estimates into dst (the batched replications of
// Replicate). With batched family and objective, the noise, points and
// gradients of a group of replications are drawn and evaluated in one call
// each.
func (e *Pathwise) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	bp, ok := p.(dist.BatchReparameterized)
	bf, ok2 := f.(objective.BatchDifferentiable)
	d, P := p.Dim(), p.NumParams()
	G := groupSize(n, d, R)
	if !ok || !ok2 || G == 0 || e.samp != nil {
		return replicateLoop(e, dst, p, f, n, R, rng)
	}
	e.eps, e.x, e.gx = grow(e.eps, G*n*d), grow(e.x, G*n*d), grow(e.gx, G*n*d)
	gp, means := bp.(dist.GroupReparameterized)
	inv := 1 / float64(n)
	for r0 := 0; r0 < R; r0 += G {
		g := min(G, R-r0)
		k := g * n * d
		eps, x, gx := e.eps[:k], e.x[:k], e.gx[:k]
		bp.NoiseN(eps, rng)
		bp.TransformN(x, eps)
		bf.Grads(gx, x)
		if means {
			gp.PathMeans(dst[r0*P:(r0+g)*P], eps, gx, n)
			continue
		}
		for r := range g {
			row := dst[(r0+r)*P : (r0+r+1)*P : (r0+r+1)*P]
			zero(row)
			bp.PathVJPN(row, eps[r*n*d:(r+1)*n*d], gx[r*n*d:(r+1)*n*d])
			scale(inv, row)
		}
	}
	return Cost{Grad: n * R}, nil
}

func init() {
	Register("pathwise", func(o *Options) (Estimator, error) {
		s, err := samplingOption(o)
		return &Pathwise{samp: s}, err
	})
}

// Supports reports whether the sampling scheme applies to p and n
// (Supporter).
func (e *Pathwise) Supports(p dist.Distribution, _ objective.Objective, n int) error {
	return e.samp.supports("pathwise", p, n)
}

// self returns e (see replicator).
func (e *Pathwise) self() Estimator { return e }
