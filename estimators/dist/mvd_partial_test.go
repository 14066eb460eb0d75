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

// TestPartialMVDExact checks the decompositions themselves, with exact
// expectations instead of samples: c (E_{p⁺} x^m − E_{p⁻} x^m) equals
// ∂θ E x^m to 10⁻¹² relative for m = 0.5, 1, 2, 3, from the moments E x^m =
// Γ(α + m)/(Γ(α) β^m) of Gamma(α, β) (p⁺ = Gamma(α, β), p⁻ = Gamma(α + 1,
// β), ∂β E x^m = −m E x^m / β) and E x^m = λ^m Γ(1 + m/k) of Weibull(k,
// λ) (p⁺ = λG^{1/k}, G ~ Gamma(2, 1), whose moments are λ^m Γ(2 + m/k);
// p⁻ the family; ∂λ E x^m = m λ^{m−1} Γ(1 + m/k)).
func TestPartialMVDExact(t *testing.T) {
	t.Parallel()
	gm := func(a, b, m float64) float64 { // E x^m under Gamma(a, b)
		la, _ := math.Lgamma(a + m)
		lb, _ := math.Lgamma(a)
		return math.Exp(la-lb) / math.Pow(b, m)
	}
	for _, g := range []Gamma{{0.3, 2}, {1.7, 2.5}, {40, 0.5}} {
		for _, m := range []float64{0.5, 1, 2, 3} {
			c := g.Alpha / g.Beta
			got := c * (gm(g.Alpha, g.Beta, m) - gm(g.Alpha+1, g.Beta, m))
			want := -m * gm(g.Alpha, g.Beta, m) / g.Beta
			if math.Abs(got-want) > 1e-12*math.Abs(want) {
				t.Errorf("gamma(%v, %v), m = %v: c(E⁺ − E⁻) = %v, ∂β E x^m = %v", g.Alpha, g.Beta, m, got, want)
			}
		}
	}
	for _, w := range []Weibull{{0.7, 1.3}, {1.8, 1.3}, {5, 0.4}} {
		for _, m := range []float64{0.5, 1, 2, 3} {
			c := w.K / w.Lambda
			got := c * math.Pow(w.Lambda, m) * (math.Gamma(2+m/w.K) - math.Gamma(1+m/w.K))
			want := m * math.Pow(w.Lambda, m-1) * math.Gamma(1+m/w.K)
			if math.Abs(got-want) > 1e-12*math.Abs(want) {
				t.Errorf("weibull(%v, %v), m = %v: c(E⁺ − E⁻) = %v, ∂λ E x^m = %v", w.K, w.Lambda, m, got, want)
			}
		}
	}
}
