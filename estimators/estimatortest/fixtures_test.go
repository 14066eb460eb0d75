package estimatortest_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/estimatortest"
	"github.com/gradbench/gradbench/estimators/objective"
)

// expectation returns E_p[f] by the same exact route the fixture's gradient
// took (closed form, enumeration or moments), independently coded.
func expectation(t *testing.T, p dist.Distribution, f objective.Objective, method string) float64 {
	t.Helper()
	switch method {
	case "closed form":
		ne := f.(objective.NormalExpectation)
		switch q := p.(type) {
		case dist.Normal:
			var a, b [1]float64
			return ne.NormalExpectation(a[:], b[:], []float64{q.Mu}, []float64{q.Sigma})
		case dist.MVNDiag:
			a, b := make([]float64, len(q.Mu)), make([]float64, len(q.Mu))
			return ne.NormalExpectation(a, b, q.Mu, q.Sigma)
		case dist.VonMises:
			e, _, _ := q.CosExpectation(f.(objective.Cos).K)
			return e
		}
	case "enumeration":
		fin := p.(dist.Finite)
		x := make([]float64, p.Dim())
		e := 0.0
		for i := range fin.SupportSize() {
			pr := fin.Outcome(x, i)
			if pr > 0 {
				e += pr * f.Value(x)
			}
		}
		return e
	case "exact moments":
		k := f.(objective.Quadratic).K
		if st, ok := p.(dist.StudentT); ok {
			return st.Scale*st.Scale*st.DF/(st.DF-2) + (st.Mu-k)*(st.Mu-k)
		}
		m := p.(dist.Moments)
		mean, v := make([]float64, p.Dim()), make([]float64, p.Dim())
		m.Mean(mean)
		m.Variance(v)
		e := 0.0
		for d := range mean {
			e += v[d] + (mean[d]-k)*(mean[d]-k)
		}
		return e
	}
	t.Fatalf("unknown method %q", method)
	return 0
}

// TestFixtureGradients checks every fixture's exact gradient against central
// finite differences of its exact expectation (gonum/diff/fd).
func TestFixtureGradients(t *testing.T) {
	fxs, err := estimatortest.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range fxs {
		theta := fx.P.Params(nil)
		e := func(th []float64) float64 {
			q, err := fx.P.WithParams(th)
			if err != nil {
				t.Fatalf("%s: WithParams(%v): %v", fx.Name, th, err)
			}
			return expectation(t, q, fx.F, fx.Method)
		}
		got := fd.Gradient(nil, e, theta, &fd.Settings{Formula: fd.Central, Step: 1e-5})
		for j, g := range fx.Grad {
			// Central differences with step h have error O(h²·f''') plus
			// rounding O(ε·|E|/h) ≈ 1e-11·|E|: 1e-6 relative is ample.
			if math.Abs(g-got[j]) > 1e-6*max(1, math.Abs(g)) {
				t.Errorf("%s: d/d%s = %.10g, finite differences %.10g", fx.Name, fx.P.ParamNames()[j], g, got[j])
			}
		}
	}
}

// TestFixturesCoverAcceptance checks that the fixtures include the
// acceptance grid: normal × {(x−k)², exp(−kx²), cos(kx)} at every (μ, σ) and
// k of AcceptanceNormals and AcceptanceK, with the brief's k values.
func TestFixturesCoverAcceptance(t *testing.T) {
	fxs, err := estimatortest.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{"quadratic": {-3, 0, 3}, "gaussian": {0.1, 1, 10}, "cos": {0.5, 1.58, 5}}
	if len(estimatortest.AcceptanceNormals) < 3 || estimatortest.AcceptanceNormals[0] != [2]float64{1, 1} {
		t.Errorf("AcceptanceNormals = %v, want (1, 1) first and two others", estimatortest.AcceptanceNormals)
	}
	for _, ms := range estimatortest.AcceptanceNormals {
		for obj, ks := range want {
			for _, k := range ks {
				found := false
				for _, fx := range fxs {
					n, ok := fx.P.(dist.Normal)
					if !ok || n.Mu != ms[0] || n.Sigma != ms[1] || fx.F.Name() != obj || fx.Method != "closed form" {
						continue
					}
					switch f := fx.F.(type) {
					case objective.Quadratic:
						found = found || f.K == k
					case objective.Gaussian:
						found = found || f.K == k
					case objective.Cos:
						found = found || f.K == k
					}
				}
				if !found {
					t.Errorf("no fixture for normal(%v, %v) × %s(k=%v)", ms[0], ms[1], obj, k)
				}
			}
		}
	}
}
