package reference

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"gonum.org/v1/gonum/floats/scalar"
)

// quadraticVariances returns the closed-form per-sample variances (∂μ, ∂σ)
// for f = (x − k)² under N(μ, σ²), a = μ − k, derived from the moments
// E z^{2m} = 1, 3, 15, 105 (normal), E w = √(π/2), E w² = 2, E w³ = 3√(π/2),
// E w⁴ = 8 (Rayleigh), E m² = 3, E m⁴ = 15 (Maxwell).
func quadraticVariances(est string, coupled bool, mu, sigma, k float64) (vmu, vsigma float64) {
	a, s2 := mu-k, sigma*sigma
	a2 := a * a
	switch est {
	case "score":
		return (a2*a2+18*a2*s2+15*s2*s2)/s2 - 4*a2, (2*a2*a2+60*a2*s2+78*s2*s2)/s2 - 4*s2
	case "score+optimal":
		return 8*a2 + 6*s2, 40*a2 + 24*s2
	case "pathwise":
		return 4 * s2, 4*a2 + 8*s2
	case "mvd":
		if coupled {
			return 4 * a2 * (4/math.Pi - 1), 4*a2 + 4*s2
		}
		// Var (a ± σw)² over Rayleigh w.
		r1, r3 := math.Sqrt(math.Pi/2), 3*math.Sqrt(math.Pi/2)
		varRay := func(b float64) float64 { // b = ±a
			m2 := b*b + 2*b*sigma*r1 + 2*s2
			m4 := b*b*b*b + 4*b*b*b*sigma*r1 + 12*b*b*s2 + 4*b*sigma*s2*r3 + 8*s2*s2
			return m4 - m2*m2
		}
		c2 := 1 / (2 * math.Pi * s2)
		return c2 * (varRay(a) + varRay(-a)), 16*a2 + 8*s2
	}
	panic("unknown estimator " + est)
}

func TestPerSampleVarianceQuadraticClosed(t *testing.T) {
	for _, k := range []float64{-3, -1, 0, 0.5, 3} {
		f := objective.Quadratic{K: k}
		for _, mu := range []float64{-1, 0, 1, 2} {
			for _, sigma := range []float64{0.5, 1, 2} {
				p := dist.Normal{Mu: mu, Sigma: sigma}
				for _, est := range PerSampleEstimators {
					for _, coupled := range []bool{false, true} {
						gm, gs, err := PerSampleVariance(est, p, f, coupled)
						if err != nil {
							t.Fatal(err)
						}
						wm, ws := quadraticVariances(est, coupled, mu, sigma, k)
						if !scalar.EqualWithinAbsOrRel(gm, wm, 1e-10, 1e-9) || !scalar.EqualWithinAbsOrRel(gs, ws, 1e-10, 1e-9) {
							t.Errorf("%s (coupled %v), k=%v, N(%v, %v²): (%.12g, %.12g), closed form (%.12g, %.12g)",
								est, coupled, k, mu, sigma, gm, gs, wm, ws)
						}
					}
				}
			}
		}
	}
}

func TestPerSampleVarianceConstant(t *testing.T) {
	// f = c: the score function's variance is c² E[s_j²] = (c²/σ², 2c²/σ²);
	// every other estimator is exactly 0.
	const c = 100
	p := dist.Normal{Mu: 0.5, Sigma: 2}
	f := objective.Constant{C: c}
	for _, est := range PerSampleEstimators {
		for _, coupled := range []bool{false, true} {
			vm, vs, err := PerSampleVariance(est, p, f, coupled)
			if err != nil {
				t.Fatal(err)
			}
			wm, ws := 0.0, 0.0
			if est == "score" {
				wm, ws = c*c/(p.Sigma*p.Sigma), 2*c*c/(p.Sigma*p.Sigma)
			}
			if !scalar.EqualWithinAbsOrRel(vm, wm, 1e-8, 1e-10) || !scalar.EqualWithinAbsOrRel(vs, ws, 1e-8, 1e-10) {
				t.Errorf("%s (coupled %v): (%v, %v), want (%v, %v)", est, coupled, vm, vs, wm, ws)
			}
		}
	}
}

// sampleVariance accumulates the variance of a stream and its standard
// error, using moments about a fixed shift (the exact mean) to avoid
// cancellation.
type sampleVariance struct {
	shift          float64
	n              int
	s1, s2, s3, s4 float64
}

func (a *sampleVariance) add(x float64) {
	d := x - a.shift
	d2 := d * d
	a.n++
	a.s1 += d
	a.s2 += d2
	a.s3 += d2 * d
	a.s4 += d2 * d2
}

// result returns the sample variance and its standard error
// √((m₄ − s⁴)/n), m₄ being the sample fourth central moment.
func (a *sampleVariance) result() (v, se float64) {
	n := float64(a.n)
	m1, m2, m3, m4 := a.s1/n, a.s2/n, a.s3/n, a.s4/n
	c2 := m2 - m1*m1
	c4 := m4 - 4*m1*m3 + 6*m1*m1*m2 - 3*m1*m1*m1*m1
	return c2 * n / (n - 1), math.Sqrt((c4 - c2*c2) / n)
}

// TestPerSampleVarianceMonteCarlo compares the quadrature variances with
// sample variances of 10⁶ one-sample estimates drawn with dist.Normal's own
// Score, PathVJP and MVDSample. Each comparison allows 4 standard errors of
// the sample variance (from the sample fourth moment): with approximately
// normal errors a correct implementation fails one comparison with
// probability about 6e-5, about 2.4e-3 for the 38 comparisons here; the seeds
// are fixed, so the outcome is deterministic.
func TestPerSampleVarianceMonteCarlo(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo check skipped in short mode")
	}
	const n = 1_000_000
	cases := []struct {
		f         objective.Objective
		mu, sigma float64
	}{
		{objective.Quadratic{K: 0.5}, 1, 0.5},
		{objective.Cos{K: 3}, 0.2, 1},
		{objective.Gaussian{K: 2}, 1, 1},
		{objective.Step{K: 0.3}, 0, 1},
	}
	for ci, c := range cases {
		p := dist.Normal{Mu: c.mu, Sigma: c.sigma}
		ref, err := Gradient(p, c.f, MethodClosed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		g := ref.Grad
		for _, est := range []string{"score", "score+optimal", "pathwise", "mvd", "mvd coupled"} {
			coupled := est == "mvd coupled"
			name := est
			if coupled {
				name = "mvd"
			}
			df, isDiff := c.f.(objective.Differentiable)
			if name == "pathwise" && !isDiff {
				continue
			}
			vm, vs, err := PerSampleVariance(name, p, c.f, coupled)
			if err != nil {
				t.Fatal(err)
			}
			var bm, bs float64
			if name == "score+optimal" {
				bm, bs = optimalBaselines(t, p, c.f)
			}
			rng := rand.New(rand.NewPCG(uint64(ci), 77))
			acc := [2]sampleVariance{{shift: g[0]}, {shift: g[1]}}
			x, x2, s, d := make([]float64, 1), make([]float64, 1), make([]float64, 2), make([]float64, 1)
			for range n {
				switch name {
				case "score", "score+optimal":
					p.Rand(x, rng)
					fx := c.f.Value(x)
					p.Score(s, x)
					acc[0].add((fx - bm) * s[0])
					acc[1].add((fx - bs) * s[1])
				case "pathwise":
					p.Noise(x2, rng)
					p.Transform(x, x2)
					df.Grad(d, x)
					clear(s)
					p.PathVJP(s, x2, d)
					acc[0].add(s[0])
					acc[1].add(s[1])
				case "mvd":
					for j := range 2 {
						cj := p.MVDSample(x, x2, j, coupled, rng)
						acc[j].add(cj * (c.f.Value(x) - c.f.Value(x2)))
					}
				}
			}
			for j, want := range []float64{vm, vs} {
				got, se := acc[j].result()
				t.Logf("%s %s %d: %.2f SE (%.4g)", est, c.f.Name(), j, (got-want)/se, want)
				if math.Abs(got-want) > 4*se {
					t.Errorf("%s, %s at N(%v, %v²), component %d: quadrature %.6g, Monte Carlo %.6g ± %.2g (%.1f SE)",
						est, c.f.Name(), c.mu, c.sigma, j, want, got, se, (got-want)/se)
				}
			}
		}
	}
}

// optimalBaselines returns b_j = E[f s_j²]/E[s_j²] by quadrature for the
// Monte Carlo check, independently of PerSampleVariance's internals.
func optimalBaselines(t *testing.T, p dist.Normal, f objective.Objective) (bm, bs float64) {
	t.Helper()
	x := make([]float64, 1)
	val, _, _, err := adaptive(2, func(o []float64, z float64) {
		x[0] = p.Mu + p.Sigma*z
		fz := f.Value(x) * phi(z)
		o[0], o[1] = fz*z*z, fz*(z*z-1)*(z*z-1)
	}, func(n int) []float64 {
		return uniformEdges(-stdRange, stdRange, n, []float64{(0.3 - p.Mu) / p.Sigma})
	}, 1e-12, 0)
	if err != nil {
		t.Fatal(err)
	}
	return val[0], val[1] / 2
}

func TestPerSampleVarianceErrors(t *testing.T) {
	p := dist.Normal{Mu: 0, Sigma: 1}
	if _, _, err := PerSampleVariance("nope", p, objective.Quadratic{}, false); err == nil {
		t.Error("unknown estimator: no error")
	}
	if _, _, err := PerSampleVariance("pathwise", p, objective.Step{}, false); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("pathwise on step: error %v, want ErrNotApplicable", err)
	}
	if _, _, err := PerSampleVariance("score", dist.Normal{Mu: 0, Sigma: -1}, objective.Quadratic{}, false); err == nil {
		t.Error("sigma = -1: no error")
	}
	if _, _, err := PerSampleVariance("score", p, nanObjective{}, false); err == nil {
		t.Error("NaN objective: no error")
	}
}

// nanObjective returns NaN for x > 1.
type nanObjective struct{}

func (nanObjective) Name() string { return "nan" }
func (nanObjective) Value(x []float64) float64 {
	if x[0] > 1 {
		return math.NaN()
	}
	return x[0]
}
