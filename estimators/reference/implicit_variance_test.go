package reference

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// TestImplicitPerSampleVarianceNormal checks ImplicitPerSampleVariance on
// the Normal family, whose noise Φ⁻¹(u) makes it applicable, against
// PerSampleVariance's independent quadrature in x, to 10⁻⁶ relative.
func TestImplicitPerSampleVarianceNormal(t *testing.T) {
	t.Parallel()
	p := dist.Normal{Mu: 1, Sigma: 1.5}
	for _, f := range []objective.Objective{objective.Quadratic{K: -0.5}, objective.Cos{K: 2}} {
		for _, est := range []string{"pathwise", "score", "score+optimal"} {
			got, err := ImplicitPerSampleVariance(est, p, f)
			if err != nil {
				t.Fatalf("%s, %s: %v", est, f.Name(), err)
			}
			vmu, vsigma, err := PerSampleVariance(est, p, f, true)
			if err != nil {
				t.Fatal(err)
			}
			for j, want := range []float64{vmu, vsigma} {
				if math.Abs(got[j]-want) > 1e-6*want {
					t.Errorf("%s, %s, component %d: %v, PerSampleVariance %v", est, f.Name(), j, got[j], want)
				}
			}
		}
	}
}

// TestImplicitPerSampleVarianceMC checks it on the Gamma and the Beta
// against the sample variance of 2·10⁵ one-sample estimates by the same
// formulas: within 5 standard errors of a sample variance, var·√((κ − 1)/R)
// with κ the sample kurtosis (a false alarm with probability below 10⁻⁵
// per comparison under normality of the variance estimate; fixed seed, so
// deterministic). The estimates use the families' own Rand and the
// implicit PathVJP, so the check covers the substitution and the tails.
func TestImplicitPerSampleVarianceMC(t *testing.T) {
	t.Parallel()
	const R = 200000
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range []struct {
		p dist.Distribution
		f objective.Objective
	}{
		{dist.Gamma{Alpha: 0.7, Beta: 1}, objective.Quadratic{K: 1}},
		{dist.Gamma{Alpha: 5, Beta: 2}, objective.Quadratic{K: 1}},
		{dist.Beta{Alpha: 0.5, Beta: 2}, objective.Quadratic{K: 0.5}},
		{dist.Beta{Alpha: 3, Beta: 2}, objective.Quadratic{K: 0.5}},
	} {
		for _, est := range []string{"pathwise", "score"} {
			exact, err := ImplicitPerSampleVariance(est, c.p, c.f)
			if err != nil {
				t.Fatalf("%s %s: %v", c.p.Name(), est, err)
			}
			rp := c.p.(dist.Reparameterized)
			P := c.p.NumParams()
			eps, x, gx, g := make([]float64, 1), make([]float64, 1), make([]float64, 1), make([]float64, P)
			var m1, m2, m4 = make([]float64, P), make([]float64, P), make([]float64, P)
			vals := make([][]float64, P)
			for range R {
				rp.Noise(eps, rng)
				rp.Transform(x, eps)
				clear(g)
				if est == "pathwise" {
					c.f.(objective.Differentiable).Grad(gx, x)
					rp.PathVJP(g, eps, gx)
				} else {
					fx := c.f.Value(x)
					c.p.Score(g, x)
					for j := range g {
						g[j] *= fx
					}
				}
				for j := range g {
					vals[j] = append(vals[j], g[j])
					m1[j] += g[j] / R
				}
			}
			for j := range P {
				for _, v := range vals[j] {
					d := v - m1[j]
					m2[j] += d * d / R
					m4[j] += d * d * d * d / R
				}
				kurt := m4[j] / (m2[j] * m2[j])
				se := m2[j] * math.Sqrt((kurt-1)/R)
				if math.Abs(m2[j]-exact[j]) > 5*se {
					t.Errorf("%s(%v) %s, component %d: exact %v, sample variance %v ± %v", c.p.Name(), c.p.Params(nil), est, j, exact[j], m2[j], se)
				}
			}
		}
	}
}
