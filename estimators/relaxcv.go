package estimators

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// RelaxCV is the control-variate estimator shared by REBAR (Tucker et al.
// 2017) and RELAX (Grathwohl et al. 2018) for families with a conditional
// relaxation (dist.RelaxedConditional). With z = z(θ, u), b = H(z) and
// z̃ = z̃(θ, v, b) drawn from z given b, and a surrogate c(z),
//
//	ĝ = (f(b) − c(z̃)) ∇θ log p(b;θ) + ∇θ c(z) − ∇θ c(z̃),
//
// averaged over n independent samples; it is unbiased for every c. The
// surrogate is c(z) = η f(σ_τ(z)) for REBAR, plus a one-hidden-layer
// network r_φ for RELAX (tanh units on z by default; initialised with zero
// output weights, so RELAX starts as REBAR).
//
// Unless frozen (see Adaptive), each Estimate then takes one Adam step on
// (η, log τ, φ) along the gradient of the mean squared single-sample
// estimate (1/n) Σ_i |ĝ_i|², whose θ-mean does not depend on them, so this
// minimises the variance. That gradient is exact: Σ_j ĝ_j ∂ĝ_j/∂ψ is the
// ψ-derivative, at fixed ĝ, of (∂z/∂θ ĝ)·∇c(z) − (∂z̃/∂θ ĝ)·∇c(z̃) − c(z̃)
// (∇θ log p·ĝ), computed with the families' tangents, the objective's
// Hessian for τ (objective.Hessian where f implements it, else its
// diagonal), and hand-written second-order derivatives of the network.
//
// The network's options (RelaxCVOptions) reproduce the reference
// implementations' choices: its activation (tanh, or leaky ReLU with slope
// 0.3), its input (z alone, or the example's conditioning input x ⊕ z from
// a ContextMinibatch), and whether η also scales it. EstimateMinibatch
// (relaxcv_minibatch.go) adapts once per minibatch on the squared norm of
// the minibatch's model-parameter gradient, as the references do; the
// comment there records what they do exactly.
//
// RelaxCV implements Adaptive and Stateful; its state is η, log τ, the
// network, the Adam moments and step count, and the frozen flag. With lr = 0
// it never adapts and its Info().Stateful is false: the registered "rebar"
// and "relax" then return a stateless estimator that implements neither
// interface, so that a registered estimator is Stateful exactly when its
// estimates depend on earlier calls.
type RelaxCV struct {
	name               string
	eta0, tau0, lr     float64
	tuneTau, mlp       bool
	hidden             int
	opts               RelaxCVOptions
	leaky, inXZ        bool // opts.Activation == "leaky_relu", opts.Input == "xz"
	frozen             bool
	eta, logTau        float64
	net                []float64 // W1 (H×D, row-major), b1 (H), w2 (H), b2
	netDim             int       // the network's input dimension, ctxLen + the family's Dim
	ctxLen             int       // the length of the conditioning input (0 for input z)
	step               int
	adamM, adamV, dpsi []float64 // over (η, log τ, net…)

	u, v, z, zt, b, x, xt, gx, gxt, dzx, dzxt, cz, czt []float64
	s, gi, a, at                                       []float64
	xa, xtau, xat, hx                                  []float64
	hfull                                              []float64 // d×d Hessian, for objective.Hessian
	hid, hidA, hidP, hidPP                             []float64
	mb                                                 relaxMinibatch
}

// RelaxCVOptions are the options of RelaxCV beyond those of NewRelaxCV;
// DefaultRelaxCVOptions returns the defaults, under which every estimate
// and state of NewRelaxCV is unchanged.
type RelaxCVOptions struct {
	// Activation is the hidden units' activation: "tanh" (the default) or
	// "leaky_relu" (slope 0.3 for negative inputs, as in the DisARM
	// reference's control network).
	Activation string
	// Input is the network's input: "z" (the default: the perturbed logits
	// z alone) or "xz" (the example's conditioning input x, from a
	// ContextMinibatch, followed by z, as in both references). With "xz"
	// Estimate, which has no conditioning input, returns an error wrapping
	// ErrUnsupported, and so does EstimateMinibatch unless the minibatch
	// is a ContextMinibatch.
	Input string
	// ScaleNet makes η scale the network too: c = η (f(σ_τ(z)) + r_φ)
	// instead of the default η f(σ_τ(z)) + r_φ; the references do this.
	ScaleNet bool
	// Objective chooses what EstimateMinibatch's single adaptation step
	// per minibatch minimises: "params" (the default) the squared norm of
	// the minibatch's model-parameter gradient ‖Jᵀ G‖² where the minibatch
	// implements GradMetric, else (and always with "example") the sum of
	// the examples' squared estimates Σ_i ‖ĝ_i‖². Estimate ignores it.
	Objective string
	// Beta1 is Adam's first-moment decay (default 0.9; the DisARM
	// reference uses 0.999).
	Beta1 float64
}

// DefaultRelaxCVOptions returns the default options: tanh units on z, η
// scaling only the relaxed objective, the "params" objective and β1 = 0.9.
func DefaultRelaxCVOptions() RelaxCVOptions {
	return RelaxCVOptions{Activation: "tanh", Input: "z", Objective: "params", Beta1: 0.9}
}

// leakySlope is the slope of the leaky ReLU for negative inputs: Keras's
// LeakyReLU(alpha=0.3), the DisARM reference's control network.
const leakySlope = 0.3

// NewRelaxCV returns the REBAR (mlp false) or RELAX (mlp true) estimator
// with initial η and τ, Adam learning rate lr for the variance (0: never
// adapt), τ tuned or not, and hidden units of the network. It returns an
// error if tau ≤ 0, lr < 0, or hidden < 1 with mlp. The result implements
// Stateful even with lr = 0 (its state then never changes); the registered
// factories wrap that case in a stateless estimator.
func NewRelaxCV(mlp bool, eta, tau, lr float64, tuneTau bool, hidden int) (*RelaxCV, error) {
	return NewRelaxCVWith(mlp, eta, tau, lr, tuneTau, hidden, DefaultRelaxCVOptions())
}

// NewRelaxCVWith is NewRelaxCV with the further options o. It also returns
// an error if an option of o is not one of its documented values, or if
// o.Beta1 is not in [0, 1). Activation, Input and ScaleNet concern the
// network: without it (mlp false) they must keep their defaults.
func NewRelaxCVWith(mlp bool, eta, tau, lr float64, tuneTau bool, hidden int, o RelaxCVOptions) (*RelaxCV, error) {
	switch {
	case o.Activation != "tanh" && o.Activation != "leaky_relu":
		return nil, fmt.Errorf("option activation = %q: want tanh or leaky_relu", o.Activation)
	case o.Input != "z" && o.Input != "xz":
		return nil, fmt.Errorf("option input = %q: want z or xz", o.Input)
	case o.Objective != "example" && o.Objective != "params":
		return nil, fmt.Errorf("option objective = %q: want example or params", o.Objective)
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return nil, fmt.Errorf("option beta1 = %v: want 0 ≤ beta1 < 1", o.Beta1)
	case !mlp && (o.Activation != "tanh" || o.Input != "z" || o.ScaleNet):
		return nil, fmt.Errorf("options activation, input and scale_net need the network (relax)")
	}
	switch {
	case !(tau > 0):
		return nil, fmt.Errorf("option tau = %v: want tau > 0", tau)
	case !(lr >= 0):
		return nil, fmt.Errorf("option lr = %v: want lr ≥ 0", lr)
	case mlp && (hidden < 1 || hidden > 1024):
		return nil, fmt.Errorf("option hidden = %d: want 1 to 1024", hidden)
	}
	name := "rebar"
	if mlp {
		name = "relax"
	}
	e := &RelaxCV{name: name, eta0: eta, tau0: tau, lr: lr, tuneTau: tuneTau, mlp: mlp, hidden: hidden,
		opts: o, leaky: o.Activation == "leaky_relu", inXZ: o.Input == "xz"}
	e.Reset()
	return e, nil
}

// Info describes the estimator.
func (e *RelaxCV) Info() Info {
	info := Info{
		Name:     e.name,
		Summary:  "REBAR (Tucker et al. 2017): REINFORCE with the conditional Concrete control variate, η and τ tuned online on the variance (relaxed family)",
		Unbiased: true,
		Needs:    NeedsGrad | NeedsRelaxedConditional,
		Cost:     "1 f + 2 ∇f",
		Stateful: e.lr > 0,
	}
	if e.mlp {
		info.Summary = "RELAX (Grathwohl et al. 2018): REBAR's control variate plus a one-hidden-layer network, all tuned online on the variance (relaxed family)"
	}
	if e.lr > 0 && e.tuneTau {
		info.Needs |= NeedsCurvatureProducts
	}
	return info
}

// Reset restores the initial η, τ and network and clears the optimizer.
func (e *RelaxCV) Reset() {
	e.eta, e.logTau = e.eta0, math.Log(e.tau0)
	e.step = 0
	e.netDim, e.ctxLen = 0, 0 // the network is rebuilt for the family's dimension
	clear(e.adamM)
	clear(e.adamV)
}

// SetFrozen stops or resumes the adaptation.
func (e *RelaxCV) SetFrozen(frozen bool) { e.frozen = frozen }

// Frozen reports whether the adaptation is stopped.
func (e *RelaxCV) Frozen() bool { return e.frozen }

// Tuned returns η and τ.
func (e *RelaxCV) Tuned() map[string]float64 {
	return map[string]float64{"eta": e.eta, "tau": math.Exp(e.logTau)}
}

// Clone returns an independent copy in the same state.
func (e *RelaxCV) Clone() Estimator {
	c := *e
	c.net = append([]float64(nil), e.net...)
	c.adamM = append([]float64(nil), e.adamM...)
	c.adamV = append([]float64(nil), e.adamV...)
	c.dpsi = append([]float64(nil), e.dpsi...)
	c.u, c.v, c.z, c.zt, c.b, c.x, c.xt, c.gx, c.gxt, c.dzx, c.dzxt, c.cz, c.czt = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	c.s, c.gi, c.a, c.at, c.xa, c.xtau, c.xat, c.hx, c.hid, c.hidA, c.hfull = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	c.hidP, c.hidPP, c.mb = nil, nil, relaxMinibatch{}
	return &c
}

// Snapshot returns a frozen Clone: the same state, never adapted.
func (e *RelaxCV) Snapshot() Estimator {
	c := e.Clone().(*RelaxCV)
	c.frozen = true
	return c
}

// MarshalBinary encodes η, log τ, the network, the Adam moments and step
// count, and the frozen flag (and the options, which UnmarshalBinary checks).
// With options other than DefaultRelaxCVOptions it appends them and the
// length of the conditioning input the network was built for (so a state
// saved with the defaults keeps its encoding).
func (e *RelaxCV) MarshalBinary() ([]byte, error) {
	w := newStateEncoder(e.name)
	w.uint(e.hidden)
	w.float(e.eta0)
	w.float(e.tau0)
	w.float(e.lr)
	w.bool(e.tuneTau)
	w.bool(e.frozen)
	w.float(e.eta)
	w.float(e.logTau)
	w.uint(e.step)
	w.uint(e.netDim)
	if e.netDim > 0 { // else the next Estimate builds the network afresh
		w.floats(e.net)
		w.floats(e.adamM)
		w.floats(e.adamV)
	}
	if e.opts != DefaultRelaxCVOptions() {
		w.uint(boolCode(e.leaky))
		w.uint(boolCode(e.inXZ))
		w.bool(e.opts.ScaleNet)
		w.uint(boolCode(e.opts.Objective == "params"))
		w.float(e.opts.Beta1)
		w.uint(e.ctxLen)
	}
	return w.bytes(), nil
}

// UnmarshalBinary restores a state encoded by MarshalBinary of the same
// estimator (rebar or relax) built with the same options.
func (e *RelaxCV) UnmarshalBinary(data []byte) error {
	r := newStateDecoder(e.name, data)
	if h := r.uint(math.MaxInt32); r.err == nil && h != e.hidden {
		r.invalid("saved with hidden = %d, this estimator has %d", h, e.hidden)
	}
	r.option("eta", e.eta0)
	r.option("tau", e.tau0)
	r.option("lr", e.lr)
	r.boolOption("tune_tau", e.tuneTau)
	frozen, eta, logTau := r.bool(), r.float(), r.float()
	step, netDim := r.uint(math.MaxInt), r.uint(math.MaxInt32)
	var net, m, v []float64
	if netDim > 0 {
		net, m, v = r.floats(), r.floats(), r.floats()
		want := 0
		if e.mlp {
			want = e.hidden*netDim + 2*e.hidden + 1
		}
		if r.err == nil && (len(net) != want || len(m) != want+2 || len(v) != want+2) {
			r.invalid("%d network weights and %d, %d Adam moments for dimension %d, want %d and %d", len(net), len(m), len(v), netDim, want, want+2)
		}
	}
	ctxLen := 0
	if e.opts != DefaultRelaxCVOptions() {
		if a := r.uint(1); r.err == nil && a != boolCode(e.leaky) {
			r.invalid("saved with another activation than %s", e.opts.Activation)
		}
		if in := r.uint(1); r.err == nil && in != boolCode(e.inXZ) {
			r.invalid("saved with another input than %s", e.opts.Input)
		}
		r.boolOption("scale_net", e.opts.ScaleNet)
		if o := r.uint(1); r.err == nil && o != boolCode(e.opts.Objective == "params") {
			r.invalid("saved with another objective than %s", e.opts.Objective)
		}
		r.option("beta1", e.opts.Beta1)
		ctxLen = r.uint(math.MaxInt32)
		if r.err == nil && (ctxLen > netDim || (ctxLen > 0 && !e.inXZ) || (netDim > 0 && e.inXZ && ctxLen == 0)) {
			r.invalid("conditioning input of length %d for network dimension %d", ctxLen, netDim)
		}
	}
	if err := r.finish(); err != nil {
		return err
	}
	e.frozen, e.eta, e.logTau, e.step, e.netDim, e.ctxLen = frozen, eta, logTau, step, netDim, ctxLen
	if netDim > 0 {
		e.net, e.adamM, e.adamV = net, m, v
		e.dpsi = grow(e.dpsi, len(m))
	}
	return nil
}

// boolCode returns 1 for true and 0 for false.
func boolCode(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fixedRelaxCV is a RelaxCV with lr = 0 behind the plain Estimator
// interface (and MinibatchEstimator): it never adapts, so it is stateless
// and is not Stateful.
type fixedRelaxCV struct{ e *RelaxCV }

// Info describes the estimator.
func (w *fixedRelaxCV) Info() Info { return w.e.Info() }

// Estimate writes the n-sample estimate into grad.
func (w *fixedRelaxCV) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	return w.e.Estimate(grad, p, f, n, rng)
}

// EstimateMinibatch writes every example's n-sample estimate into grads
// (see RelaxCV.EstimateMinibatch).
func (w *fixedRelaxCV) EstimateMinibatch(grads []float64, ps []dist.Distribution, f Minibatch, n int, rng *rand.Rand) (Cost, error) {
	return w.e.EstimateMinibatch(grads, ps, f, n, rng)
}

// initNet sizes the network for a conditioning input of length c (0 for
// input z) and a family of dimension d, so an input dimension D = c + d, and
// sets its initial weights: W1 from a fixed generator with scale 1/√D,
// b1 = 0, w2 = 0, b2 = 0, so that the initial network output is 0. (The
// references initialise both layers Glorot-uniform, so that their network
// starts nonzero; ours starts as REBAR.)
func (e *RelaxCV) initNet(c, d int) {
	h := e.hidden
	d += c
	np := 2 + h*d + 2*h + 1
	if !e.mlp {
		np = 2
	}
	e.net = grow(e.net, np-2)
	e.adamM, e.adamV, e.dpsi = grow(e.adamM, np), grow(e.adamV, np), grow(e.dpsi, np)
	clear(e.adamM)
	clear(e.adamV)
	clear(e.net)
	if e.mlp {
		rng := rand.New(rand.NewPCG(0x52454c4158^uint64(c)<<40, uint64(d)))
		sc := 1 / math.Sqrt(float64(d))
		for i := range h * d {
			e.net[i] = sc * rng.NormFloat64()
		}
	}
	e.netDim, e.ctxLen = d, c
	e.hid, e.hidA = grow(e.hid, h), grow(e.hidA, h)
	e.hidP, e.hidPP = grow(e.hidP, h), grow(e.hidPP, h)
}

// activate returns the hidden activation t(pre) and its first and second
// derivatives.
func (e *RelaxCV) activate(pre float64) (t, tp, tpp float64) {
	if e.leaky {
		if pre > 0 {
			return pre, 1, 0
		}
		return leakySlope * pre, leakySlope, 0
	}
	t = math.Tanh(pre)
	tp = 1 - t*t
	return t, tp, -2 * t * tp
}

// netBase writes into base the pre-activations' part due to the
// conditioning input ctx (b1 + W1_x ctx), for netEval with input xz.
func (e *RelaxCV) netBase(base, ctx []float64) {
	h, D := e.hidden, e.netDim
	rowDots(base, e.net[:h*D], D, 0, ctx, e.net[h*D:h*D+h])
}

// rowDots writes into dst[k] the sum init[k] + Σ_j w[k·D + c + j] x[j]
// for every k (init nil: 0), each added in order of j as one loop per k
// would; four rows at a time, whose sums then run side by side. Every
// product is rounded before it is added (the float64 conversions keep the
// compiler from fusing multiply-adds, and gonum's amd64 kernel in axpy
// does not fuse either), so that on amd64 the network's arithmetic does
// not depend on the GOAMD64 level.
func rowDots(dst, w []float64, D, c int, x, init []float64) {
	n := len(x)
	at := func(k int) float64 {
		if init == nil {
			return 0
		}
		return init[k]
	}
	k := 0
	for ; k+4 <= len(dst); k += 4 {
		r0, r1 := w[k*D+c:k*D+c+n:k*D+c+n], w[(k+1)*D+c:(k+1)*D+c+n:(k+1)*D+c+n]
		r2, r3 := w[(k+2)*D+c:(k+2)*D+c+n:(k+2)*D+c+n], w[(k+3)*D+c:(k+3)*D+c+n:(k+3)*D+c+n]
		s0, s1, s2, s3 := at(k), at(k+1), at(k+2), at(k+3)
		for j, xj := range x {
			s0 += float64(r0[j] * xj)
			s1 += float64(r1[j] * xj)
			s2 += float64(r2[j] * xj)
			s3 += float64(r3[j] * xj)
		}
		dst[k], dst[k+1], dst[k+2], dst[k+3] = s0, s1, s2, s3
	}
	for ; k < len(dst); k++ {
		s := at(k)
		for j, wj := range w[k*D+c : k*D+c+n] {
			s += float64(wj * x[j])
		}
		dst[k] = s
	}
}

// axpy adds a·x[j] to y[j] for every j, as the loop y[j] += a * x[j] does,
// through gonum's BLAS (whose kernel multiplies and adds without fusing);
// a = 0 takes the loop, as Daxpy would skip it.
func axpy(a float64, x, y []float64) {
	if a == 0 {
		for j, xj := range x {
			y[j] += float64(a * xj)
		}
		return
	}
	blas64.Axpy(a, blas64.Vector{N: len(x), Inc: 1, Data: x}, blas64.Vector{N: len(x), Inc: 1, Data: y})
}

// netEval returns r(z), writes ∇_z r into dz, and per hidden unit k the
// activation t_k, the directional derivative a_k = Σ_j W1_kj dir_j of its
// pre-activation, and the activation's first and second derivatives into
// e.hid, e.hidA, e.hidP and e.hidPP. With dir non-nil it also returns
// D = dir·∇_z r. With input xz, base holds the pre-activations' part due to
// the conditioning input (netBase); with input z it is nil.
func (e *RelaxCV) netEval(dz, z, dir, base []float64) (r, dd float64) {
	h, D := e.hidden, e.netDim
	c := D - len(z)
	w1, b1, w2 := e.net[:h*D], e.net[h*D:h*D+h], e.net[h*D+h:h*D+2*h]
	r = e.net[h*D+2*h]
	clear(dz)
	// The pre-activations into e.hid and the directional derivatives into
	// e.hidA, then each unit's activation over them.
	if base == nil {
		base = b1
	}
	rowDots(e.hid[:h], w1, D, c, z, base)
	if dir != nil {
		rowDots(e.hidA[:h], w1, D, c, dir, nil)
	} else {
		clear(e.hidA[:h])
	}
	for k := range h {
		ak := e.hidA[k]
		t, tp, tpp := e.activate(e.hid[k])
		e.hid[k], e.hidP[k], e.hidPP[k] = t, tp, tpp
		r += w2[k] * t
		dd += w2[k] * tp * ak
		axpy(w2[k]*tp, w1[k*D+c:(k+1)*D], dz)
	}
	return r, dd
}

// netParamGrad adds cr ∂r(z)/∂φ + cd ∂D(z, dir)/∂φ to grad (laid out like
// e.net), after netEval(·, z, dir, ·) filled e.hid, e.hidA, e.hidP and
// e.hidPP; ctx is the conditioning input (nil with input z).
func (e *RelaxCV) netParamGrad(grad, z, ctx, dir []float64, cr, cd float64) {
	h, D := e.hidden, e.netDim
	c := D - len(z)
	w2 := e.net[h*D+h : h*D+2*h]
	gw1, gb1, gw2 := grad[:h*D], grad[h*D:h*D+h], grad[h*D+h:h*D+2*h]
	grad[h*D+2*h] += cr
	for k := range h {
		t, ak := e.hid[k], e.hidA[k]
		tp, tpp := e.hidP[k], e.hidPP[k]
		gw2[k] += cr*t + cd*tp*ak
		cb := cr*w2[k]*tp + cd*w2[k]*tpp*ak // coefficient of ∂pre_k
		gb1[k] += cb
		row := gw1[k*D : (k+1)*D]
		axpy(cb, ctx, row[:len(ctx)])
		row = row[c:]
		cdir := cd * w2[k] * tp
		for j, zj := range z {
			row[j] += cb*zj + cdir*dir[j]
		}
	}
}

// Supports refuses plain estimates with input = xz, which need each
// example's conditioning input (see Supporter).
func (e *RelaxCV) Supports(p dist.Distribution, f objective.Objective, n int) error {
	if e.inXZ {
		return Unsupported(e.Info().Name, "input = xz needs each example's conditioning input: use EstimateMinibatch with a ContextMinibatch")
	}
	return nil
}

// Estimate writes the n-sample estimate into grad, then (unless frozen or
// lr = 0) takes one adaptation step.
func (e *RelaxCV) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	info := e.Info()
	r, ok := p.(dist.RelaxedConditional)
	df, ok2 := f.(objective.Differentiable)
	if !ok2 || n < 1 {
		return Cost{}, Check(info, p, f, n)
	}
	if !ok {
		return Cost{}, Unsupported(info.Name, "family %s has no conditional relaxation", p.Name())
	}
	if err := e.Supports(p, f, n); err != nil {
		return Cost{}, err
	}
	adapt := e.lr > 0 && !e.frozen
	cf, curved := f.(objective.Curved)
	hv, products := f.(objective.HessVec)
	if e.lr > 0 && e.tuneTau && !curved && !products {
		return Cost{}, Check(info, p, f, n)
	}
	checkGrad(grad, p)
	d, np := p.Dim(), p.NumParams()
	full, dense := f.(objective.Hessian)
	if dense && adapt && e.tuneTau {
		e.hfull = grow(e.hfull, d*d)
	}
	if e.netDim != d || e.ctxLen != 0 {
		e.initNet(0, d)
	}
	for _, b := range []*[]float64{&e.u, &e.v, &e.z, &e.zt, &e.b, &e.x, &e.xt, &e.gx, &e.gxt, &e.dzx, &e.dzxt, &e.cz, &e.czt, &e.a, &e.at, &e.xa, &e.xtau, &e.xat, &e.hx} {
		*b = grow(*b, d)
	}
	e.s, e.gi = grow(e.s, np), grow(e.gi, np)
	e.hid, e.hidA = grow(e.hid, e.hidden), grow(e.hidA, e.hidden)
	e.hidP, e.hidPP = grow(e.hidP, e.hidden), grow(e.hidPP, e.hidden)
	clear(e.dpsi)
	zero(grad)
	eta, tau := e.eta, math.Exp(e.logTau)
	sn := e.netScale()
	inv := 1 / float64(n)
	for range n {
		r.RelaxNoise(e.u, rng)
		r.Preact(e.z, e.u)
		r.Hard(e.b, e.z)
		r.RelaxNoise(e.v, rng)
		r.CondPreact(e.zt, e.v, e.b)
		r.Soft(e.x, e.z, tau)
		r.Soft(e.xt, e.zt, tau)
		fb := f.Value(e.b)
		p.Score(e.s, e.b)
		df.Grad(e.gx, e.x)
		fxt := df.Grad(e.gxt, e.xt)
		r.SoftVJP(e.dzx, e.x, e.z, e.gx, tau)     // ∇_z F_τ(z)
		r.SoftVJP(e.dzxt, e.xt, e.zt, e.gxt, tau) // ∇_z F_τ(z̃)
		for k := range d {
			e.cz[k], e.czt[k] = eta*e.dzx[k], eta*e.dzxt[k]
		}
		ct := eta * fxt
		var rzt float64
		if e.mlp {
			rzt, _ = e.netEval(e.a, e.zt, nil, nil) // e.a as scratch: ∇_z r(z̃)
			for k := range d {
				e.czt[k] += sn * e.a[k]
			}
			e.netEval(e.a, e.z, nil, nil)
			for k := range d {
				e.cz[k] += sn * e.a[k]
			}
			ct += sn * rzt
		}
		// ĝ_i.
		for j, sj := range e.s {
			e.gi[j] = (fb - ct) * sj
		}
		r.PreactVJP(e.gi, e.u, e.cz)
		for k := range d {
			e.czt[k] = -e.czt[k]
		}
		r.CondPreactVJP(e.gi, e.v, e.b, e.czt)
		for j, g := range e.gi {
			grad[j] += g * inv
		}
		if !adapt {
			continue
		}
		// Variance gradient: 2/n ∂Q/∂ψ at fixed ĝ_i.
		r.PreactJVP(e.a, e.u, e.gi)
		r.CondPreactJVP(e.at, e.v, e.b, e.gi)
		ss := 0.0
		for j, sj := range e.s {
			ss += sj * e.gi[j]
		}
		c := 2 * inv
		e.dpsi[0] += c * (dotF(e.a, e.dzx) - dotF(e.at, e.dzxt) - fxt*ss)
		if e.tuneTau {
			// ∂/∂τ of a·∇_z F_τ(z) = (H ⊙ x_τ)·x_a + ∇f·x_aτ, likewise at z̃,
			// and ∂F_τ(z̃)/∂τ = ∇f(x̃)·x̃_τ.
			// With a dense Hessian H the first term is x_τᵀ H x_a.
			r.SoftTangents(e.xa, e.xtau, e.xat, e.x, e.z, e.a, tau)
			dz := 0.0
			switch {
			case products:
				hv.HessVec(e.hx, e.x, e.xtau)
				dz = dotF(e.hx, e.xa) + dotF(e.gx, e.xat)
			case dense:
				full.Hessian(e.hfull, e.x)
				dz = quadForm(e.hfull, e.xtau, e.xa) + dotF(e.gx, e.xat)
			default:
				cf.HessDiag(e.hx, e.x)
				for k := range d {
					dz += e.hx[k]*e.xtau[k]*e.xa[k] + e.gx[k]*e.xat[k]
				}
			}
			r.SoftTangents(e.xa, e.xtau, e.xat, e.xt, e.zt, e.at, tau)
			dzt, dft := 0.0, 0.0
			switch {
			case products:
				hv.HessVec(e.hx, e.xt, e.xtau)
				dzt = dotF(e.hx, e.xa) + dotF(e.gxt, e.xat)
				dft = dotF(e.gxt, e.xtau)
			case dense:
				full.Hessian(e.hfull, e.xt)
				dzt = quadForm(e.hfull, e.xtau, e.xa) + dotF(e.gxt, e.xat)
				dft = dotF(e.gxt, e.xtau)
			default:
				cf.HessDiag(e.hx, e.xt)
				for k := range d {
					dzt += e.hx[k]*e.xtau[k]*e.xa[k] + e.gxt[k]*e.xat[k]
					dft += e.gxt[k] * e.xtau[k]
				}
			}
			e.dpsi[1] += c * eta * (dz - dzt - dft*ss) * tau // d/d log τ
		}
		if e.mlp {
			g := e.dpsi[2:]
			_, dr := e.netEval(e.cz, e.z, e.a, nil) // e.cz reused as scratch
			e.netParamGrad(g, e.z, nil, e.a, 0, sn*c)
			rt, drt := e.netEval(e.cz, e.zt, e.at, nil)
			e.netParamGrad(g, e.zt, nil, e.at, -sn*c*ss, -sn*c)
			if e.opts.ScaleNet {
				e.dpsi[0] += c * (dr - drt - rt*ss)
			}
		}
	}
	if adapt {
		e.adamStep()
	}
	return Cost{F: n, Grad: 2 * n}, nil
}

// netScale returns the network's factor in the surrogate: η with
// ScaleNet, else 1.
func (e *RelaxCV) netScale() float64 {
	if e.opts.ScaleNet {
		return e.eta
	}
	return 1
}

// adamStep moves (η, log τ, φ) against e.dpsi with Adam (β1 = the option
// beta1, default 0.9, β2 = 0.999, ε = 1e-8, bias-corrected).
func (e *RelaxCV) adamStep() {
	const b2, eps = 0.999, 1e-8
	b1, nb1 := e.opts.Beta1, 1-e.opts.Beta1
	if b1 == 0.9 {
		nb1 = 1 - 0.9 // the constant 0.1, as before beta1 was an option: bit-identical
	}
	e.step++
	c1 := 1 - math.Pow(b1, float64(e.step))
	c2 := 1 - math.Pow(b2, float64(e.step))
	for i, g := range e.dpsi {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			continue
		}
		e.adamM[i] = b1*e.adamM[i] + nb1*g
		e.adamV[i] = b2*e.adamV[i] + (1-b2)*g*g
		delta := e.lr * (e.adamM[i] / c1) / (math.Sqrt(e.adamV[i]/c2) + eps)
		switch i {
		case 0:
			e.eta -= delta
		case 1:
			if e.tuneTau {
				// τ stays in [1e-3, 1e3]: beyond, the relaxation over- or
				// underflows.
				e.logTau = min(max(e.logTau-delta, math.Log(1e-3)), math.Log(1e3))
			}
		default:
			e.net[i-2] -= delta
		}
	}
}

// dotF returns Σ a_i b_i.
func dotF(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// relaxCVFactory reads the options shared by rebar and relax.
func relaxCVFactory(mlp bool) Factory {
	return func(o *Options) (Estimator, error) {
		eta, err := o.Float("eta", 1)
		if err != nil {
			return nil, err
		}
		tau, err := o.Float("tau", 0.5)
		if err != nil {
			return nil, err
		}
		lr, err := o.Float("lr", 0.01)
		if err != nil {
			return nil, err
		}
		tuneTau, err := o.Bool("tune_tau", true)
		if err != nil {
			return nil, err
		}
		hidden := 0
		opts := DefaultRelaxCVOptions()
		if mlp {
			if hidden, err = o.Int("hidden", 16); err != nil {
				return nil, err
			}
			if opts.Activation, err = o.String("activation", opts.Activation); err != nil {
				return nil, err
			}
			if opts.Input, err = o.String("input", opts.Input); err != nil {
				return nil, err
			}
			if opts.ScaleNet, err = o.Bool("scale_net", opts.ScaleNet); err != nil {
				return nil, err
			}
		}
		if opts.Objective, err = o.String("objective", opts.Objective); err != nil {
			return nil, err
		}
		if opts.Beta1, err = o.Float("beta1", opts.Beta1); err != nil {
			return nil, err
		}
		e, err := NewRelaxCVWith(mlp, eta, tau, lr, tuneTau, hidden, opts)
		switch {
		case err != nil:
			return nil, err
		case lr > 0:
			return e, nil
		}
		return &fixedRelaxCV{e}, nil
	}
}

// quadForm returns uᵀ H w for the len(u)×len(w) matrix H (row-major).
func quadForm(h, u, w []float64) float64 {
	s := 0.0
	for j, uj := range u {
		row := h[j*len(w) : (j+1)*len(w)]
		for k, wk := range w {
			s += uj * row[k] * wk
		}
	}
	return s
}
