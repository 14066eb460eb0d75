package estimators

import (
	"math"
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
	return e.pairs.replicate(e, dst, bp, f, n, R, rng), nil
}

func (*ARM) drawPair(bp dist.Binary, b1, b2, u []float64, rng *rand.Rand) {
	armPair(bp, u, b1, b2, rng)
}

func (*ARM) pairGrad(g, _, _, u []float64, f1, f2, n float64) {
	armLogitGrad(g, u, (f1-f2)/n)
}

// armLogitGrad writes ARM's logit gradient w (u − ½), w = (f(b1) − f(b2)) /
// n, into g.
func armLogitGrad(g, u []float64, w float64) {
	for k, uk := range u {
		g[k] = w * (uk - 0.5)
	}
}

// armPair draws ARM's uniforms u and antithetic pair b1 = 1[u > σ(−α)],
// b2 = 1[u < σ(α)].
func armPair(bp dist.Binary, u, b1, b2 []float64, rng *rand.Rand) {
	logits := logitsOf(bp, len(b1))
	for k := range b1 {
		uk := rng.Float64()
		pos, neg := sigmoids(logitAt(bp, logits, k))
		u[k] = uk
		b1[k], b2[k] = bit(uk > neg), bit(uk < pos)
	}
}

// sigmoids returns σ(α) and σ(−α) with the bits of sigmoidF(α) and
// sigmoidF(−α), from one exponential e^−|α|.
func sigmoids(a float64) (pos, neg float64) {
	e := math.Exp(-math.Abs(a))
	hi, lo := 1/(1+e), e/(1+e)
	if a >= 0 {
		return hi, lo
	}
	return lo, hi
}

// logitsOf returns the first d logits of bp as a slice when it is a
// *dist.BernoulliVec (the pair loops then read them without a call per
// coordinate), or nil.
func logitsOf(bp dist.Binary, d int) []float64 {
	if v, ok := bp.(*dist.BernoulliVec); ok {
		return v.Logits[:d]
	}
	return nil
}

// logitAt returns α_k: logits[k] if logits is not nil, else bp.LogitAt(k).
func logitAt(bp dist.Binary, logits []float64, k int) float64 {
	if logits != nil {
		return logits[k]
	}
	return bp.LogitAt(k)
}

// bit returns 1 if c, else 0, compiled without a branch (a random
// comparison would mispredict half the time).
func bit(c bool) float64 {
	var b uint8
	if c {
		b = 1
	}
	return float64(b)
}

func init() {
	Register("arm", func(*Options) (Estimator, error) { return &ARM{}, nil })
}

// self returns e (see replicator).
func (e *ARM) self() Estimator { return e }
