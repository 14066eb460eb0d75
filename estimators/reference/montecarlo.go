package reference

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// mcStream is the second PCG word of the Monte Carlo generator.
const mcStream = 0x5eed_0f_2e_fe_2e_9ce

// monteCarlo returns the mean of a large sample of single-sample pathwise
// estimates (when p is reparameterized and f differentiable) or score-function
// estimates (otherwise), with their standard errors.
func monteCarlo(p dist.Distribution, f objective.Objective, opts Options) (Result, error) {
	n := opts.samples()
	if n < 2 {
		return Result{}, fmt.Errorf("reference: montecarlo: %d samples, want at least 2", n)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, mcStream))
	np, dim := p.NumParams(), p.Dim()
	x, g := make([]float64, dim), make([]float64, np)
	mean, m2 := make([]float64, np), make([]float64, np)
	value := 0.0

	rp, isRep := p.(dist.Reparameterized)
	df, isDiff := f.(objective.Differentiable)
	kind := "score function"
	var eps, gx []float64
	if isRep && isDiff {
		kind = "pathwise"
		eps, gx = make([]float64, dim), make([]float64, dim)
	}
	for i := range n {
		var fx float64
		if eps != nil {
			rp.Noise(eps, rng)
			rp.Transform(x, eps)
			fx = df.Grad(gx, x)
			clear(g)
			rp.PathVJP(g, eps, gx)
		} else {
			p.Rand(x, rng)
			fx = f.Value(x)
			p.Score(g, x)
			for j := range g {
				g[j] *= fx
			}
		}
		if math.IsNaN(fx) || math.IsInf(fx, 0) {
			return Result{}, fmt.Errorf("reference: montecarlo: objective %s is %v at %v", f.Name(), fx, x)
		}
		// Welford updates.
		k := float64(i + 1)
		value += (fx - value) / k
		for j, v := range g {
			d := v - mean[j]
			mean[j] += d / k
			m2[j] += d * (v - mean[j])
		}
	}
	r := Result{Grad: mean, SE: m2, Value: value, Method: MethodMonteCarlo,
		Detail: fmt.Sprintf("%s, n = %d, seed %d", kind, n, opts.Seed)}
	for j := range m2 {
		r.SE[j] = math.Sqrt(m2[j] / float64(n-1) / float64(n))
	}
	if err := checkFiniteResult(r); err != nil {
		return Result{}, fmt.Errorf("reference: montecarlo of %s under %s: %w", f.Name(), p.Name(), err)
	}
	return r, nil
}
