package dist

import (
	"math"
	"math/rand/v2"
)

// The measure-valued derivatives of the scale-like parameters of the Gamma
// and Weibull families (Mohamed et al. 2020, §6 and Table 1); their shapes
// have none in a simple form, so both are PartialMeasureValued.

// HasMVD reports true for the rate β (j = 1) only.
func (Gamma) HasMVD(j int) bool { return j == 1 }

// MVDSample draws the pair of the rate β (j = 1; it panics for the shape):
// ∂β log p = α/β − x, and (βx/α) p(x; α, β) is the Gamma(α + 1, β)
// density, so c = α/β, x⁺ ~ Gamma(α, β) (Rand's draw) and x⁻ ~ Gamma(α +
// 1, β). Coupled, x⁻ = x⁺ + E/β with E ~ Exp(1), as Gamma(α + 1) is the
// sum of independent Gamma(α) and Exp(1) variables; uncoupled, x⁻ is an
// independent draw.
func (g Gamma) MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64 {
	if j != 1 {
		panic("dist: gamma has a measure-valued derivative for its rate (j = 1) only")
	}
	g.Rand(xp, rng)
	if coupled {
		xm[0] = xp[0] + rng.ExpFloat64()/g.Beta
	} else {
		xm[0] = math.Exp(logGammaRand(g.Alpha+1, rng)) / g.Beta
	}
	return g.Alpha / g.Beta
}

// HasMVD reports true for the scale λ (j = 1) only.
func (Weibull) HasMVD(j int) bool { return j == 1 }

// MVDSample draws the pair of the scale λ (j = 1; it panics for the
// shape): with x = λE^{1/k}, E ~ Exp(1), ∂λ log p = (k/λ)(E − 1), and E
// e^{−E} is the Gamma(2, 1) density, so c = k/λ, x⁺ = λG^{1/k} with G ~
// Gamma(2, 1) and x⁻ = λE^{1/k} (Rand's draw). Coupled, G = E + E′ with E′
// ~ Exp(1) independent; uncoupled, G is the sum of two fresh exponentials.
func (w Weibull) MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64 {
	if j != 1 {
		panic("dist: weibull has a measure-valued derivative for its scale (j = 1) only")
	}
	e := rng.ExpFloat64()
	xm[0] = w.Lambda * math.Pow(e, 1/w.K)
	g := e + rng.ExpFloat64()
	if !coupled {
		g = rng.ExpFloat64() + rng.ExpFloat64()
	}
	xp[0] = w.Lambda * math.Pow(g, 1/w.K)
	return w.K / w.Lambda
}
