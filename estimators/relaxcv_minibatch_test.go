package estimators

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// quadObj is f(x) = ½ xᵀ M x + cᵀ x (M symmetric, d×d row-major), with its
// gradient and Hessian diagonal.
type quadObj struct{ m, c []float64 }

func (*quadObj) Name() string { return "quad" }

func (o *quadObj) Value(x []float64) float64 {
	s := 0.0
	for j, xj := range x {
		s += o.c[j] * xj
		for k, xk := range x {
			s += 0.5 * xj * o.m[j*len(x)+k] * xk
		}
	}
	return s
}

func (o *quadObj) Grad(dst, x []float64) float64 {
	for j := range x {
		g := o.c[j]
		for k, xk := range x {
			g += o.m[j*len(x)+k] * xk
		}
		dst[j] = g
	}
	return o.Value(x)
}

func (o *quadObj) HessDiag(dst, x []float64) {
	for j := range x {
		dst[j] = o.m[j*len(x)+j]
	}
}

// denseQuad is quadObj with its full Hessian (objective.Hessian).
type denseQuad struct{ quadObj }

func (o *denseQuad) Hessian(dst, _ []float64) { copy(dst, o.m) }

// linearEncoder is a synthetic minibatch for RelaxCV's minibatch path: B
// examples with contexts x_i (C values each), families of independent
// Bernoullis with logits α_i = W x_i (W d×C, the shared model parameters),
// and objectives f_i(b) quadratic. It implements ContextMinibatch and
// GradMetric (J_iᵀ g = g x_iᵀ, so u_i = (Σ_k g_k x_kᵀ) x_i).
type linearEncoder struct {
	B, C, d int
	x, w    []float64 // B×C contexts, d×C weights
	fs      []objective.Objective
}

func (m *linearEncoder) Len() int                            { return m.B }
func (m *linearEncoder) Objective(i int) objective.Objective { return m.fs[i] }
func (m *linearEncoder) Context(i int) []float64             { return m.x[i*m.C : (i+1)*m.C] }
func (m *linearEncoder) Values(dst, xs []float64, idx []int) {
	for r, i := range idx {
		dst[r] = m.fs[i].Value(xs[r*m.d : (r+1)*m.d])
	}
}

// paramGrad returns Jᵀ g = Σ_i g_i x_iᵀ (d×C).
func (m *linearEncoder) paramGrad(g []float64) []float64 {
	jg := make([]float64, m.d*m.C)
	for i := range m.B {
		for a := range m.d {
			for c := range m.C {
				jg[a*m.C+c] += g[i*m.d+a] * m.x[i*m.C+c]
			}
		}
	}
	return jg
}

func (m *linearEncoder) Pullback(u, g []float64) {
	jg := m.paramGrad(g)
	for i := range m.B {
		for a := range m.d {
			s := 0.0
			for c := range m.C {
				s += jg[a*m.C+c] * m.x[i*m.C+c]
			}
			u[i*m.d+a] = s
		}
	}
}

// families returns the examples' families.
func (m *linearEncoder) families() []dist.Distribution {
	ps := make([]dist.Distribution, m.B)
	for i := range m.B {
		l := make([]float64, m.d)
		for a := range m.d {
			for c := range m.C {
				l[a] += m.w[a*m.C+c] * m.x[i*m.C+c]
			}
		}
		ps[i] = dist.BernoulliVec{Logits: l}
	}
	return ps
}

// plainMinibatch hides the optional interfaces of a minibatch.
type plainMinibatch struct{ Minibatch }

// contextOnly hides GradMetric but keeps ContextMinibatch.
type contextOnly struct{ *linearEncoder }

func (c contextOnly) Pullback() {} // not GradMetric's signature

// oneExample is example i of a ContextMinibatch as a minibatch of one.
type oneExample struct {
	m *linearEncoder
	i int
}

func (o oneExample) Len() int                          { return 1 }
func (o oneExample) Objective(int) objective.Objective { return o.m.fs[o.i] }
func (o oneExample) Context(int) []float64             { return o.m.Context(o.i) }
func (o oneExample) Values(dst, xs []float64, _ []int) {
	for r := range dst {
		dst[r] = o.m.fs[o.i].Value(xs[r*o.m.d : (r+1)*o.m.d])
	}
}

// newLinearEncoder returns a linearEncoder with weights and contexts from
// seed; dense chooses objectives with a full Hessian.
func newLinearEncoder(B, C, d int, dense bool, seed uint64) *linearEncoder {
	src := rand.New(rand.NewPCG(seed, 11))
	m := &linearEncoder{B: B, C: C, d: d, x: make([]float64, B*C), w: make([]float64, d*C)}
	for k := range m.x {
		m.x[k] = float64(src.IntN(2)) // binary "pixels"
	}
	for k := range m.w {
		m.w[k] = 0.8 * src.NormFloat64()
	}
	for range B {
		q := quadObj{m: make([]float64, d*d), c: make([]float64, d)}
		for j := range d {
			q.c[j] = src.NormFloat64()
			for k := 0; k <= j; k++ {
				v := 0.6 * src.NormFloat64()
				if !dense && k != j {
					v = 0
				}
				q.m[j*d+k], q.m[k*d+j] = v, v
			}
		}
		if dense {
			m.fs = append(m.fs, &denseQuad{q})
		} else {
			m.fs = append(m.fs, &q)
		}
	}
	return m
}

// relaxOpts returns the default options with the given changes.
func relaxOpts(act, input, obj string, scale bool) RelaxCVOptions {
	o := DefaultRelaxCVOptions()
	o.Activation, o.Input, o.Objective, o.ScaleNet = act, input, obj, scale
	return o
}

// perturbNet gives the network nonzero weights everywhere (after a first
// call sized it), so that every derivative is exercised.
func perturbNet(e *RelaxCV) {
	for i := range e.net {
		e.net[i] = 0.4 * math.Sin(float64(7*i+3))
	}
}

// TestRelaxNetGradients checks the network with leaky_relu (and tanh) on
// input xz against central differences: netEval's ∇_z r and dir·∇_z r, and
// netParamGrad's cr ∂r/∂φ + cd ∂(dir·∇_z r)/∂φ, the second-order parameter
// gradient the variance step uses.
func TestRelaxNetGradients(t *testing.T) {
	const C, d, H = 3, 4, 5
	for _, act := range []string{"leaky_relu", "tanh"} {
		e, err := NewRelaxCVWith(true, 1, 0.5, 0.01, true, H, relaxOpts(act, "xz", "params", false))
		if err != nil {
			t.Fatal(err)
		}
		e.initNet(C, d)
		perturbNet(e)
		src := rand.New(rand.NewPCG(5, 6))
		ctx, z, dir := make([]float64, C), make([]float64, d), make([]float64, d)
		for k := range ctx {
			ctx[k] = src.NormFloat64()
		}
		for k := range z {
			z[k], dir[k] = 1.5*src.NormFloat64(), src.NormFloat64()
		}
		base, dz := make([]float64, H), make([]float64, d)
		eval := func(z, dir []float64) (float64, float64) {
			e.netBase(base, ctx)
			return e.netEval(dz, z, dir, base)
		}
		_, dd := eval(z, dir)
		gotDz := append([]float64(nil), dz...)
		wantDz := fd.Gradient(nil, func(z []float64) float64 { r, _ := eval(z, nil); return r }, z, &fd.Settings{Formula: fd.Central})
		for k := range z {
			if math.Abs(gotDz[k]-wantDz[k]) > 1e-6*max(1, math.Abs(wantDz[k])) {
				t.Errorf("%s: ∂r/∂z[%d] = %.9g, finite differences %.9g", act, k, gotDz[k], wantDz[k])
			}
		}
		if want := dotF(dir, wantDz); math.Abs(dd-want) > 1e-6*max(1, math.Abs(want)) {
			t.Errorf("%s: dir·∇r = %.9g, finite differences %.9g", act, dd, want)
		}
		const cr, cd = 0.7, -1.3
		got := make([]float64, len(e.net))
		eval(z, dir)
		e.netParamGrad(got, z, ctx, dir, cr, cd)
		phi := append([]float64(nil), e.net...)
		want := fd.Gradient(nil, func(p []float64) float64 {
			copy(e.net, p)
			r, dd := eval(z, dir)
			return cr*r + cd*dd
		}, phi, &fd.Settings{Formula: fd.Central})
		copy(e.net, phi)
		for k := range got {
			if math.Abs(got[k]-want[k]) > 1e-6*max(1, math.Abs(want[k])) {
				t.Errorf("%s: parameter gradient [%d] = %.9g, finite differences %.9g", act, k, got[k], want[k])
			}
		}
	}
}

// TestRelaxCVMinibatchMatchesLoop checks that without adaptation (lr = 0)
// the minibatch path gives the per-example loop's estimates and leaves rng
// in the same state: against Estimate for input z (rebar, relax, and relax
// with leaky_relu and scale_net), and against one-example minibatches for
// input xz, which Estimate does not support.
func TestRelaxCVMinibatchMatchesLoop(t *testing.T) {
	const B, C, d, n = 4, 3, 5, 2
	m := newLinearEncoder(B, C, d, false, 1)
	ps := m.families()
	cases := []struct {
		mlp  bool
		opts RelaxCVOptions
	}{
		{false, DefaultRelaxCVOptions()},
		{true, DefaultRelaxCVOptions()},
		{true, relaxOpts("leaky_relu", "z", "params", true)},
		{true, relaxOpts("leaky_relu", "xz", "params", true)},
		{true, relaxOpts("tanh", "xz", "example", false)},
	}
	for _, c := range cases {
		e, err := NewRelaxCVWith(c.mlp, 0.9, 0.6, 0, true, 3, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		// Size the network, then give it nonzero output weights.
		g := make([]float64, B*d)
		if _, err := e.EstimateMinibatch(g, ps, m, n, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		perturbNet(e)
		got, want := make([]float64, B*d), make([]float64, B*d)
		r1, r2 := rand.New(rand.NewPCG(8, 9)), rand.New(rand.NewPCG(8, 9))
		if _, err := e.EstimateMinibatch(got, ps, m, n, r1); err != nil {
			t.Fatal(err)
		}
		for i, p := range ps {
			var err error
			if c.opts.Input == "xz" {
				_, err = e.EstimateMinibatch(want[i*d:(i+1)*d], ps[i:i+1], oneExample{m, i}, n, r2)
			} else {
				_, err = e.Estimate(want[i*d:(i+1)*d], p, m.Objective(i), n, r2)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for k := range got {
			if math.Abs(got[k]-want[k]) > 1e-12*max(1e-300, math.Abs(want[k])) {
				t.Errorf("mlp=%v %+v: estimate[%d] = %.17g, loop %.17g", c.mlp, c.opts, k, got[k], want[k])
			}
		}
		if r1.Uint64() != r2.Uint64() {
			t.Errorf("mlp=%v %+v: the generators' states differ", c.mlp, c.opts)
		}
	}
}

// TestRelaxCVMinibatchGradient checks the minibatch path's ψ-gradient
// against central differences, at fixed noise, of its objective: ‖Jᵀ G‖²
// with a GradMetric (a linear encoder) and objective = params, else
// Σ_i ‖G_i‖², in η, log τ and every network weight, for rebar and relax
// (tanh on z; leaky_relu on xz with scale_net), diagonal and dense
// Hessians.
func TestRelaxCVMinibatchGradient(t *testing.T) {
	const B, C, d, n = 3, 2, 3, 2
	cases := []struct {
		mlp   bool
		opts  RelaxCVOptions
		dense bool
		f     func(m *linearEncoder) Minibatch
	}{
		{false, DefaultRelaxCVOptions(), false, func(m *linearEncoder) Minibatch { return m }},
		{false, relaxOpts("tanh", "z", "example", false), true, func(m *linearEncoder) Minibatch { return m }},
		{true, DefaultRelaxCVOptions(), true, func(m *linearEncoder) Minibatch { return m }},
		{true, DefaultRelaxCVOptions(), false, func(m *linearEncoder) Minibatch { return plainMinibatch{m} }},
		{true, relaxOpts("leaky_relu", "xz", "params", true), false, func(m *linearEncoder) Minibatch { return m }},
		{true, relaxOpts("leaky_relu", "xz", "params", true), true, func(m *linearEncoder) Minibatch { return contextOnly{m} }},
		{true, relaxOpts("tanh", "xz", "example", true), false, func(m *linearEncoder) Minibatch { return m }},
	}
	for ci, c := range cases {
		m := newLinearEncoder(B, C, d, c.dense, uint64(ci+2))
		ps, f := m.families(), c.f(m)
		_, metric := f.(GradMetric)
		metric = metric && c.opts.Objective == "params"
		e0, err := NewRelaxCVWith(c.mlp, 0.8, 0.7, 0.01, true, 3, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		g := make([]float64, B*d)
		if _, err := e0.EstimateMinibatch(g, ps, f, 1, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		perturbNet(e0)
		objectiveAt := func(mod func(e *RelaxCV, h float64), h float64) float64 {
			e := e0.Clone().(*RelaxCV)
			mod(e, h)
			e.SetFrozen(true)
			if _, err := e.EstimateMinibatch(g, ps, f, n, rand.New(rand.NewPCG(4, 7))); err != nil {
				t.Fatal(err)
			}
			if metric {
				jg := m.paramGrad(g)
				return dotF(jg, jg)
			}
			return dotF(g, g)
		}
		e := e0.Clone().(*RelaxCV)
		step := e.step
		if _, err := e.EstimateMinibatch(g, ps, f, n, rand.New(rand.NewPCG(4, 7))); err != nil {
			t.Fatal(err)
		}
		if e.step != step+1 {
			t.Errorf("case %d: %d Adam steps for one minibatch, want 1", ci, e.step-step)
		}
		check := func(name string, got float64, mod func(e *RelaxCV, h float64)) {
			want := fd.Derivative(func(h float64) float64 { return objectiveAt(mod, h) }, 0, &fd.Settings{Formula: fd.Central})
			if math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
				t.Errorf("case %d (mlp=%v %+v, metric %v): ∂/∂%s = %.8g, finite differences %.8g", ci, c.mlp, c.opts, metric, name, got, want)
			}
		}
		check("eta", e.dpsi[0], func(e *RelaxCV, h float64) { e.eta += h })
		check("log tau", e.dpsi[1], func(e *RelaxCV, h float64) { e.logTau += h })
		if c.mlp {
			for i := range e0.net {
				check("net", e.dpsi[2+i], func(e *RelaxCV, h float64) { e.net[i] += h })
			}
		}
	}
}

// TestRelaxCVMinibatchOneExample checks that for one example and one
// sample with objective = example, the minibatch path's adaptation
// gradient is Estimate's.
func TestRelaxCVMinibatchOneExample(t *testing.T) {
	m := newLinearEncoder(1, 2, 4, true, 3)
	ps := m.families()
	for _, mlp := range []bool{false, true} {
		e0, err := NewRelaxCVWith(mlp, 0.8, 0.7, 0.01, true, 3, relaxOpts("tanh", "z", "example", false))
		if err != nil {
			t.Fatal(err)
		}
		g := make([]float64, 4)
		if _, err := e0.Estimate(g, ps[0], m.Objective(0), 1, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		perturbNet(e0)
		e1, e2 := e0.Clone().(*RelaxCV), e0.Clone().(*RelaxCV)
		if _, err := e1.Estimate(g, ps[0], m.Objective(0), 1, rand.New(rand.NewPCG(3, 3))); err != nil {
			t.Fatal(err)
		}
		if _, err := e2.EstimateMinibatch(g, ps, m, 1, rand.New(rand.NewPCG(3, 3))); err != nil {
			t.Fatal(err)
		}
		for k := range e1.dpsi {
			if math.Abs(e1.dpsi[k]-e2.dpsi[k]) > 1e-10*max(1, math.Abs(e1.dpsi[k])) {
				t.Errorf("mlp=%v: ψ-gradient[%d] %.15g, Estimate's %.15g", mlp, k, e2.dpsi[k], e1.dpsi[k])
			}
		}
	}
}

// TestRelaxCVOptions checks the registered options, the errors of input
// xz without conditioning input, and that the state records the options
// and the conditioning input's length.
func TestRelaxCVOptions(t *testing.T) {
	opts := map[string]string{"activation": "leaky_relu", "input": "xz", "hidden": "5", "scale_net": "true",
		"objective": "example", "beta1": "0.999", "tau": "0.1", "lr": "0.0001"}
	est, err := New("relax", opts)
	if err != nil {
		t.Fatal(err)
	}
	e := est.(*RelaxCV)
	if want := (RelaxCVOptions{"leaky_relu", "xz", true, "example", 0.999}); e.opts != want || e.hidden != 5 {
		t.Fatalf("options %+v hidden %d, want %+v and 5", e.opts, e.hidden, want)
	}
	for _, bad := range []map[string]string{{"activation": "relu"}, {"input": "x"}, {"objective": "all"}, {"beta1": "1"}} {
		if _, err := New("relax", bad); err == nil {
			t.Errorf("relax %v: no error", bad)
		}
	}
	if _, err := New("rebar", map[string]string{"input": "xz"}); err == nil {
		t.Error("rebar accepts input = xz")
	}
	m := newLinearEncoder(2, 3, 4, false, 9)
	ps := m.families()
	g := make([]float64, 8)
	rng := rand.New(rand.NewPCG(1, 2))
	if _, err := e.Estimate(g[:4], ps[0], m.Objective(0), 1, rng); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Estimate with input xz: error %v, want ErrUnsupported", err)
	}
	if _, err := e.EstimateMinibatch(g, ps, plainMinibatch{m}, 1, rng); !errors.Is(err, ErrUnsupported) {
		t.Errorf("input xz without a ContextMinibatch: error %v, want ErrUnsupported", err)
	}
	if _, err := e.EstimateMinibatch(g, ps, m, 1, rng); err != nil {
		t.Fatal(err)
	}
	if e.netDim != 7 || e.ctxLen != 3 || len(e.net) != 5*7+2*5+1 {
		t.Fatalf("network dimension %d (context %d), %d weights", e.netDim, e.ctxLen, len(e.net))
	}
	state, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := New("relax", opts)
	if err := UnmarshalState(fresh, state); err != nil {
		t.Fatal(err)
	}
	f := fresh.(*RelaxCV)
	if f.netDim != 7 || f.ctxLen != 3 || f.eta != e.eta || f.step != e.step {
		t.Errorf("restored: dimension %d, context %d, η %v, step %d", f.netDim, f.ctxLen, f.eta, f.step)
	}
	g1, g2 := make([]float64, 8), make([]float64, 8)
	e.EstimateMinibatch(g1, ps, m, 2, rand.New(rand.NewPCG(5, 5)))
	f.EstimateMinibatch(g2, ps, m, 2, rand.New(rand.NewPCG(5, 5)))
	for k := range g1 {
		if g1[k] != g2[k] {
			t.Fatalf("restored estimator's estimate [%d] %v, want %v", k, g2[k], g1[k])
		}
	}
	for _, other := range []map[string]string{
		{"activation": "tanh", "input": "xz", "hidden": "5", "scale_net": "true", "objective": "example", "beta1": "0.999", "tau": "0.1", "lr": "0.0001"},
		{"activation": "leaky_relu", "input": "z", "hidden": "5", "scale_net": "true", "objective": "example", "beta1": "0.999", "tau": "0.1", "lr": "0.0001"},
		{"hidden": "5", "tau": "0.1", "lr": "0.0001"},
	} {
		o, _ := New("relax", other)
		if err := UnmarshalState(o, state); err == nil {
			t.Errorf("state of %v restored into %v", opts, other)
		}
	}
	// A network for a context of another length is rebuilt.
	m2 := newLinearEncoder(2, 5, 4, false, 9)
	if _, err := e.EstimateMinibatch(g, m2.families(), m2, 1, rng); err != nil || e.netDim != 9 || e.ctxLen != 5 {
		t.Errorf("context of length 5: error %v, dimension %d, context %d", err, e.netDim, e.ctxLen)
	}
}

// hvQuad is denseQuad seen only through Hessian–vector products
// (objective.HessVec, neither Curved nor Hessian).
type hvQuad struct{ q *denseQuad }

func (o hvQuad) Name() string                  { return "quad-hv" }
func (o hvQuad) Value(x []float64) float64     { return o.q.Value(x) }
func (o hvQuad) Grad(dst, x []float64) float64 { return o.q.Grad(dst, x) }
func (o hvQuad) HessVec(dst, x, v []float64)   { matVec(dst, o.q.m, v) }
func matVec(dst, m, v []float64) {
	for j := range dst {
		s := 0.0
		for k, vk := range v {
			s += m[j*len(v)+k] * vk
		}
		dst[j] = s
	}
}

// TestRelaxCVMinibatchHessVec: τ tuned from Hessian–vector products takes
// the same ψ-gradient, to rounding, as τ tuned from the full Hessian, and
// the products make an objective without Curved acceptable for tuning.
func TestRelaxCVMinibatchHessVec(t *testing.T) {
	full := newLinearEncoder(3, 2, 4, true, 5)
	hv := newLinearEncoder(3, 2, 4, true, 5)
	for i, f := range hv.fs {
		hv.fs[i] = hvQuad{f.(*denseQuad)}
	}
	ps := full.families()
	for _, mlp := range []bool{false, true} {
		e0, err := NewRelaxCVWith(mlp, 0.8, 0.7, 0.01, true, 3, relaxOpts("tanh", "z", "params", false))
		if err != nil {
			t.Fatal(err)
		}
		perturbNet(e0)
		e1, e2 := e0.Clone().(*RelaxCV), e0.Clone().(*RelaxCV)
		g1, g2 := make([]float64, 3*4), make([]float64, 3*4)
		if _, err := e1.EstimateMinibatch(g1, ps, full, 2, rand.New(rand.NewPCG(3, 3))); err != nil {
			t.Fatal(err)
		}
		if _, err := e2.EstimateMinibatch(g2, ps, hv, 2, rand.New(rand.NewPCG(3, 3))); err != nil {
			t.Fatalf("mlp=%v: HessVec objective refused: %v", mlp, err)
		}
		if e1.dpsi[1] == 0 {
			t.Fatalf("mlp=%v: no τ gradient", mlp)
		}
		for k := range e1.dpsi {
			if math.Abs(e1.dpsi[k]-e2.dpsi[k]) > 1e-12*max(1, math.Abs(e1.dpsi[k])) {
				t.Errorf("mlp=%v: ψ-gradient[%d] %.15g with products, %.15g with the Hessian", mlp, k, e2.dpsi[k], e1.dpsi[k])
			}
		}
	}
}

// TestRelaxNetSameBits: netBase, netEval and netParamGrad (four hidden
// units at a time, gonum's Axpy) give bit for bit what one plain loop per
// unit gives (products rounded before they are added), with both activations, with and without dir, and with the
// output weights zero (Axpy's a = 0 case) and not.
func TestRelaxNetSameBits(t *testing.T) {
	t.Parallel()
	const C, d, H = 9, 6, 7 // one block of four units and three more
	for _, act := range []string{"leaky_relu", "tanh"} {
		for _, zeroOut := range []bool{false, true} {
			e, err := NewRelaxCVWith(true, 1, 0.5, 0.01, true, H, relaxOpts(act, "xz", "params", false))
			if err != nil {
				t.Fatal(err)
			}
			e.initNet(C, d)
			perturbNet(e)
			D := e.netDim
			w1, b1, w2 := e.net[:H*D], e.net[H*D:H*D+H], e.net[H*D+H:H*D+2*H]
			if zeroOut {
				clear(w2)
			}
			src := rand.New(rand.NewPCG(7, 8))
			vec := func(n int) []float64 {
				v := make([]float64, n)
				for k := range v {
					v[k] = src.NormFloat64() * math.Pow(10, float64(src.IntN(7)-3))
				}
				return v
			}
			ctx, z, dir := vec(C), vec(d), vec(d)
			// The plain loops.
			wantBase := make([]float64, H)
			for k := range H {
				s := b1[k]
				for j, w := range w1[k*D : k*D+C] {
					s += float64(w * ctx[j])
				}
				wantBase[k] = s
			}
			base := make([]float64, H)
			e.netBase(base, ctx)
			sameBits(t, act+": netBase", base, wantBase)
			for _, dv := range [][]float64{nil, dir} {
				wantDz := make([]float64, d)
				var wantR, wantDD float64 = e.net[H*D+2*H], 0
				hid, hidA := make([]float64, H), make([]float64, H)
				for k := range H {
					row := w1[k*D+C : (k+1)*D]
					pre, ak := base[k], 0.0
					for j, zj := range z {
						pre += float64(row[j] * zj)
						if dv != nil {
							ak += float64(row[j] * dv[j])
						}
					}
					tk, tp, _ := e.activate(pre)
					hid[k], hidA[k] = tk, ak
					wantR += w2[k] * tk
					wantDD += w2[k] * tp * ak
					for j := range wantDz {
						wantDz[j] += float64(w2[k] * tp * row[j])
					}
				}
				dz := make([]float64, d)
				r, dd := e.netEval(dz, z, dv, base)
				sameBits(t, act+": netEval ∇z r", dz, wantDz)
				sameBits(t, act+": netEval r, dir·∇r", []float64{r, dd}, []float64{wantR, wantDD})
				sameBits(t, act+": netEval activations", e.hid[:H], hid)
				sameBits(t, act+": netEval directional derivatives", e.hidA[:H], hidA)
				if dv == nil {
					continue
				}
				const cr, cd = 0.7, -1.3
				want := vec(len(e.net)) // a gradient that already holds values
				got := append([]float64(nil), want...)
				gw1, gb1, gw2 := want[:H*D], want[H*D:H*D+H], want[H*D+H:H*D+2*H]
				want[H*D+2*H] += cr
				for k := range H {
					tk, ak, tp, tpp := e.hid[k], e.hidA[k], e.hidP[k], e.hidPP[k]
					gw2[k] += cr*tk + cd*tp*ak
					cb := cr*w2[k]*tp + cd*w2[k]*tpp*ak
					gb1[k] += cb
					row := gw1[k*D : (k+1)*D]
					for j, xj := range ctx {
						row[j] += float64(cb * xj)
					}
					cdir := cd * w2[k] * tp
					for j, zj := range z {
						row[C+j] += cb*zj + cdir*dv[j]
					}
				}
				e.netParamGrad(got, z, ctx, dv, cr, cd)
				sameBits(t, act+": netParamGrad", got, want)
			}
		}
	}
}

// sameBits reports the first component where got and want differ in bits.
func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for k := range want {
		if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
			t.Errorf("%s [%d] = %v, want %v (the plain loop)", what, k, got[k], want[k])
			return
		}
	}
}
