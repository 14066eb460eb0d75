package estimators_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
)

// TestBernoulliToyExactGradient pins the gradient of the REBAR toy problem,
// ∂/∂φ E_{b~Bern(σ(φ))}[(b − t)²] = θ(1 − θ)(1 − 2t) with θ = σ(φ), against
// the enumerated reference (a factor (1 − θ) is easy to lose).
func TestBernoulliToyExactGradient(t *testing.T) {
	for _, phi := range []float64{-2, 0, 0.7, 3} {
		for _, tt := range []float64{0.45, 0.499, 0.501} {
			p, _ := dist.NewBernoulli(phi)
			r, err := reference.Gradient(p, objective.Quadratic{K: tt}, reference.MethodEnumeration, reference.Options{})
			if err != nil {
				t.Fatal(err)
			}
			th := 1 / (1 + math.Exp(-phi))
			want := th * (1 - th) * (1 - 2*tt)
			if math.Abs(r.Grad[0]-want) > 1e-15 {
				t.Errorf("φ=%g t=%g: gradient %.17g, want θ(1−θ)(1−2t) = %.17g", phi, tt, r.Grad[0], want)
			}
			if v := th*(1-tt)*(1-tt) + (1-th)*tt*tt; math.Abs(r.Value-v) > 1e-15 {
				t.Errorf("φ=%g t=%g: E[f] = %v, want %v", phi, tt, r.Value, v)
			}
		}
	}
}

// sampleMoments returns the mean and variance of R single-sample (n)
// estimates of the first gradient component, and the standard error of the
// variance, sqrt((m4 − v²)/R).
func sampleMoments(t *testing.T, name string, opts map[string]string, p dist.Distribution, f objective.Objective, n, reps int, seed uint64) (mean []float64, v []float64, seV []float64) {
	t.Helper()
	e, err := estimators.New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	np := p.NumParams()
	rng := rand.New(rand.NewPCG(seed, 1))
	g := make([]float64, np)
	all := make([]float64, reps*np)
	for r := range reps {
		if _, err := e.Estimate(g, p, f, n, rng); err != nil {
			t.Fatal(err)
		}
		copy(all[r*np:], g)
	}
	mean, v, seV = make([]float64, np), make([]float64, np), make([]float64, np)
	for j := range np {
		for r := range reps {
			mean[j] += all[r*np+j]
		}
		mean[j] /= float64(reps)
		m4 := 0.0
		for r := range reps {
			d := all[r*np+j] - mean[j]
			v[j] += d * d
			m4 += d * d * d * d
		}
		v[j] /= float64(reps - 1)
		m4 /= float64(reps)
		seV[j] = math.Sqrt(max(m4-v[j]*v[j], 0) / float64(reps))
	}
	return mean, v, seV
}

// armVariance and disarmVariance are the exact single-sample variances of
// ARM and DisARM on E[(b − t)²], b ~ Bern(p): with Δ = 1 − 2t and
// q = max(p, 1 − p), E[g²_ARM] = (2/3)Δ²(1/8 − (q − ½)³) and
// E[g²_DisARM] = ½(1 − q)q²Δ², both with mean p(1 − p)Δ.
func armVariance(p, tt float64) float64 {
	d, q := 1-2*tt, max(p, 1-p)
	m := p * (1 - p) * d
	return 2*d*d*(0.125-math.Pow(q-0.5, 3))/3 - m*m
}

func disarmVariance(p, tt float64) float64 {
	d, q := 1-2*tt, max(p, 1-p)
	m := p * (1 - p) * d
	return 0.5*(1-q)*q*q*d*d - m*m
}

// TestDisARMBelowARM checks on E[(b − 0.49)²] that the exact variance of
// DisARM is at most that of ARM over a grid of θ, and that the measured
// variances of both (R = 20000, n = 1) agree with the exact ones within 4
// standard errors (false-alarm probability about 6e-5 per comparison under
// the normal approximation; fixed seeds).
func TestDisARMBelowARM(t *testing.T) {
	const tt, reps = 0.49, 20000
	f := objective.Quadratic{K: tt}
	for _, phi := range []float64{-4, -2, -1, -0.3, 0, 0.3, 1, 2, 4} {
		p, _ := dist.NewBernoulli(phi)
		th := p.Prob()
		va, vd := armVariance(th, tt), disarmVariance(th, tt)
		if vd > va*(1+1e-12) {
			t.Errorf("θ=%.3f: exact DisARM variance %.4g > ARM %.4g", th, vd, va)
		}
		for _, c := range []struct {
			name  string
			exact float64
		}{{"arm", va}, {"disarm", vd}} {
			_, v, se := sampleMoments(t, c.name, nil, p, f, 1, reps, uint64(1000*phi+7))
			if math.Abs(v[0]-c.exact) > 4*se[0]+1e-15 {
				t.Errorf("%s θ=%.3f: variance %.5g, exact %.5g (%.1f SE)", c.name, th, v[0], c.exact, (v[0]-c.exact)/se[0])
			}
		}
	}
}

// TestRelaxationBiasShrinks checks, on a categorical toy problem (one-hot,
// K = 10, E[Σ_k (k − 4.5)² x_k]), that the bias of gumbel-softmax at
// τ = 0.1 is smaller than at τ = 1: the Euclidean norms of the two biases,
// each ± 4 standard errors (a bound on the norm's error from the
// per-component standard errors), do not overlap. The st-gumbel biases are
// logged.
func TestRelaxationBiasShrinks(t *testing.T) {
	l := make([]float64, 10)
	for i := range l {
		l[i] = 0.3 * float64(i%4)
	}
	p, _ := dist.NewOneHot(l)
	f := objective.OneHotTable{C: 4.5}
	ref, err := reference.Gradient(p, f, reference.MethodEnumeration, reference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const reps = 40000
	bias := func(name string, tau string) (norm, se float64) {
		m, v, _ := sampleMoments(t, name, map[string]string{"tau": tau}, p, f, 1, reps, 11)
		var s2 float64
		for j := range m {
			d := m[j] - ref.Grad[j]
			norm += d * d
			s2 += v[j] / reps
		}
		return math.Sqrt(norm), math.Sqrt(s2)
	}
	b1, s1 := bias("gumbel-softmax", "1")
	b01, s01 := bias("gumbel-softmax", "0.1")
	t.Logf("gumbel-softmax |bias|: τ=1 %.4g ± %.2g, τ=0.1 %.4g ± %.2g (|∇| = %.4g)", b1, s1, b01, s01, math.Sqrt(dotT(ref.Grad, ref.Grad)))
	if b01+4*s01 >= b1-4*s1 {
		t.Errorf("gumbel-softmax: |bias| at τ=0.1 (%.4g ± %.2g) is not below τ=1 (%.4g ± %.2g)", b01, s01, b1, s1)
	}
	sb1, ss1 := bias("st-gumbel", "1")
	sb01, ss01 := bias("st-gumbel", "0.1")
	t.Logf("st-gumbel |bias|: τ=1 %.4g ± %.2g, τ=0.1 %.4g ± %.2g", sb1, ss1, sb01, ss01)
}

func dotT(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
