package dist

import (
	"math"
	"math/rand/v2"
)

// Exponential is the exponential distribution with rate Rate (mean 1/Rate),
// with parameter θ = (rate).
//
// It is reparameterized by x = ε/Rate with ε ~ Exp(1), and has the
// measure-valued derivative of Mohamed et al. (2020, Table 1): ∂/∂λ E[f] =
// (1/λ)(E_{Exp(λ)}[f] − E_{Gamma(2,λ)}[f]), c = 1/λ.
type Exponential struct {
	Rate float64
}

var exponentialParams = []string{"rate"}

// NewExponential returns the exponential distribution with the given rate, or
// an error if rate is not finite and positive.
func NewExponential(rate float64) (Exponential, error) {
	e := Exponential{Rate: rate}
	return e, e.Validate()
}

// Validate returns an error if the parameters are invalid.
func (e Exponential) Validate() error { return checkPositive("exponential", "rate", e.Rate) }

// Name returns "exponential".
func (Exponential) Name() string { return "exponential" }

// Dim returns 1.
func (Exponential) Dim() int { return 1 }

// NumParams returns 1.
func (Exponential) NumParams() int { return 1 }

// ParamNames returns ["rate"].
func (Exponential) ParamNames() []string { return exponentialParams }

// Params writes (rate) into dst and returns it.
func (e Exponential) Params(dst []float64) []float64 {
	dst = useDst("Exponential.Params", dst, 1)
	dst[0] = e.Rate
	return dst
}

// WithParams returns the exponential distribution with rate theta[0].
func (Exponential) WithParams(theta []float64) (Distribution, error) {
	checkLen("Exponential.WithParams", theta, 1)
	m, err := NewExponential(theta[0])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ Exp(Rate).
func (e Exponential) Rand(x []float64, rng *rand.Rand) { x[0] = rng.ExpFloat64() / e.Rate }

// LogProb returns log λ − λx for x ≥ 0, −Inf otherwise.
func (e Exponential) LogProb(x []float64) float64 {
	if !(x[0] >= 0) {
		return math.Inf(-1)
	}
	return math.Log(e.Rate) - e.Rate*x[0]
}

// Score writes ∂/∂λ log p(x) = 1/λ − x into dst.
func (e Exponential) Score(dst, x []float64) { dst[0] = 1/e.Rate - x[0] }

// Noise draws ε ~ Exp(1).
func (Exponential) Noise(eps []float64, rng *rand.Rand) { eps[0] = rng.ExpFloat64() }

// Transform writes x = ε/Rate.
func (e Exponential) Transform(x, eps []float64) { x[0] = eps[0] / e.Rate }

// PathVJP adds −v ε/λ² to dst: ∂x/∂λ = −ε/λ².
func (e Exponential) PathVJP(dst, eps, v []float64) {
	dst[0] -= v[0] * eps[0] / (e.Rate * e.Rate)
}

// MVDSample draws the positive and negative parts for parameter j (only 0,
// rate; it panics otherwise) and returns c = 1/λ. From ∂p/∂λ = (1/λ − x) p
// and λx·λe^{−λx} = λ²x e^{−λx}, the positive part is Exp(λ) itself and the
// negative part Gamma(2, λ). The positive part is ε₁/λ (the draw Rand would
// make); coupled, the negative part is (ε₁ + ε₂)/λ, Gamma(2, λ) as a sum of
// two exponentials sharing the first; uncoupled, it is (ε₂ + ε₃)/λ, all ε
// independent Exp(1).
func (e Exponential) MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64 {
	if j != 0 {
		panic("dist: exponential MVD parameter index out of range")
	}
	xp[0], xm[0] = exponentialMVD(e.Rate, coupled, rng)
	return 1 / e.Rate
}

// MVDSampleN draws the pairs of len(c) samples (see BatchMeasureValued).
func (e Exponential) MVDSampleN(xp, xm, c []float64, coupled bool, rng *rand.Rand) {
	cj := 1 / e.Rate
	for u := range c {
		xp[u], xm[u] = exponentialMVD(e.Rate, coupled, rng)
		c[u] = cj
	}
}

// exponentialMVD draws the pair (Exp(rate), Gamma(2, rate)) of the
// measure-valued derivative (see Exponential.MVDSample).
func exponentialMVD(rate float64, coupled bool, rng *rand.Rand) (xp, xm float64) {
	e1 := rng.ExpFloat64()
	if coupled {
		return e1 / rate, (e1 + rng.ExpFloat64()) / rate
	}
	e2 := rng.ExpFloat64()
	return e1 / rate, (e2 + rng.ExpFloat64()) / rate
}

// Mean writes 1/λ.
func (e Exponential) Mean(dst []float64) { dst[0] = 1 / e.Rate }

// Variance writes 1/λ².
func (e Exponential) Variance(dst []float64) { dst[0] = 1 / (e.Rate * e.Rate) }

// MomentsVJP adds −a/λ² − 2b/λ³ to dst.
func (e Exponential) MomentsVJP(dst, a, b []float64) {
	l2 := e.Rate * e.Rate
	dst[0] += -a[0]/l2 - 2*b[0]/(l2*e.Rate)
}

// Quantile returns the p-quantile −log(1 − p)/λ, accurate for small p. It
// panics if p is outside [0, 1].
func (e Exponential) Quantile(p float64) float64 {
	checkProb("Exponential.Quantile", p)
	return -math.Log1p(-p) / e.Rate
}

// CDF returns P(x' ≤ x) = 1 − exp(−λx), accurate for small x.
func (e Exponential) CDF(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return -math.Expm1(-e.Rate * x)
}

func init() {
	Register(Family{
		Name: "exponential",
		Doc:  "exponential with rate λ (mean 1/rate); reparameterized, measure-valued, moments, quantile",
		Params: []Param{
			{Name: "rate", Default: 1, Doc: "rate λ (mean 1/λ), > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewExponential(p["rate"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
