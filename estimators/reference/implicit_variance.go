package reference

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// deRange is the half-width of the t interval of ImplicitPerSampleVariance:
// at |t| = 3.2 the double-exponential substitution is within 10⁻¹⁶ of the
// ends of (0, 1), where u rounds to 0 or 1.
const deRange = 3.2

// implicitTol is the relative tolerance of ImplicitPerSampleVariance: the
// integrands' singularities at the ends, which the substitution tames but
// does not remove, keep DefaultTol out of reach for small shapes.
const implicitTol = 1e-8

// ImplicitPerSampleVariance returns the exact variance of one-sample
// estimates of each component of ∇θ E_p[f], in the order of
// p.ParamNames(), by the named estimator ("score", "score+optimal" or
// "pathwise", as PerSampleVariance defines them), for a one-dimensional
// family whose noise is a function of uniforms (dist.UniformNoise: the
// Gamma and the Beta through implicit reparameterization, the Exponential,
// Weibull, Laplace, …). The sample is x = g(θ, ε(u)) with u uniform on (0,
// 1), and the moments are integrals over u, computed by adaptive
// Gauss–Legendre quadrature after the double-exponential substitution u =
// (1 + tanh(π/2 · sinh t))/2, which absorbs the integrands' growth at the
// ends (relative tolerance implicitTol), in two passes (means, then
// centred second moments). It returns an error wrapping ErrNotApplicable
// for a family that is not such a family or an estimator it does not know,
// and an error if the quadrature does not converge.
func ImplicitPerSampleVariance(estimator string, p dist.Distribution, f objective.Objective) ([]float64, error) {
	un, ok := p.(dist.UniformNoise)
	df, diff := f.(objective.Differentiable)
	switch {
	case !ok || p.Dim() != 1:
		return nil, fmt.Errorf("reference: per-sample variance: %w: family %s is not a one-dimensional family whose noise is a function of uniforms", ErrNotApplicable, p.Name())
	case estimator == "pathwise" && !diff:
		return nil, fmt.Errorf("reference: per-sample variance: %w: objective %s is not differentiable", ErrNotApplicable, f.Name())
	case estimator != "pathwise" && estimator != "score" && estimator != "score+optimal":
		return nil, fmt.Errorf("reference: per-sample variance: %w: estimator %s (known here: score, score+optimal, pathwise)", ErrNotApplicable, estimator)
	}
	P := p.NumParams()
	u, eps, x, gx, g, s := make([]float64, 1), make([]float64, 1), make([]float64, 1), make([]float64, 1), make([]float64, P), make([]float64, P)
	// sample sets g to the estimator's one-sample estimate at the uniform
	// behind t (its baseline b subtracted from f, for score), and returns
	// du/dt, or 0 where u rounds to an end.
	sample := func(t float64, b []float64) float64 {
		sh := math.Pi / 2 * math.Sinh(t)
		u[0] = (1 + math.Tanh(sh)) / 2
		if !(u[0] > 0 && u[0] < 1) {
			return 0
		}
		un.NoiseFromUniform(eps, u)
		un.Transform(x, eps)
		if estimator == "pathwise" {
			df.Grad(gx, x)
			clear(g)
			un.PathVJP(g, eps, gx)
		} else {
			fx := f.Value(x)
			p.Score(s, x)
			for j := range g {
				g[j] = (fx - b[j]) * s[j]
			}
		}
		c := math.Cosh(sh)
		return math.Pi / 4 * math.Cosh(t) / (c * c)
	}
	integrate := func(k int, h integrand) ([]float64, error) {
		val, _, _, err := adaptive(k, h, func(n int) []float64 { return uniformEdges(-deRange, deRange, n, nil) }, implicitTol, 0)
		return val, err
	}
	b := make([]float64, P)
	if estimator == "score+optimal" {
		// b_j = E[f s_j²]/E[s_j²], from estimates with b = 0.
		m, err := integrate(2*P, func(o []float64, t float64) {
			w := sample(t, b)
			for j := range P {
				o[j], o[P+j] = w*g[j]*s[j], w*s[j]*s[j]
			}
		})
		if err != nil {
			return nil, fmt.Errorf("reference: per-sample variance of %s under %s: %w", estimator, p.Name(), err)
		}
		for j := range b {
			b[j] = m[j] / m[P+j]
		}
	}
	mean, err := integrate(P, func(o []float64, t float64) {
		w := sample(t, b)
		for j := range P {
			o[j] = w * g[j]
		}
	})
	if err == nil {
		var v []float64
		v, err = integrate(P, func(o []float64, t float64) {
			w := sample(t, b)
			for j := range P {
				d := g[j] - mean[j]
				o[j] = w * d * d
			}
		})
		if err == nil {
			return v, nil
		}
	}
	return nil, fmt.Errorf("reference: per-sample variance of %s for %s under %s: %w", estimator, f.Name(), p.Name(), err)
}
