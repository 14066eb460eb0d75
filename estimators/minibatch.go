package estimators

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Minibatch is a family of B objectives f_0, …, f_{B−1}, one per example of
// a minibatch, that a model evaluates at many points in one pass: the
// decoder of a VAE, say, whose evaluation at R points is one matrix product
// of R rows instead of R matrix–vector products.
type Minibatch interface {
	// Len returns B.
	Len() int
	// Objective returns f_i (0 ≤ i < B), for estimators without a
	// minibatch path. It may share storage with the Minibatch: valid until
	// the next call of Objective or Values.
	Objective(i int) objective.Objective
	// Values writes f_{idx[r]}(x_r) into dst[r] for the rows x_r of xs
	// (row-major, len(idx) rows of the families' dimension). It panics if
	// the lengths disagree.
	Values(dst, xs []float64, idx []int)
}

// ContextMinibatch is a Minibatch that also gives each example's
// conditioning input: the image x_i of a VAE's example i, say, which the
// objectives f_i depend on as data. A control variate may take it as
// input alongside the latent sample, as RELAX's network does in its
// references (RelaxCV with input = xz).
//
// It is optional: an estimator whose network needs the conditioning input
// returns an error wrapping ErrUnsupported when the Minibatch does not
// implement it; other estimators ignore it.
type ContextMinibatch interface {
	Minibatch
	// Context returns example i's conditioning input (0 ≤ i < Len), of the
	// same length for every i. It may share storage with the Minibatch:
	// valid until the next call of a Minibatch method, and not to be
	// modified.
	Context(i int) []float64
}

// GradMetric is a Minibatch whose families' parameters are functions of
// shared model parameters θ, such as the logits an encoder network computes
// from each image with its weights θ. With J_i the Jacobian of example i's
// family parameters with respect to θ and J the B·P × dim θ matrix that
// stacks them, the minibatch's model-parameter gradient is Jᵀ G =
// Σ_i J_iᵀ G_i for the per-example gradients G (B×P, row i the gradient
// with respect to example i's family parameters).
//
// It is optional: an estimator that adapts its own parameters to minimise
// the squared norm ‖Jᵀ G‖² of the model-parameter gradient (RelaxCV with
// objective = params, the default) uses Pullback to compute that norm's
// derivative; when the Minibatch does not implement GradMetric it takes
// J Jᵀ as the identity, that is it minimises Σ_i ‖G_i‖², the per-example
// metric.
type GradMetric interface {
	Minibatch
	// Pullback writes u = J Jᵀ g into u for per-example gradients g, both
	// B·P values laid out like the grads of EstimateMinibatch (row i
	// example i's), so that u_i = J_i Σ_k J_kᵀ g_k and the derivative of
	// ‖Jᵀ g‖² with respect to g is 2u. It must not retain g or u.
	Pullback(u, g []float64)
}

// MinibatchEstimator is implemented by estimators with a minibatch path:
// they estimate the gradients of the B expectations E_{p_i}[f_i] of a
// minibatch in one call, evaluating f at all their points through one
// Minibatch.Values call.
//
// The estimate for example i is the one Estimate(grad_i, ps[i],
// f.Objective(i), n, rng) writes when called for i = 0, 1, …, B−1 in turn:
// the same draws from rng in the same order, so no noise of one example
// leaks into another's estimate, and the two paths agree up to the rounding
// of f's evaluation (a matrix product sums in another order than a
// matrix–vector product).
type MinibatchEstimator interface {
	Estimator
	// EstimateMinibatch writes example i's n-sample estimate into
	// grads[i*P:(i+1)*P], P = ps[i].NumParams() (the same for every i), and
	// returns the evaluations of f used in all. It panics if len(grads) is
	// not B·P or len(ps) is not f.Len(), and returns an ErrUnsupported error
	// as Estimate does.
	EstimateMinibatch(grads []float64, ps []dist.Distribution, f Minibatch, n int, rng *rand.Rand) (Cost, error)
}

// EstimateMinibatch estimates the gradients of a minibatch's expectations
// (see MinibatchEstimator) with e's minibatch path when it has one, and
// otherwise with a loop over Estimate(grads_i, ps[i], f.Objective(i), n,
// rng) for i = 0, 1, …, B−1: the fallback, which gives the same estimates
// up to the rounding of f's evaluation.
func EstimateMinibatch(e Estimator, grads []float64, ps []dist.Distribution, f Minibatch, n int, rng *rand.Rand) (Cost, error) {
	B := f.Len()
	if len(ps) != B {
		panic(fmt.Sprintf("estimators: EstimateMinibatch: %d families for %d objectives", len(ps), B))
	}
	if B == 0 {
		return Cost{}, nil
	}
	P := ps[0].NumParams()
	if len(grads) != B*P {
		panic(fmt.Sprintf("estimators: EstimateMinibatch: gradient length %d, want %d examples × %d parameters", len(grads), B, P))
	}
	if m, ok := e.(MinibatchEstimator); ok {
		return m.EstimateMinibatch(grads, ps, f, n, rng)
	}
	var total Cost
	for i, p := range ps {
		c, err := e.Estimate(grads[i*P:(i+1)*P], p, f.Objective(i), n, rng)
		total.F += c.F
		total.Grad += c.Grad
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// minibatchScratch holds the points, their example indices and values of
// one minibatch call.
type minibatchScratch struct {
	xs, vals []float64
	idx      []int
	us, g    []float64 // antithetic paths: the uniforms, one pair's logit gradient
}

// rows sizes the scratch for r points of dimension d.
func (s *minibatchScratch) rows(r, d int) {
	s.xs, s.vals = grow(s.xs, r*d), grow(s.vals, r)
	if cap(s.idx) < r {
		s.idx = make([]int, r)
	}
	s.idx = s.idx[:r]
}

// checkMinibatch checks the common arguments of a minibatch path: every
// family binary (if binary) and of one dimension, and n ≥ minN.
func checkMinibatch(e Estimator, ps []dist.Distribution, f Minibatch, n int, binary bool) error {
	info := e.Info()
	for _, p := range ps {
		if err := Check(info, p, nil, n); err != nil {
			return err
		}
		if binary {
			if _, ok := p.(dist.Binary); !ok {
				return Unsupported(info.Name, "family %s is not independent Bernoulli", p.Name())
			}
		}
		if p.Dim() != ps[0].Dim() || p.NumParams() != ps[0].NumParams() {
			return Unsupported(info.Name, "the families of a minibatch differ in size")
		}
	}
	if len(ps) != f.Len() {
		panic(fmt.Sprintf("estimators: EstimateMinibatch: %d families for %d objectives", len(ps), f.Len()))
	}
	return nil
}

// pairs runs the minibatch path of an antithetic estimator (ARM, DisARM):
// for every example i and sample s it calls draw(bp, b1, b2, us) to draw
// the pair's points b1, b2 (and keep its uniforms in us, Dim values) in the
// per-example order, evaluates all 2nB points in one Values call, and
// calls grad(bp, f(b1), f(b2), n, b1, b2, us, g) to write the pair's
// gradient with respect to the logits into g (divided by n, as Estimate
// does), which it then maps to the parameters.
func (s *minibatchScratch) pairs(grads []float64, ps []dist.Distribution, f Minibatch, n int,
	draw func(bp dist.Binary, b1, b2, us []float64),
	grad func(bp dist.Binary, fb1, fb2, n float64, b1, b2, us, g []float64)) Cost {
	B, d, P := len(ps), ps[0].Dim(), ps[0].NumParams()
	s.rows(2*n*B, d)
	s.us, s.g = grow(s.us, n*B*d), grow(s.g, d)
	xs := s.xs
	for i, p := range ps {
		bp := p.(dist.Binary)
		for k := range n {
			r := 2 * (i*n + k)
			draw(bp, xs[r*d:(r+1)*d], xs[(r+1)*d:(r+2)*d], s.us[(i*n+k)*d:(i*n+k+1)*d])
			s.idx[r], s.idx[r+1] = i, i
		}
	}
	f.Values(s.vals, xs, s.idx)
	for i, p := range ps {
		bp := p.(dist.Binary)
		g := grads[i*P : (i+1)*P]
		zero(g)
		for k := range n {
			r := 2 * (i*n + k)
			grad(bp, s.vals[r], s.vals[r+1], float64(n), xs[r*d:(r+1)*d], xs[(r+1)*d:(r+2)*d],
				s.us[(i*n+k)*d:(i*n+k+1)*d], s.g)
			bp.LogitVJP(g, s.g)
		}
	}
	return Cost{F: 2 * n * B}
}

// EstimateMinibatch is DisARM's minibatch path: the 2n antithetic points
// of every example go through one Values call.
func (e *DisARM) EstimateMinibatch(grads []float64, ps []dist.Distribution, f Minibatch, n int, rng *rand.Rand) (Cost, error) {
	if err := checkMinibatch(e, ps, f, n, true); err != nil {
		return Cost{}, err
	}
	return e.mb.pairs(grads, ps, f, n, func(bp dist.Binary, b1, b2, s []float64) {
		disarmPair(bp, b1, b2, s, rng)
	}, func(_ dist.Binary, fb1, fb2, n float64, b1, b2, s, g []float64) {
		disarmLogitGrad(g, b1, b2, s, 0.5*(fb1-fb2)/n)
	}), nil
}

// EstimateMinibatch is ARM's minibatch path: the 2n antithetic points of
// every example go through one Values call.
func (e *ARM) EstimateMinibatch(grads []float64, ps []dist.Distribution, f Minibatch, n int, rng *rand.Rand) (Cost, error) {
	if err := checkMinibatch(e, ps, f, n, true); err != nil {
		return Cost{}, err
	}
	return e.mb.pairs(grads, ps, f, n, func(bp dist.Binary, b1, b2, us []float64) {
		armPair(bp, us, b1, b2, rng)
	}, func(_ dist.Binary, fb1, fb2, n float64, _, _, us, g []float64) {
		armLogitGrad(g, us, (fb1-fb2)/n)
	}), nil
}

// EstimateMinibatch is the minibatch path of score+loo: the n samples of
// every example go through one Values call.
func (e *ScoreLOO) EstimateMinibatch(grads []float64, ps []dist.Distribution, f Minibatch, n int, rng *rand.Rand) (Cost, error) {
	if n < 2 {
		return Cost{}, Check(e.Info(), ps[0], nil, n)
	}
	if err := checkMinibatch(e, ps, f, n, false); err != nil {
		return Cost{}, err
	}
	B, d, P := len(ps), ps[0].Dim(), ps[0].NumParams()
	e.mb.rows(n*B, d)
	xs := e.mb.xs
	// Untied Bernoulli coordinates: σ(α) once per example for its n draws
	// and scores, with the bits of Rand and Score (the draws compare the
	// same uniforms with the same σ(α_d); the score is x_d − σ(α_d)).
	bv := bernoulliVecs(e.bv[:0], ps, d, P)
	e.bv = bv
	e.probs = grow(e.probs, len(bv)*d)
	for i, b := range bv {
		b.Mean(e.probs[i*d : (i+1)*d])
	}
	for i, p := range ps {
		for s := range n {
			r := i*n + s
			if x := xs[r*d : (r+1)*d]; bv != nil {
				for k, pk := range e.probs[i*d : (i+1)*d] {
					x[k] = bit(rng.Float64() < pk)
				}
			} else {
				p.Rand(x, rng)
			}
			e.mb.idx[r] = i
		}
	}
	f.Values(e.mb.vals, xs, e.mb.idx)
	e.s, e.sumS = grow(e.s, P), grow(e.sumS, P)
	for i, p := range ps {
		var probs []float64
		if bv != nil {
			probs = e.probs[i*d : (i+1)*d]
		}
		grad := grads[i*P : (i+1)*P]
		zero(grad)
		zero(e.sumS)
		c, sumF := 0.0, 0.0
		for s := range n {
			r := i*n + s
			fx := e.mb.vals[r]
			if s == 0 {
				c = fx
			}
			w := fx - c
			sumF += w
			if x := xs[r*d : (r+1)*d]; probs != nil {
				for k, pk := range probs {
					e.s[k] = x[k] - pk
				}
			} else {
				p.Score(e.s, x)
			}
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
	return Cost{F: n * B}, nil
}

// bernoulliVecs appends ps to dst as untied *dist.BernoulliVec values of d
// coordinates and P = d parameters, or returns nil if one is not.
func bernoulliVecs(dst []*dist.BernoulliVec, ps []dist.Distribution, d, P int) []*dist.BernoulliVec {
	if d != P {
		return nil
	}
	for _, p := range ps {
		b, ok := p.(*dist.BernoulliVec)
		if !ok || b.Tied || len(b.Logits) != d {
			return nil
		}
		dst = append(dst, b)
	}
	return dst
}
