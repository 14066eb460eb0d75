package estimators_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// draws returns the n samples x_i, f(x_i) and scores s_i the score-type
// estimators see from a PCG(seed, seed) generator (they draw x with p.Rand
// and nothing else).
func draws(p dist.Distribution, f objective.Objective, n int, seed uint64) (fs []float64, ss [][]float64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	x := make([]float64, p.Dim())
	for range n {
		p.Rand(x, rng)
		s := make([]float64, p.NumParams())
		p.Score(s, x)
		fs = append(fs, f.Value(x))
		ss = append(ss, s)
	}
	return fs, ss
}

func estimate(t *testing.T, e estimators.Estimator, p dist.Distribution, f objective.Objective, n int, seed uint64) []float64 {
	t.Helper()
	g := make([]float64, p.NumParams())
	if _, err := e.Estimate(g, p, f, n, rand.New(rand.NewPCG(seed, seed))); err != nil {
		t.Fatal(err)
	}
	return g
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-10*(1+math.Abs(b)) }

func mustNew(t *testing.T, name string, opts map[string]string) estimators.Estimator {
	t.Helper()
	e, err := estimators.New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestScoreLOOFormula checks score+loo against the RLOO definition
// (1/n) Σ_i (f_i − mean_{k≠i} f_k) s_i computed directly, with a large
// offset in f to exercise the shifted one-pass sums.
func TestScoreLOOFormula(t *testing.T) {
	p := dist.Normal{Mu: 0.3, Sigma: 1.2}
	f := objective.Quadratic{K: -40} // f ≈ 1600 ± 100
	const n = 7
	fs, ss := draws(p, f, n, 5)
	want := make([]float64, 2)
	for i := range n {
		b := 0.0
		for k := range n {
			if k != i {
				b += fs[k]
			}
		}
		b /= n - 1
		for j := range want {
			want[j] += (fs[i] - b) * ss[i][j] / n
		}
	}
	got := estimate(t, mustNew(t, "score+loo", nil), p, f, n, 5)
	for j := range want {
		if !near(got[j], want[j]) {
			t.Errorf("component %d: %v, want %v", j, got[j], want[j])
		}
	}
}

// TestScoreMABaseline checks the moving-average baseline: the first estimate
// uses b = 0, the second b = mean f of the first batch, the third
// decay·b + (1 − decay)·mean f of the second.
func TestScoreMABaseline(t *testing.T) {
	p := dist.Normal{Mu: 1, Sigma: 0.5}
	f := objective.Quadratic{K: 2}
	const n, decay = 5, 0.75
	e := mustNew(t, "score+ma", map[string]string{"decay": "0.75"})
	b := 0.0
	for call, seed := range []uint64{11, 12, 13} {
		fs, ss := draws(p, f, n, seed)
		want := make([]float64, 2)
		mean := 0.0
		for i := range n {
			mean += fs[i] / n
			for j := range want {
				want[j] += (fs[i] - b) * ss[i][j] / n
			}
		}
		got := estimate(t, e, p, f, n, seed)
		for j := range want {
			if !near(got[j], want[j]) {
				t.Errorf("call %d, component %d: %v, want %v (baseline %v)", call, j, got[j], want[j], b)
			}
		}
		if call == 0 {
			b = mean
		} else {
			b = decay*b + (1-decay)*mean
		}
	}
	e.(estimators.Resetter).Reset()
	fs, ss := draws(p, f, n, 11)
	got := estimate(t, e, p, f, n, 11)
	want := 0.0
	for i := range n {
		want += fs[i] * ss[i][0] / n
	}
	if !near(got[0], want) {
		t.Errorf("after Reset: %v, want %v (baseline 0)", got[0], want)
	}
}

// TestScoreOptimalBaseline checks score+optimal's baselines against a direct
// computation: sample i of the second batch uses
// b_j = (Σ_first f s_j² + Σ_{k≠i} f_k s_kj²) / (Σ_first s_j² + Σ_{k≠i} s_kj²).
func TestScoreOptimalBaseline(t *testing.T) {
	p := dist.Normal{Mu: -0.5, Sigma: 1.5}
	f := objective.Cos{K: 1}
	const n = 4
	e := mustNew(t, "score+optimal", nil)
	f1, s1 := draws(p, f, n, 21)
	estimate(t, e, p, f, n, 21)
	f2, s2 := draws(p, f, n, 22)
	got := estimate(t, e, p, f, n, 22)
	for j := range 2 {
		want := 0.0
		for i := range n {
			num, den := 0.0, 0.0
			for k := range n {
				num += f1[k] * s1[k][j] * s1[k][j]
				den += s1[k][j] * s1[k][j]
				if k != i {
					num += f2[k] * s2[k][j] * s2[k][j]
					den += s2[k][j] * s2[k][j]
				}
			}
			want += (f2[i] - num/den) * s2[i][j] / n
		}
		if !near(got[j], want) {
			t.Errorf("component %d: %v, want %v", j, got[j], want)
		}
	}
	// n = 1 after Reset: no independent sample, no baseline.
	e.(estimators.Resetter).Reset()
	fs, ss := draws(p, f, 1, 23)
	got = estimate(t, e, p, f, 1, 23)
	for j := range 2 {
		if want := fs[0] * ss[0][j]; !near(got[j], want) {
			t.Errorf("first estimate, n = 1, component %d: %v, want %v (no baseline)", j, got[j], want)
		}
	}
}

// TestMVDCoupledExact checks the coupled measure-valued estimator on (x−k)²
// at k = μ: f(μ+σw) − f(μ−σw) = 0, so the mu component is exactly 0 = the
// true ∂/∂μ, with zero variance.
func TestMVDCoupledExact(t *testing.T) {
	p := dist.Normal{Mu: 0, Sigma: 1.3} // μ = k = 0: the difference is exact in floating point
	f := objective.Quadratic{K: 0}
	e := mustNew(t, "mvd", nil)
	for seed := range uint64(20) {
		if g := estimate(t, e, p, f, 3, seed); g[0] != 0 {
			t.Fatalf("seed %d: mu component %v, want exactly 0", seed, g[0])
		}
	}
}

// TestDeltaExactOnQuadratic checks that the delta method's control variate is
// f itself for a quadratic, so the estimate's variance is far below the plain
// score function's: per component, at most 1% of it (with 500 replications
// the sample variances are within ±15% of their values with overwhelming
// probability, and the true ratio is below 0.1%).
func TestDeltaExactOnQuadratic(t *testing.T) {
	p := dist.Normal{Mu: 1, Sigma: 1}
	f := objective.Quadratic{K: 3}
	const n, reps = 8, 500
	variance := func(name string, opts map[string]string) []float64 {
		e := mustNew(t, name, opts)
		rng := rand.New(rand.NewPCG(7, 8))
		g := make([]float64, 2)
		var s, s2 [2]float64
		for range reps {
			if _, err := e.Estimate(g, p, f, n, rng); err != nil {
				t.Fatal(err)
			}
			for j := range 2 {
				s[j] += g[j]
				s2[j] += g[j] * g[j]
			}
		}
		v := make([]float64, 2)
		for j := range v {
			m := s[j] / reps
			v[j] = s2[j]/reps - m*m
		}
		return v
	}
	score := variance("score", nil)
	for _, base := range []string{"score", "pathwise"} {
		d := variance("delta", map[string]string{"base": base})
		for j := range d {
			if d[j] > 0.01*score[j] {
				t.Errorf("delta base=%s: component %d variance %g, score %g: want < 1%%", base, j, d[j], score[j])
			}
		}
		t.Logf("base=%s: variance %v, score %v", base, d, score)
	}
}

// TestOptionErrors checks that bad options are clear errors.
func TestOptionErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]string
		want string
	}{
		{"score+ma", map[string]string{"decay": "1"}, "decay"},
		{"score+ma", map[string]string{"decay": "x"}, "decay"},
		{"score+optimal", map[string]string{"decay": "0"}, "decay"},
		{"delta", map[string]string{"base": "relax"}, "base"},
		{"delta", map[string]string{"decay": "2"}, "decay"},
		{"mvd", map[string]string{"coupled": "maybe"}, "coupled"},
		{"score+const", map[string]string{"b": "NaN"}, "b"},
		{"score+loo", map[string]string{"decay": "0.5"}, "unknown option"},
	} {
		_, err := estimators.New(c.name, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%s, %v): error %v, want one mentioning %q", c.name, c.opts, err, c.want)
		}
	}
}
