package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
)

// Weibull is the Weibull distribution with shape K and scale Lambda, density
// (k/λ)(x/λ)^{k−1} exp(−(x/λ)^k) for x ≥ 0, with parameters θ = (k, lambda).
//
// It is reparameterized by x = Lambda ε^{1/K} with ε ~ Exp(1), so that ∂x/∂k
// is defined. Its moments involve Γ(1 + 1/k) and Γ(1 + 2/k), which overflow
// for k below about 0.012.
type Weibull struct {
	K      float64
	Lambda float64
}

var weibullParams = []string{"k", "lambda"}

// NewWeibull returns the Weibull distribution with shape k and scale lambda,
// or an error if either is not finite and positive.
func NewWeibull(k, lambda float64) (Weibull, error) {
	w := Weibull{K: k, Lambda: lambda}
	return w, w.Validate()
}

// Validate returns an error if the parameters are invalid.
func (w Weibull) Validate() error {
	if err := checkPositive("weibull", "k", w.K); err != nil {
		return err
	}
	return checkPositive("weibull", "lambda", w.Lambda)
}

// Name returns "weibull".
func (Weibull) Name() string { return "weibull" }

// Dim returns 1.
func (Weibull) Dim() int { return 1 }

// NumParams returns 2.
func (Weibull) NumParams() int { return 2 }

// ParamNames returns ["k", "lambda"].
func (Weibull) ParamNames() []string { return weibullParams }

// Params writes (k, lambda) into dst and returns it.
func (w Weibull) Params(dst []float64) []float64 {
	dst = useDst("Weibull.Params", dst, 2)
	dst[0], dst[1] = w.K, w.Lambda
	return dst
}

// WithParams returns the Weibull distribution with θ = theta.
func (Weibull) WithParams(theta []float64) (Distribution, error) {
	checkLen("Weibull.WithParams", theta, 2)
	m, err := NewWeibull(theta[0], theta[1])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x = λ ε^{1/k}, ε ~ Exp(1).
func (w Weibull) Rand(x []float64, rng *rand.Rand) {
	x[0] = w.Lambda * math.Pow(rng.ExpFloat64(), 1/w.K)
}

// LogProb returns log(k/λ) + (k − 1) log(x/λ) − (x/λ)^k for x ≥ 0, −Inf for
// x < 0.
func (w Weibull) LogProb(x []float64) float64 {
	if !(x[0] >= 0) {
		return math.Inf(-1)
	}
	r := x[0] / w.Lambda
	return math.Log(w.K/w.Lambda) + (w.K-1)*math.Log(r) - math.Pow(r, w.K)
}

// Score writes (∂/∂k, ∂/∂λ) log p(x) into dst: with r = x/λ,
// ∂k = 1/k + (1 − r^k) log r and ∂λ = (k/λ)(r^k − 1).
func (w Weibull) Score(dst, x []float64) {
	r := x[0] / w.Lambda
	rk := math.Pow(r, w.K)
	dst[0] = 1/w.K + (1-rk)*math.Log(r)
	dst[1] = w.K / w.Lambda * (rk - 1)
}

// Noise draws ε ~ Exp(1).
func (Weibull) Noise(eps []float64, rng *rand.Rand) { eps[0] = rng.ExpFloat64() }

// Transform writes x = Lambda ε^{1/K}.
func (w Weibull) Transform(x, eps []float64) { x[0] = w.Lambda * math.Pow(eps[0], 1/w.K) }

// PathVJP adds v ∂x/∂θ to dst, with ∂x/∂k = −x log(ε)/k² (0 at ε = 0, its
// limit) and ∂x/∂λ = ε^{1/k}.
func (w Weibull) PathVJP(dst, eps, v []float64) {
	e := eps[0]
	if e == 0 {
		return
	}
	p := math.Pow(e, 1/w.K)
	dst[0] -= v[0] * w.Lambda * p * math.Log(e) / (w.K * w.K)
	dst[1] += v[0] * p
}

// Mean writes λ Γ(1 + 1/k).
func (w Weibull) Mean(dst []float64) { dst[0] = w.Lambda * math.Gamma(1+1/w.K) }

// Variance writes λ² (Γ(1 + 2/k) − Γ(1 + 1/k)²).
func (w Weibull) Variance(dst []float64) {
	g1 := math.Gamma(1 + 1/w.K)
	dst[0] = w.Lambda * w.Lambda * (math.Gamma(1+2/w.K) - g1*g1)
}

// MomentsVJP adds a ∂E/∂θ + b ∂Var/∂θ to dst, using
// ∂Γ(1 + c/k)/∂k = −(c/k²) Γ(1 + c/k) ψ(1 + c/k).
func (w Weibull) MomentsVJP(dst, a, b []float64) {
	k, l := w.K, w.Lambda
	g1, g2 := math.Gamma(1+1/k), math.Gamma(1+2/k)
	dg1 := -g1 * mathext.Digamma(1+1/k) / (k * k)
	dg2 := -2 * g2 * mathext.Digamma(1+2/k) / (k * k)
	dst[0] += a[0]*l*dg1 + b[0]*l*l*(dg2-2*g1*dg1)
	dst[1] += a[0]*g1 + b[0]*2*l*(g2-g1*g1)
}

// Quantile returns the p-quantile λ(−log(1 − p))^{1/k}, accurate for small
// p. It panics if p is outside [0, 1].
func (w Weibull) Quantile(p float64) float64 {
	checkProb("Weibull.Quantile", p)
	return w.Lambda * math.Pow(-math.Log1p(-p), 1/w.K)
}

// CDF returns P(x' ≤ x) = 1 − exp(−(x/λ)^k), accurate for small x.
func (w Weibull) CDF(x float64) float64 {
	if x <= 0 {
		return 0
	}
	return -math.Expm1(-math.Pow(x/w.Lambda, w.K))
}

func init() {
	Register(Family{
		Name: "weibull",
		Doc:  "Weibull(k shape, lambda scale); reparameterized, moments, quantile",
		Params: []Param{
			{Name: "k", Default: 1, Doc: "shape k, > 0"},
			{Name: "lambda", Default: 1, Doc: "scale λ, > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewWeibull(p["k"], p["lambda"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
