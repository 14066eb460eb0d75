package estimators

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// TestRelaxCVVarianceGradient checks the adaptation gradient of rebar and
// relax against central differences of |ĝ|² in η, log τ and the network
// weights, for one sample drawn with a fixed seed (so ĝ is a smooth
// function of them).
func TestRelaxCVVarianceGradient(t *testing.T) {
	oh, _ := dist.NewOneHot([]float64{0.2, -0.4, 0.9})
	bv, _ := dist.NewBernoulliVec([]float64{0.3, -0.7})
	cases := []struct {
		p dist.Distribution
		f objective.Objective
	}{
		{oh, objective.OneHotTable{C: 0.7}},
		{oh, objective.OneHotQuadratic{M: 0.7}}, // a dense Hessian
		{bv, objective.LinQuad{A: 0.5, Q: -2}},
		{bv, objective.TargetQuadratic{T: 0.45, Step: 0.1}},
	}
	for _, c := range cases {
		for _, mlp := range []bool{false, true} {
			e0, err := NewRelaxCV(mlp, 0.8, 0.7, 0.01, true, 3)
			if err != nil {
				t.Fatal(err)
			}
			g := make([]float64, c.p.NumParams())
			// A first call sizes the network; then give the output weights
			// nonzero values so that every network derivative is exercised.
			if _, err := e0.Estimate(g, c.p, c.f, 1, rand.New(rand.NewPCG(1, 1))); err != nil {
				t.Fatal(err)
			}
			for i := range e0.net {
				e0.net[i] = 0.3 * math.Sin(float64(3*i+1))
			}
			for seed := range uint64(3) {
				sq := func(mod func(e *RelaxCV, h float64), h float64) float64 {
					e := e0.Clone().(*RelaxCV)
					mod(e, h)
					e.SetFrozen(true)
					if _, err := e.Estimate(g, c.p, c.f, 1, rand.New(rand.NewPCG(seed, 7))); err != nil {
						t.Fatal(err)
					}
					return dotF(g, g)
				}
				e := e0.Clone().(*RelaxCV)
				if _, err := e.Estimate(g, c.p, c.f, 1, rand.New(rand.NewPCG(seed, 7))); err != nil {
					t.Fatal(err)
				}
				check := func(name string, got float64, mod func(e *RelaxCV, h float64)) {
					want := fd.Derivative(func(h float64) float64 { return sq(mod, h) }, 0, &fd.Settings{Formula: fd.Central})
					if math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
						t.Errorf("%s × %s mlp=%v seed %d: ∂|ĝ|²/∂%s = %.8g, finite differences %.8g", c.p.Name(), c.f.Name(), mlp, seed, name, got, want)
					}
				}
				check("eta", e.dpsi[0], func(e *RelaxCV, h float64) { e.eta += h })
				check("log tau", e.dpsi[1], func(e *RelaxCV, h float64) { e.logTau += h })
				if mlp {
					for i := range e0.net {
						check("net", e.dpsi[2+i], func(e *RelaxCV, h float64) { e.net[i] += h })
					}
				}
			}
		}
	}
}

// TestRelaxCVAdaptive checks the Adaptive contract: a frozen estimator
// keeps its parameters, an unfrozen one moves them, Clone copies the state
// and Reset restores the initial values.
func TestRelaxCVAdaptive(t *testing.T) {
	var a Adaptive = mustRelax(t)
	p, _ := dist.NewBernoulli(0)
	f := objective.Quadratic{K: 0.49}
	g := make([]float64, 1)
	rng := rand.New(rand.NewPCG(2, 3))
	init := a.Tuned()
	a.SetFrozen(true)
	for range 10 {
		if _, err := a.Estimate(g, p, f, 2, rng); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Tuned(); got["eta"] != init["eta"] || got["tau"] != init["tau"] || !a.Frozen() {
		t.Errorf("frozen: tuned %v, want %v", got, init)
	}
	a.SetFrozen(false)
	for range 50 {
		if _, err := a.Estimate(g, p, f, 2, rng); err != nil {
			t.Fatal(err)
		}
	}
	moved := a.Tuned()
	if moved["eta"] == init["eta"] || moved["tau"] == init["tau"] {
		t.Errorf("after 50 adapting estimates: tuned %v, initial %v", moved, init)
	}
	c := a.Clone().(Adaptive)
	r1, r2 := rand.New(rand.NewPCG(4, 5)), rand.New(rand.NewPCG(4, 5))
	g2 := make([]float64, 1)
	a.Estimate(g, p, f, 3, r1)
	c.Estimate(g2, p, f, 3, r2)
	if g[0] != g2[0] || a.Tuned()["eta"] != c.Tuned()["eta"] {
		t.Errorf("clone differs: %v vs %v", g2, g)
	}
	a.Reset()
	if got := a.Tuned(); got["eta"] != init["eta"] || got["tau"] != init["tau"] {
		t.Errorf("after Reset: tuned %v, want %v", got, init)
	}
}

func mustRelax(t *testing.T) *RelaxCV {
	e, err := New("relax", nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.(*RelaxCV)
}
