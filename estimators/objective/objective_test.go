package objective

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats/scalar"
	"gonum.org/v1/gonum/integrate/quad"
)

// curvedCases are the differentiable objectives under test, with points.
func curvedCases() []Curved {
	return []Curved{
		Quadratic{K: 0.7},
		Linear{A: -1.3},
		Gaussian{K: 2.5},
		Gaussian{K: 0},
		Cos{K: 3},
		Quartic{},
		Constant{C: 100},
	}
}

var testPoints = [][]float64{
	{0},
	{-1.2},
	{0.3, 1.7, -0.8},
}

func TestGradHessDiag(t *testing.T) {
	for _, f := range curvedCases() {
		for _, x := range testPoints {
			n := len(x)
			grad := make([]float64, n)
			v := f.Grad(grad, x)
			if want := f.Value(x); v != want {
				t.Errorf("%s%v: Grad returned %v, Value %v", f.Name(), x, v, want)
			}
			wantGrad := fd.Gradient(nil, f.Value, x, &fd.Settings{Formula: fd.Central})
			for i := range grad {
				if !scalar.EqualWithinAbsOrRel(grad[i], wantGrad[i], 1e-6, 1e-6) {
					t.Errorf("%s%v: grad[%d] = %v, fd %v", f.Name(), x, i, grad[i], wantGrad[i])
				}
			}
			hess := make([]float64, n)
			f.HessDiag(hess, x)
			for i := range hess {
				// Differentiate the i-th gradient component with respect to x_i.
				gi := func(xi float64) float64 {
					y := append([]float64(nil), x...)
					y[i] = xi
					g := make([]float64, n)
					f.Grad(g, y)
					return g[i]
				}
				want := fd.Derivative(gi, x[i], &fd.Settings{Formula: fd.Central})
				if !scalar.EqualWithinAbsOrRel(hess[i], want, 1e-5, 1e-6) {
					t.Errorf("%s%v: hess[%d] = %v, fd %v", f.Name(), x, i, hess[i], want)
				}
			}
		}
	}
}

// normalIntegral returns ∫ g(x) N(x; mu, sigma²) dx by Gauss–Legendre on
// 400 panels over mu ± 14 sigma, with a panel edge at every point in breaks.
func normalIntegral(g func(float64) float64, mu, sigma float64, breaks []float64) float64 {
	const n = 400
	lo, hi := -14.0, 14.0
	edges := make([]float64, 0, n+1+len(breaks))
	for i := 0; i <= n; i++ {
		edges = append(edges, lo+(hi-lo)*float64(i)/n)
	}
	for _, b := range breaks {
		if z := (b - mu) / sigma; z > lo && z < hi {
			edges = append(edges, z)
		}
	}
	sortFloats(edges)
	h := func(z float64) float64 {
		return g(mu+sigma*z) * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
	}
	s := 0.0
	for i := 1; i < len(edges); i++ {
		if edges[i] > edges[i-1] {
			s += quad.Fixed(h, edges[i-1], edges[i], 20, quad.Legendre{}, 0)
		}
	}
	return s
}

func sortFloats(s []float64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestNormalExpectation(t *testing.T) {
	objs := []NormalExpectation{
		Quadratic{K: -2}, Quadratic{K: 3},
		Linear{A: 2},
		Gaussian{K: 0.1}, Gaussian{K: 10},
		Cos{K: 0.5}, Cos{K: 5}, Cos{K: -2},
		Step{K: 0.4}, Step{K: -1},
		Quartic{},
		Constant{C: 100},
	}
	mus := []float64{-1, 0, 1, 2}
	sigmas := []float64{0.5, 1, 2}
	for _, f := range objs {
		var breaks []float64
		if b, ok := f.(Breakpointer); ok {
			breaks = b.Breakpoints()
		}
		for _, mu := range mus {
			for _, sigma := range sigmas {
				// One dimension: compare with quadrature.
				g := func(x float64) float64 { return f.Value([]float64{x}) }
				dmu, dsig := make([]float64, 1), make([]float64, 1)
				e := f.NormalExpectation(dmu, dsig, []float64{mu}, []float64{sigma})
				want := normalIntegral(g, mu, sigma, breaks)
				if !scalar.EqualWithinAbsOrRel(e, want, 1e-10, 1e-10) {
					t.Errorf("%s at N(%v, %v²): E = %v, quadrature %v", f.Name(), mu, sigma, e, want)
				}
				// Gradients against finite differences of the expectation.
				ex := func(th []float64) float64 {
					a, b := make([]float64, 1), make([]float64, 1)
					return f.NormalExpectation(a, b, th[:1], th[1:])
				}
				fdg := fd.Gradient(nil, ex, []float64{mu, sigma}, &fd.Settings{Formula: fd.Central})
				if !scalar.EqualWithinAbsOrRel(dmu[0], fdg[0], 1e-6, 1e-6) ||
					!scalar.EqualWithinAbsOrRel(dsig[0], fdg[1], 1e-6, 1e-6) {
					t.Errorf("%s at N(%v, %v²): grad (%v, %v), fd (%v, %v)", f.Name(), mu, sigma, dmu[0], dsig[0], fdg[0], fdg[1])
				}
			}
		}
		// Several dimensions: sum of per-dimension terms (a constant is not
		// a sum, so skip it).
		if _, ok := f.(Constant); ok {
			continue
		}
		mu, sigma := []float64{-1, 0.5, 2}, []float64{0.5, 1, 2}
		dmu, dsig := make([]float64, 3), make([]float64, 3)
		e := f.NormalExpectation(dmu, dsig, mu, sigma)
		sum := 0.0
		for d := range mu {
			a, b := make([]float64, 1), make([]float64, 1)
			sum += f.NormalExpectation(a, b, mu[d:d+1], sigma[d:d+1])
			if a[0] != dmu[d] || b[0] != dsig[d] {
				t.Errorf("%s: dimension %d gradient (%v, %v), alone (%v, %v)", f.Name(), d, dmu[d], dsig[d], a[0], b[0])
			}
		}
		if !scalar.EqualWithinAbsOrRel(e, sum, 1e-14, 1e-14) {
			t.Errorf("%s: 3-D expectation %v, sum of 1-D %v", f.Name(), e, sum)
		}
	}
}

func TestStepAndTableValues(t *testing.T) {
	s := Step{K: 0.5}
	if got := s.Value([]float64{0.5, 0.6, -3, 9}); got != 2 {
		t.Errorf("Step.Value = %v, want 2", got)
	}
	if _, ok := Objective(s).(Differentiable); ok {
		t.Error("Step must not be Differentiable")
	}
	tb, err := NewSquareTable(3, 0.49)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Objective(tb).(Differentiable); ok {
		t.Error("Table must not be Differentiable")
	}
	if got, want := tb.Value([]float64{0, 2}), 0.49*0.49+1.51*1.51; got != want {
		t.Errorf("Table.Value = %v, want %v", got, want)
	}
	for _, x := range []float64{-1, 3, 0.5, math.NaN(), math.Inf(1), 1e300} {
		if got := tb.Value([]float64{x}); !math.IsNaN(got) {
			t.Errorf("Table.Value(%v) = %v, want NaN", x, got)
		}
	}
}

func TestRegistry(t *testing.T) {
	want := []string{"constant", "cos", "gaussian", "linear", "linquad", "onehot-abs", "onehot-poly", "onehot-quadratic", "onehot-table", "quadratic", "quadratic-t", "quartic", "step", "step-ae", "table"}
	got := Names()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		f, err := New(name, nil)
		if err != nil {
			t.Errorf("New(%q, defaults): %v", name, err)
			continue
		}
		if f.Name() != name {
			t.Errorf("New(%q).Name() = %q", name, f.Name())
		}
	}
	if f, err := New("constant", nil); err != nil || f.Value([]float64{3}) != 100 {
		t.Errorf("constant default: %v, %v", f, err)
	}
	if f, err := New("cos", map[string]float64{"k": 4}); err != nil || f.(Cos).K != 4 {
		t.Errorf("cos k=4: %v, %v", f, err)
	}
	bad := []struct {
		name   string
		params map[string]float64
		msg    string
	}{
		{"nope", nil, "unknown objective"},
		{"cos", map[string]float64{"q": 1}, "unknown parameter"},
		{"cos", map[string]float64{"k": math.NaN()}, "finite"},
		{"linear", map[string]float64{"a": math.Inf(-1)}, "finite"},
		{"gaussian", map[string]float64{"k": -0.1}, "k ≥ 0"},
		{"table", map[string]float64{"size": 0}, "size"},
		{"table", map[string]float64{"size": 2.5}, "size"},
		{"quartic", map[string]float64{"k": 1}, "unknown parameter"},
	}
	for _, b := range bad {
		f, err := New(b.name, b.params)
		if err == nil {
			t.Errorf("New(%q, %v) = %v, want an error", b.name, b.params, f)
			continue
		}
		if !strings.Contains(err.Error(), b.msg) {
			t.Errorf("New(%q, %v) error %q does not mention %q", b.name, b.params, err, b.msg)
		}
	}
}

func TestStepAE(t *testing.T) {
	f, err := New("step-ae", map[string]float64{"k": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	df, ok := f.(Curved)
	if !ok {
		t.Fatal("step-ae is not Curved")
	}
	g := []float64{7, 7}
	if v := df.Grad(g, []float64{1, 0}); v != 1 || g[0] != 0 || g[1] != 0 {
		t.Errorf("Grad = %v, %v; want 1, [0 0]", v, g)
	}
	dmu, dsig := []float64{0}, []float64{0}
	want := Step{K: 0.5}.NormalExpectation(dmu, dsig, []float64{1}, []float64{1})
	if got := f.(NormalExpectation).NormalExpectation(dmu, dsig, []float64{1}, []float64{1}); got != want || dmu[0] <= 0 {
		t.Errorf("E = %v (want %v), dmu = %v (want > 0)", got, want, dmu[0])
	}
}
