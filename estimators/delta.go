package estimators

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Delta is the delta-method control variate (Paisley et al. 2012; Mohamed
// et al. 2020, §7.4). Its control variate is the second-order Taylor
// expansion of f about the family's mean a = E[x], held constant:
//
//	h(x) = f(a) + ∇f(a)ᵀ(x − a) + ½ Σ_d H_dd(a) (x_d − a_d)²,
//
// whose expectation gradient ∇θ E[h] = Σ_d ∇f(a)_d ∂E[x_d]/∂θ +
// ½ H_dd(a) ∂Var[x_d]/∂θ is known from the family's moments.
//
// With Base "score" (the default) the estimate is, per component j,
//
//	(1/n) Σ_i [u_ij − c_j (v_ij − G_j)],  u_ij = f(x_i) s_ij,  v_ij = h(x_i) s_ij,
//
// with s = ∇θ log p and G = ∇θ E[h] = E[v]. With Base "pathwise", u_ij and
// v_ij are the pathwise terms ((∂x/∂θ)ᵀ ∇f(x_i))_j and ((∂x/∂θ)ᵀ ∇h(x_i))_j,
// which needs a reparameterized family.
//
// The coefficient c_j = Cov(u_j, v_j)/Var(v_j) = E[u_j (v_j − G_j)] /
// E[(v_j − G_j)²] minimizes the variance. It is estimated, for each sample,
// from samples independent of it (running sums over the earlier estimates
// plus the other samples of the batch), so the estimate is unbiased at every
// n; with fewer than 32 such samples c_j = 1. The running sums are multiplied by Decay
// before each batch is added.
//
// Two options follow the reference implementation of Mohamed et al.
// (mc_gradients' control_delta_method and compute_control_variate_coeff):
//
//   - FullHessian uses the full Hessian H(a) in the per-sample control
//     variate, h(x) = f(a) + ∇f(a)ᵀ(x − a) + ½ (x − a)ᵀH(a)(x − a), for
//     objectives that implement objective.Hessian (the others have a
//     diagonal Hessian, so nothing changes for them). Under a family with
//     independent coordinates E[h] and G are the same as with the diagonal,
//     so the estimate stays unbiased. Under the one-hot categorical, whose
//     coordinates are dependent (Cov[x_j, x_k] = −π_j π_k), they are not:
//     FullHessian with an objective.Hessian objective there is unsupported
//     (ErrUnsupported).
//   - FreshSamples = m > 0 re-estimates the coefficient at every estimate
//     from m fresh samples instead of the running sums: one scalar per
//     parameter group (the components whose ParamNames share the part
//     before "[", e.g. every mu[d]), c_g = Σ_{j∈g} Ĉov(u_j, v_j) /
//     (Σ_{j∈g} V̂ar(v_j) + 10⁻³), with the population moments of the m
//     samples. The fresh samples are independent of the n samples of the
//     estimate, so it is unbiased; they cost m more evaluations.
//
// Delta implements Stateful; its state is the running sums, their decayed
// sample count and the frozen flag of a Snapshot (with FreshSamples the
// running sums are not used).
type Delta struct {
	// Pathwise selects the pathwise base estimator instead of the score
	// function.
	Pathwise bool
	// Decay is the weight of the earlier sums, in (0, 1].
	Decay float64
	// FullHessian uses objective.Hessian where f implements it.
	FullHessian bool
	// FreshSamples, if > 0, is the number of fresh samples the coefficients
	// are estimated from at every estimate.
	FreshSamples int

	pastNum, pastDen []float64
	pastCount        float64 // decayed number of samples in the sums
	frozen           bool    // a Snapshot: the running sums are never updated
	sumNum, sumDen   []float64
	a, ga, ha, half  []float64 // Dim: mean, ∇f(a), H(a), ½H(a)
	x, eps, gx, gh   []float64 // Dim scratch
	g                []float64 // P: ∇θ E[h]
	u, w             []float64 // n×P: f terms and centred h terms v − G
	loo              looRatios
	hfull, hd        []float64 // Dim×Dim: the full Hessian H(a); Dim: H(a)(x − a)
	fu, fw           []float64 // m×P: the fresh samples' terms
	groups           []int     // P: parameter group of each component
	cg               []float64 // coefficient per group

	// Set by expand for the family and objective at hand.
	cf   objective.Curved
	rp   dist.Reparameterized // nil unless the family is reparameterized
	full objective.Hessian    // nil unless the full Hessian is used
	fa   float64              // f(a)
}

// deltaCoeffEps stabilises the fresh coefficient's denominator, as the
// reference implementation's eps.
const deltaCoeffEps = 1e-3

// NewDelta returns a delta estimator with the given base ("score" or
// "pathwise") and decay in (0, 1], or an error.
func NewDelta(base string, decay float64) (*Delta, error) {
	if base != "score" && base != "pathwise" {
		return nil, fmt.Errorf("option base = %q: want score or pathwise", base)
	}
	if !(decay > 0 && decay <= 1) {
		return nil, fmt.Errorf("option decay = %v: want 0 < decay ≤ 1", decay)
	}
	return &Delta{Pathwise: base == "pathwise", Decay: decay}, nil
}

// Info describes the estimator.
func (e *Delta) Info() Info {
	info := Info{
		Name:     "delta",
		Summary:  "score function with a second-order Taylor control variate about the mean",
		Unbiased: true,
		Needs:    NeedsCurvature | NeedsGrad | NeedsMoments,
		Cost:     "1 f",
		Stateful: true,
	}
	if e.Pathwise {
		info.Summary = "pathwise with a second-order Taylor control variate about the mean"
		info.Needs |= NeedsReparam
		info.Cost = "1 ∇f"
	}
	return info
}

// Reset forgets the running sums of the coefficient estimates.
func (e *Delta) Reset() {
	e.pastNum, e.pastDen = e.pastNum[:0], e.pastDen[:0]
	e.pastCount = 0
}

// Snapshot returns a copy with the same running sums that never updates
// them.
func (e *Delta) Snapshot() Estimator {
	return &Delta{Pathwise: e.Pathwise, Decay: e.Decay, FullHessian: e.FullHessian, FreshSamples: e.FreshSamples,
		pastNum: slices.Clone(e.pastNum), pastDen: slices.Clone(e.pastDen), pastCount: e.pastCount, frozen: true}
}

// MarshalBinary encodes the running sums, their sample count and the frozen
// flag (and the base and Decay, which UnmarshalBinary checks).
func (e *Delta) MarshalBinary() ([]byte, error) {
	w := newStateEncoder("delta")
	w.bool(e.Pathwise)
	w.float(e.Decay)
	w.bool(e.FullHessian)
	w.float(float64(e.FreshSamples))
	w.floats(e.pastNum)
	w.floats(e.pastDen)
	w.float(e.pastCount)
	w.bool(e.frozen)
	return w.bytes(), nil
}

// UnmarshalBinary restores a state encoded by MarshalBinary of a delta
// estimator with the same base and Decay.
func (e *Delta) UnmarshalBinary(data []byte) error {
	r := newStateDecoder("delta", data)
	r.boolOption("pathwise base", e.Pathwise)
	r.option("decay", e.Decay)
	r.boolOption("hessian", e.FullHessian)
	r.option("coeff_samples", float64(e.FreshSamples))
	num, den, count, frozen := r.floats(), r.floats(), r.float(), r.bool()
	if len(num) != len(den) {
		r.invalid("%d numerator sums, %d denominator sums", len(num), len(den))
	}
	if err := r.finish(); err != nil {
		return err
	}
	e.pastNum, e.pastDen, e.pastCount, e.frozen = num, den, count, frozen
	return nil
}

// deltaWarmup is the number of independent samples below which Delta uses
// c = 1 (the plain Taylor control variate) instead of the estimated
// coefficient: a ratio of sums over a handful of samples has a very heavy
// tail (its denominator can be nearly 0), which made early estimates after a
// Reset dominate the variance. The switch depends only on sample counts, so
// the estimate stays unbiased.
const deltaWarmup = 32

// Estimate writes the n-sample estimate into grad, then adds the batch to the
// running sums (unless e is a Snapshot).
func (e *Delta) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if err := e.expand(p, f, n); err != nil {
		return Cost{}, err
	}
	checkGrad(grad, p)
	return e.estimate(grad, p, f, n, rng), nil
}

// replicate writes R estimates into dst (the batched replications of
// Replicate). The expansion point and its derivatives, which do not depend
// on the draws, are computed once for the R estimates; each reports the
// cost Estimate would, expansion included.
func (e *Delta) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	if err := e.expand(p, f, n); err != nil {
		return Cost{}, err
	}
	P := p.NumParams()
	var total Cost
	for r := range R {
		c := e.estimate(dst[r*P:(r+1)*P:(r+1)*P], p, f, n, rng)
		total.F += c.F
		total.Grad += c.Grad
	}
	return total, nil
}

// Supports refuses hessian = full on a family with dependent coordinates
// when f has a full Hessian (see Supporter).
func (e *Delta) Supports(p dist.Distribution, f objective.Objective, n int) error {
	if _, dense := f.(objective.Hessian); e.FullHessian && dense && !independentCoordinates(p) {
		return Unsupported("delta", "hessian = full needs a family with independent coordinates; those of %s are dependent, and the off-diagonal terms' expectation needs their covariances", p.Name())
	}
	return nil
}

// expand checks that the estimator can handle p, f and n and computes the
// control variate about the mean a and the gradient G of its expectation.
func (e *Delta) expand(p dist.Distribution, f objective.Objective, n int) error {
	mp, ok := p.(dist.Moments)
	cf, ok2 := f.(objective.Curved)
	rp, ok3 := p.(dist.Reparameterized)
	if !ok || !ok2 || (e.Pathwise && !ok3) || n < 1 {
		return Check(e.Info(), p, f, n)
	}
	if err := e.Supports(p, f, n); err != nil {
		return err
	}
	e.cf, e.rp = cf, rp
	d, np := p.Dim(), p.NumParams()
	e.a, e.ga, e.ha, e.half = grow(e.a, d), grow(e.ga, d), grow(e.ha, d), grow(e.half, d)
	e.x, e.eps, e.gx, e.gh = grow(e.x, d), grow(e.eps, d), grow(e.gx, d), grow(e.gh, d)
	e.g = grow(e.g, np)

	// The control variate and its expectation gradient G.
	mp.Mean(e.a)
	e.fa = cf.Grad(e.ga, e.a)
	cf.HessDiag(e.ha, e.a)
	for k, h := range e.ha {
		e.half[k] = h / 2
	}
	e.full = nil
	if e.FullHessian {
		if fh, ok := f.(objective.Hessian); ok {
			e.full = fh
			e.hfull, e.hd = grow(e.hfull, d*d), grow(e.hd, d)
			e.full.Hessian(e.hfull, e.a)
		}
	}
	zero(e.g)
	mp.MomentsVJP(e.g, e.ga, e.half)
	return nil
}

// terms writes the f term u and the centred h term w = v − G of the point
// in e.x (drawn from the noise e.eps with the pathwise base).
func (e *Delta) terms(p dist.Distribution, f objective.Objective, u, w []float64) {
	d := len(e.x)
	if e.full != nil {
		for k, xk := range e.x {
			e.gx[k] = xk - e.a[k] // scratch: x − a
		}
		for r := range d {
			s := 0.0
			row := e.hfull[r*d : (r+1)*d]
			for k, dk := range e.gx[:d] {
				s += row[k] * dk
			}
			e.hd[r] = s
		}
	}
	if e.Pathwise {
		for k, xk := range e.x {
			if e.full != nil {
				e.gh[k] = e.ga[k] + e.hd[k]
			} else {
				e.gh[k] = e.ga[k] + e.ha[k]*(xk-e.a[k])
			}
		}
		e.cf.Grad(e.gx, e.x)
		zero(u)
		zero(w)
		e.rp.PathVJP(u, e.eps, e.gx)
		e.rp.PathVJP(w, e.eps, e.gh)
	} else {
		fx := f.Value(e.x)
		hx := e.fa
		for k, xk := range e.x {
			dk := xk - e.a[k]
			if e.full != nil {
				hx += (e.ga[k] + 0.5*e.hd[k]) * dk
			} else {
				hx += (e.ga[k] + e.half[k]*dk) * dk
			}
		}
		p.Score(w, e.x)
		for j, sj := range w {
			u[j] = fx * sj
			w[j] = hx * sj
		}
	}
	for j := range w {
		w[j] -= e.g[j]
	}
}

// draw draws the next point into e.x.
func (e *Delta) draw(p dist.Distribution, rng *rand.Rand) {
	if e.Pathwise {
		e.rp.Noise(e.eps, rng)
		e.rp.Transform(e.x, e.eps)
	} else {
		p.Rand(e.x, rng)
	}
}

// estimate writes one n-sample estimate into grad, after expand.
func (e *Delta) estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) Cost {
	np := p.NumParams()
	if len(e.pastNum) != np {
		e.pastNum, e.pastDen = grow(e.pastNum, np), grow(e.pastDen, np)
		zero(e.pastNum)
		zero(e.pastDen)
	}
	e.sumNum, e.sumDen = grow(e.sumNum, np), grow(e.sumDen, np)
	e.u, e.w = grow(e.u, n*np), grow(e.w, n*np)
	e.loo.resize(n, np)
	zero(e.sumNum)
	zero(e.sumDen)
	for i := range n {
		u, w := e.u[i*np:(i+1)*np], e.w[i*np:(i+1)*np]
		e.draw(p, rng)
		e.terms(p, f, u, w)
		num, den := e.loo.num[i*np:(i+1)*np], e.loo.den[i*np:(i+1)*np]
		for j := range np {
			num[j] = u[j] * w[j]
			den[j] = w[j] * w[j]
			e.sumNum[j] += num[j]
			e.sumDen[j] += den[j]
		}
	}
	zero(grad)
	if m := e.FreshSamples; m > 0 {
		e.fu, e.fw = grow(e.fu, m*np), grow(e.fw, m*np)
		for i := range m {
			e.draw(p, rng)
			e.terms(p, f, e.fu[i*np:(i+1)*np], e.fw[i*np:(i+1)*np])
		}
		c := e.freshCoefficients(p, m, np)
		for i := range n {
			u, w := e.u[i*np:(i+1)*np], e.w[i*np:(i+1)*np]
			for j := range np {
				grad[j] += u[j] - c[e.groups[j]]*w[j]
			}
		}
		scale(1/float64(n), grad)
		if e.Pathwise {
			return Cost{Grad: n + m + 1}
		}
		return Cost{F: n + m, Grad: 1}
	}
	if e.pastCount+float64(n-1) < deltaWarmup {
		// Too few independent samples for a stable ratio: c = 1.
		for i := range n {
			u, w := e.u[i*np:(i+1)*np], e.w[i*np:(i+1)*np]
			for j := range np {
				grad[j] += u[j] - w[j]
			}
		}
	} else {
		c := e.loo.ratios(n, np, e.pastNum, e.pastDen, 1)
		for i := range n {
			u, w, ci := e.u[i*np:(i+1)*np], e.w[i*np:(i+1)*np], c[i*np:(i+1)*np]
			for j := range np {
				grad[j] += u[j] - ci[j]*w[j]
			}
		}
	}
	scale(1/float64(n), grad)
	if !e.frozen {
		e.pastCount = e.Decay*e.pastCount + float64(n)
		for j := range np {
			e.pastNum[j] = e.Decay*e.pastNum[j] + e.sumNum[j]
			e.pastDen[j] = e.Decay*e.pastDen[j] + e.sumDen[j]
		}
	}
	if e.Pathwise {
		return Cost{Grad: n + 1}
	}
	return Cost{F: n, Grad: 1}
}

// freshCoefficients returns the coefficient of every parameter group from
// the m fresh samples' terms in e.fu and e.fw.
func (e *Delta) freshCoefficients(p dist.Distribution, m, np int) []float64 {
	if len(e.groups) != np {
		// The groups of the first family of this size (the coefficient may
		// be any constant: grouping changes the variance, never the mean).
		e.groups = make([]int, np)
		names := p.ParamNames()
		g := 0
		for j := range np {
			if j > 0 && prefix(names[j]) != prefix(names[j-1]) {
				g++
			}
			e.groups[j] = g
		}
		e.cg = make([]float64, 2*(g+1))
	}
	ng := len(e.cg) / 2
	cov, vr := e.cg[:ng], e.cg[ng:]
	zero(cov)
	zero(vr)
	inv := 1 / float64(m)
	for j := range np {
		var mu, mw float64
		for i := range m {
			mu += e.fu[i*np+j]
			mw += e.fw[i*np+j]
		}
		mu *= inv
		mw *= inv
		var c, v float64
		for i := range m {
			dw := e.fw[i*np+j] - mw
			c += (e.fu[i*np+j] - mu) * dw
			v += dw * dw
		}
		cov[e.groups[j]] += c * inv
		vr[e.groups[j]] += v * inv
	}
	for g := range cov {
		cov[g] /= vr[g] + deltaCoeffEps
	}
	return cov
}

// prefix returns a parameter name up to its first "[".
func prefix(name string) string {
	if i := strings.IndexByte(name, '['); i >= 0 {
		return name[:i]
	}
	return name
}

func init() {
	Register("delta", func(o *Options) (Estimator, error) {
		base, err := o.String("base", "score")
		if err != nil {
			return nil, err
		}
		decay, err := o.Float("decay", 1)
		if err != nil {
			return nil, err
		}
		hessian, err := o.String("hessian", "diagonal")
		if err != nil {
			return nil, err
		}
		if hessian != "diagonal" && hessian != "full" {
			return nil, fmt.Errorf("option hessian = %q: want diagonal or full", hessian)
		}
		m, err := o.Int("coeff_samples", 0)
		if err != nil {
			return nil, err
		}
		if m < 0 || m == 1 || m > 1<<20 {
			return nil, fmt.Errorf("option coeff_samples = %d: want 0 (running coefficients) or 2 … 2²⁰ fresh samples", m)
		}
		e, err := NewDelta(base, decay)
		if err != nil {
			return nil, err
		}
		e.FullHessian, e.FreshSamples = hessian == "full", m
		return e, nil
	})
}

// independentCoordinates reports whether the coordinates of x ~ p are
// independent, so that the family's per-coordinate Moments determine the
// expectation of any quadratic form in x − E[x]: false for the one-hot
// categorical and the Dirichlet, the families with dependent coordinates
// and Moments.
func independentCoordinates(p dist.Distribution) bool {
	switch p.(type) {
	case dist.OneHot, *dist.OneHot, dist.Dirichlet, *dist.Dirichlet:
		return false
	}
	return true
}

// self returns e (see replicator).
func (e *Delta) self() Estimator { return e }
