package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ARM is the augment-REINFORCE-merge estimator of Yin and Zhou (2019) for
// independent Bernoulli coordinates with logits α: with u uniform on
// (0, 1)^D shared by the coordinates,
//
//	∂/∂α_d E[f] ≈ (1/n) Σ_i (f(1[u_i > σ(−α)]) − f(1[u_i < σ(α)])) (u_id − 1/2).
//
// It is unbiased, needs a dist.Binary family and costs 2 evaluations of f
// per sample.
type ARM struct {
	u, g  []float64
	us    []float64 // the uniforms of a minibatch
	mb    minibatchScratch
	pairs pairChunks
}

// Info describes the estimator.
func (*ARM) Info() Info {
	return Info{
		Name:     "arm",
		Summary:  "ARM (Yin & Zhou 2019): antithetic pair f(1[u>σ(−α)]) − f(1[u<σ(α)]) times (u − ½) (independent Bernoulli)",
		Unbiased: true,
		Needs:    NeedsBinary,
		Cost:     "2 f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *ARM) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	return e.replicate(grad, p, f, n, 1, rng)
}

// replicate writes R estimates into dst (the batched replications of
// Replicate). The antithetic pairs of up to 256 samples (of one or more
// replications) are drawn first, then evaluated with one Values call per
// side when f is an objective.Batch.
func (e *ARM) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	bp, ok := p.(dist.Binary)
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported("arm", "family %s is not independent Bernoulli", p.Name())
	}
	d, P := p.Dim(), p.NumParams()
	e.g = grow(e.g, d)
	zero(dst)
	m := e.pairs.init(d)
	e.u = grow(e.u, m*d)
	for done := 0; done < n*R; {
		k := min(m, n*R-done)
		for t := range k {
			b1, b2 := e.pairs.pair(t, d)
			u := e.u[t*d : (t+1)*d]
			armPair(bp, u, b1, b2, rng)
		}
		e.pairs.eval(f, k, d)
		for t := range k {
			w := (e.pairs.f1[t] - e.pairs.f2[t]) / float64(n)
			for j, u := range e.u[t*d : (t+1)*d] {
				e.g[j] = w * (u - 0.5)
			}
			r := (done + t) / n
			bp.LogitVJP(dst[r*P:(r+1)*P:(r+1)*P], e.g)
		}
		done += k
	}
	return Cost{F: 2 * n * R}, nil
}

// armPair draws ARM's uniforms u and antithetic pair b1 = 1[u > σ(−α)],
// b2 = 1[u < σ(α)].
func armPair(bp dist.Binary, u, b1, b2 []float64, rng *rand.Rand) {
	for k := range b1 {
		uk := rng.Float64()
		a := bp.LogitAt(k)
		u[k] = uk
		b1[k], b2[k] = 0, 0
		if uk > sigmoidF(-a) {
			b1[k] = 1
		}
		if uk < sigmoidF(a) {
			b2[k] = 1
		}
	}
}

func init() {
	Register("arm", func(*Options) (Estimator, error) { return &ARM{}, nil })
}

// self returns e (see replicator).
func (e *ARM) self() Estimator { return e }
