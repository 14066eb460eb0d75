package dist

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPartialMVD checks the measure-valued derivatives of the Gamma rate
// and the Weibull scale: the mean of c (f(x⁺) − f(x⁻)) over 2·10⁵ pairs
// lies within 4 standard errors of the exact derivative of E f for f = x,
// x² and e^{−x} (closed forms), coupled and uncoupled (a false alarm with
// probability about 6·10⁻⁵ per comparison, 24 comparisons; fixed seeds, so
// the test is deterministic); coupling lowers the variance for f = x,
// where the coupled pair differs by a single exponential; the shapes have
// none, and asking for one panics.
func TestPartialMVD(t *testing.T) {
	t.Parallel()
	const R = 200000
	g := Gamma{Alpha: 1.7, Beta: 2.5}
	w := Weibull{K: 1.8, Lambda: 1.3}
	a, b := g.Alpha, g.Beta
	k, l := w.K, w.Lambda
	cases := []struct {
		name  string
		p     PartialMeasureValued
		f     func(float64) float64
		exact float64
	}{
		{"gamma/x", g, func(x float64) float64 { return x }, -a / (b * b)},
		{"gamma/x²", g, func(x float64) float64 { return x * x }, -2 * a * (a + 1) / (b * b * b)},
		{"gamma/exp(−x)", g, func(x float64) float64 { return math.Exp(-x) }, a * math.Pow(b/(b+1), a-1) / ((b + 1) * (b + 1))},
		{"weibull/x", w, func(x float64) float64 { return x }, math.Gamma(1 + 1/k)},
		{"weibull/x²", w, func(x float64) float64 { return x * x }, 2 * l * math.Gamma(1+2/k)},
		// E e^{−x} = ∫ e^{−λ e^{1/k}} e^{−e} de: its λ-derivative by
		// central differences of the same quadrature below.
		{"weibull/exp(−x)", w, func(x float64) float64 { return math.Exp(-x) }, math.NaN()},
	}
	for _, c := range cases {
		if math.IsNaN(c.exact) {
			c.exact = (weibullExpNeg(k, l+1e-5) - weibullExpNeg(k, l-1e-5)) / 2e-5
		}
		var vars [2]float64
		for i, coupled := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(21, uint64(i)))
			xp, xm := make([]float64, 1), make([]float64, 1)
			var s1, s2 float64
			for range R {
				cj := c.p.MVDSample(xp, xm, 1, coupled, rng)
				v := cj * (c.f(xp[0]) - c.f(xm[0]))
				s1, s2 = s1+v, s2+v*v
			}
			mean := s1 / R
			vars[i] = s2/R - mean*mean
			if se := math.Sqrt(vars[i] / R); math.Abs(mean-c.exact) > 4*se {
				t.Errorf("%s coupled=%v: mean %v, exact %v (SE %v)", c.name, coupled, mean, c.exact, se)
			}
		}
		if c.name == "gamma/x" || c.name == "weibull/x" {
			if !(vars[0] < vars[1]) {
				t.Errorf("%s: coupled variance %v not below uncoupled %v", c.name, vars[0], vars[1])
			}
		}
		if c.p.HasMVD(0) || !c.p.HasMVD(1) {
			t.Errorf("%s: HasMVD(0) = %v, HasMVD(1) = %v", c.name, c.p.HasMVD(0), c.p.HasMVD(1))
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MVDSample of the Gamma shape did not panic")
		}
	}()
	g.MVDSample(make([]float64, 1), make([]float64, 1), 0, true, rand.New(rand.NewPCG(1, 1)))
}

// weibullExpNeg returns E e^{−x} under Weibull(k, λ) = ∫₀^∞ e^{−λ e^{1/k}}
// e^{−e} de by the composite Simpson rule on [0, 60] (the tail beyond is
// below e^{−60}), 60 000 panels: error far below the test's 10⁻³ standard
// errors.
func weibullExpNeg(k, l float64) float64 {
	const n, hi = 60000, 60.0
	h := hi / n
	f := func(e float64) float64 { return math.Exp(-l*math.Pow(e, 1/k) - e) }
	s := f(0) + f(hi)
	for i := 1; i < n; i++ {
		s += float64(2+2*(i%2)) * f(float64(i)*h)
	}
	return s * h / 3
}
