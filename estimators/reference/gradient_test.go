package reference

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats/scalar"
)

// continuousFamilies are 1-D continuous families with quantile functions.
func continuousFamilies() []dist.Distribution {
	return []dist.Distribution{
		dist.Gamma{Alpha: 2.5, Beta: 1.5},
		dist.Gamma{Alpha: 0.7, Beta: 2},
		dist.Beta{Alpha: 2, Beta: 3},
		dist.Beta{Alpha: 0.8, Beta: 1.5},
		dist.Exponential{Rate: 0.7},
		dist.Weibull{K: 1.5, Lambda: 2},
		dist.Laplace{Mu: 0.3, Scale: 1.2},
		dist.LogNormal{Mu: 0.1, Sigma: 0.5},
		dist.Normal{Mu: 1, Sigma: 2},
	}
}

// TestQuadratureMoments checks quadrature on every family with closed-form
// moments: for f = (x − k)², E[f] = Var + (E[x] − k)², whose gradient is
// MomentsVJP with a = 2(E[x] − k), b = 1.
func TestQuadratureMoments(t *testing.T) {
	const k = 0.6
	f := objective.Quadratic{K: k}
	for _, p := range continuousFamilies() {
		m, ok := p.(dist.Moments)
		if !ok {
			t.Fatalf("%s has no Moments", p.Name())
		}
		mean, vr := make([]float64, 1), make([]float64, 1)
		m.Mean(mean)
		m.Variance(vr)
		want := make([]float64, p.NumParams())
		m.MomentsVJP(want, []float64{2 * (mean[0] - k)}, []float64{1})
		r, err := Gradient(p, f, MethodQuadrature, Options{})
		if err != nil {
			t.Errorf("%s %v: %v", p.Name(), p.Params(nil), err)
			continue
		}
		if wantV := vr[0] + (mean[0]-k)*(mean[0]-k); !scalar.EqualWithinAbsOrRel(r.Value, wantV, 1e-10, 1e-8) {
			t.Errorf("%s %v: E[f] = %.12g, moments give %.12g", p.Name(), p.Params(nil), r.Value, wantV)
		}
		for j := range want {
			if !scalar.EqualWithinAbsOrRel(r.Grad[j], want[j], 1e-10, 1e-8) {
				t.Errorf("%s %v: grad[%d] = %.12g, moments give %.12g (%s)", p.Name(), p.Params(nil), j, r.Grad[j], want[j], r.Detail)
			}
		}
	}
}

// TestQuadratureFiniteDifference checks the score integral against central
// differences of the quadrature expectation, for objectives without
// closed forms under these families.
func TestQuadratureFiniteDifference(t *testing.T) {
	for _, p := range continuousFamilies() {
		for _, f := range []objective.Objective{objective.Cos{K: 3}, objective.Step{K: 0.5}, objective.Gaussian{K: 2}} {
			r, err := Gradient(p, f, MethodQuadrature, Options{})
			if err != nil {
				t.Errorf("%s, %s: %v", p.Name(), f.Name(), err)
				continue
			}
			value := func(theta []float64) float64 {
				q, err := p.WithParams(theta)
				if err != nil {
					panic(err)
				}
				r, err := Gradient(q, f, MethodQuadrature, Options{})
				if err != nil {
					panic(err)
				}
				return r.Value
			}
			want := fd.Gradient(nil, value, p.Params(nil), &fd.Settings{Formula: fd.Central, Step: 1e-4})
			for j := range want {
				// Central differences with step h = 1e-4 have truncation
				// error O(h²) ≈ 1e-8 times the third derivative.
				if !scalar.EqualWithinAbsOrRel(r.Grad[j], want[j], 1e-6, 1e-6) {
					t.Errorf("%s %v, %s: grad[%d] = %.10g, fd %.10g", p.Name(), p.Params(nil), f.Name(), j, r.Grad[j], want[j])
				}
			}
		}
	}
}

func TestEnumeration(t *testing.T) {
	f, err := objective.NewSquareTable(2, 0.49)
	if err != nil {
		t.Fatal(err)
	}
	p := dist.Bernoulli{Logit: 0.3}
	r, err := Gradient(p, f, MethodEnumeration, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := 1 / (1 + math.Exp(-0.3))
	wantV := (1-q)*0.49*0.49 + q*0.51*0.51
	wantG := q * (1 - q) * (0.51*0.51 - 0.49*0.49)
	if !scalar.EqualWithinAbsOrRel(r.Value, wantV, 1e-15, 1e-13) || !scalar.EqualWithinAbsOrRel(r.Grad[0], wantG, 1e-15, 1e-12) {
		t.Errorf("Bernoulli: (%v, %v), want (%v, %v)", r.Value, r.Grad[0], wantV, wantG)
	}

	// Categorical: against finite differences of the exact expectation.
	f5, _ := objective.NewSquareTable(5, 1.7)
	logits := []float64{0.2, -1, 0.5, 1.3, 0}
	c := dist.Categorical{Logits: logits}
	r, err = Gradient(c, f5, MethodEnumeration, Options{})
	if err != nil {
		t.Fatal(err)
	}
	value := func(l []float64) float64 {
		m, s := math.Inf(-1), 0.0
		for _, v := range l {
			m = math.Max(m, v)
		}
		e := 0.0
		for i, v := range l {
			w := math.Exp(v - m)
			s += w
			e += w * f5.V[i]
		}
		return e / s
	}
	want := fd.Gradient(nil, value, logits, &fd.Settings{Formula: fd.Central})
	for j := range want {
		if !scalar.EqualWithinAbsOrRel(r.Grad[j], want[j], 1e-7, 1e-7) {
			t.Errorf("categorical grad[%d] = %v, fd %v", j, r.Grad[j], want[j])
		}
	}
}

func TestClosedMVNDiag(t *testing.T) {
	mu, sigma := []float64{-1, 0.5, 2}, []float64{0.5, 1, 2}
	p := dist.MVNDiag{Mu: mu, Sigma: sigma}
	f := objective.Cos{K: 2}
	r, err := Gradient(p, f, MethodClosed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := p.ParamNames()
	sum := 0.0
	for d := range mu {
		rd, err := Gradient(dist.Normal{Mu: mu[d], Sigma: sigma[d]}, f, MethodClosed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sum += rd.Value
		for j, name := range []string{fmt.Sprintf("mu[%d]", d), fmt.Sprintf("sigma[%d]", d)} {
			i := indexOf(names, name)
			if i < 0 {
				t.Fatalf("no parameter %s in %v", name, names)
			}
			if r.Grad[i] != rd.Grad[j] {
				t.Errorf("%s: %v, 1-D %v", name, r.Grad[i], rd.Grad[j])
			}
		}
	}
	if !scalar.EqualWithinAbsOrRel(r.Value, sum, 1e-14, 1e-14) {
		t.Errorf("value %v, sum of 1-D %v", r.Value, sum)
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestMonteCarlo checks the Monte Carlo reference against closed forms:
// each component must be within 4 standard errors (a false failure rate of
// about 6e-5 per component, 1e-3 for the 16 components here; fixed seeds
// make the outcome deterministic).
func TestMonteCarlo(t *testing.T) {
	cases := []struct {
		p dist.Distribution
		f objective.Objective
	}{
		{dist.Normal{Mu: 1, Sigma: 0.5}, objective.Quadratic{K: 0.3}},
		{dist.Normal{Mu: 0, Sigma: 1}, objective.Cos{K: 2}},
		{dist.Normal{Mu: 0.2, Sigma: 1.5}, objective.Step{K: 0.5}}, // score function
		{dist.MVNDiag{Mu: []float64{1, -1}, Sigma: []float64{1, 2}}, objective.Gaussian{K: 0.5}},
		{dist.MVNDiag{Mu: []float64{1, -1}, Sigma: []float64{1, 2}}, objective.Step{K: 0}},
	}
	for i, c := range cases {
		want, err := Gradient(c.p, c.f, MethodClosed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Gradient(c.p, c.f, MethodMonteCarlo, Options{Samples: 200_000, Seed: uint64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Method != MethodMonteCarlo {
			t.Errorf("method %q", got.Method)
		}
		for j := range want.Grad {
			if !(got.SE[j] > 0) || math.Abs(got.Grad[j]-want.Grad[j]) > 4*got.SE[j] {
				t.Errorf("%s under %s, component %d: %v ± %v, closed form %v (%s)", c.f.Name(), c.p.Name(), j, got.Grad[j], got.SE[j], want.Grad[j], got.Detail)
			}
		}
	}
	// Same seed, same result.
	p, f := dist.Normal{Mu: 0, Sigma: 1}, objective.Cos{K: 2}
	a, _ := Gradient(p, f, MethodMonteCarlo, Options{Samples: 1000, Seed: 9})
	b, _ := Gradient(p, f, MethodMonteCarlo, Options{Samples: 1000, Seed: 9})
	if a.Grad[0] != b.Grad[0] || a.Grad[1] != b.Grad[1] {
		t.Error("Monte Carlo reference is not deterministic for a fixed seed")
	}
}

func TestAuto(t *testing.T) {
	table, _ := objective.NewSquareTable(2, 0.49)
	cases := []struct {
		p    dist.Distribution
		f    objective.Objective
		want Method
	}{
		{dist.Normal{Mu: 0, Sigma: 1}, objective.Quadratic{}, MethodClosed},
		{dist.MVNDiag{Mu: []float64{0, 1}, Sigma: []float64{1, 1}}, objective.Cos{K: 1}, MethodClosed},
		{dist.Bernoulli{Logit: 0}, table, MethodEnumeration},
		{dist.Gamma{Alpha: 2, Beta: 1}, objective.Cos{K: 1}, MethodQuadrature},
		{dist.Normal{Mu: 0, Sigma: 1}, nanObjective{}, MethodQuadrature}, // fails: NaN
		{dist.Poisson{Lambda: 2}, objective.Quadratic{}, MethodMonteCarlo},
	}
	for _, c := range cases {
		r, err := Gradient(c.p, c.f, MethodAuto, Options{Samples: 1000})
		if c.f.Name() == "nan" {
			if err == nil || errors.Is(err, ErrNotApplicable) {
				t.Errorf("NaN objective: error %v, want a quadrature failure", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s, %s: %v", c.p.Name(), c.f.Name(), err)
			continue
		}
		if r.Method != c.want {
			t.Errorf("%s, %s: auto chose %q, want %q", c.p.Name(), c.f.Name(), r.Method, c.want)
		}
		if err := Applicable(c.p, c.f, c.want); err != nil {
			t.Errorf("Applicable(%s, %s, %s) = %v", c.p.Name(), c.f.Name(), c.want, err)
		}
	}
}

func TestNotApplicable(t *testing.T) {
	table, _ := objective.NewSquareTable(2, 0.49)
	cases := []struct {
		p dist.Distribution
		f objective.Objective
		m Method
	}{
		{dist.Gamma{Alpha: 2, Beta: 1}, objective.Quadratic{}, MethodClosed},
		{dist.Normal{Mu: 0, Sigma: 1}, table, MethodClosed},
		{dist.Normal{Mu: 0, Sigma: 1}, objective.Quadratic{}, MethodEnumeration},
		{dist.MVNDiag{Mu: []float64{0, 1}, Sigma: []float64{1, 1}}, objective.Quadratic{}, MethodQuadrature},
		{dist.Bernoulli{Logit: 0}, table, MethodQuadrature},
		{dist.Poisson{Lambda: 1}, objective.Quadratic{}, MethodQuadrature},
	}
	for _, c := range cases {
		if _, err := Gradient(c.p, c.f, c.m, Options{}); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("%s on %s, %s: error %v, want ErrNotApplicable", c.m, c.p.Name(), c.f.Name(), err)
		}
		if err := Applicable(c.p, c.f, c.m); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("Applicable(%s, %s, %s) = %v, want ErrNotApplicable", c.p.Name(), c.f.Name(), c.m, err)
		}
	}
	if _, err := Gradient(dist.Normal{Mu: 0, Sigma: 1}, objective.Quadratic{}, "exact", Options{}); err == nil {
		t.Error("unknown method: no error")
	}
	// A table objective is NaN off the integers: Monte Carlo under a normal
	// must fail rather than average NaN.
	if _, err := Gradient(dist.Normal{Mu: 0, Sigma: 1}, table, MethodMonteCarlo, Options{Samples: 10}); err == nil {
		t.Error("NaN objective under Monte Carlo: no error")
	}
	for _, s := range []string{"auto", "closed", "enumeration", "quadrature", "montecarlo"} {
		if m, err := ParseMethod(s); err != nil || string(m) != s {
			t.Errorf("ParseMethod(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMethod("exact"); err == nil {
		t.Error(`ParseMethod("exact"): no error`)
	}
}
