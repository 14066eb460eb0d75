package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Gamma is the gamma distribution with shape Alpha and rate Beta, density
// β^α x^{α−1} exp(−βx)/Γ(α) for x > 0, with parameters θ = (alpha, beta).
//
// It is reparameterized implicitly (see gamma_implicit.go: x = F⁻¹(u; θ),
// ∇θ x = −∇θ F(x; θ)/p(x; θ)), so the pathwise estimator applies. Rand
// uses the method of Marsaglia and Tsang (2000), in log space for α < 1;
// for very small α a draw can still underflow to 0.
type Gamma struct {
	Alpha float64
	Beta  float64
}

var gammaParams = []string{"alpha", "beta"}

// NewGamma returns the gamma distribution with shape alpha and rate beta, or
// an error if either is not finite and positive.
func NewGamma(alpha, beta float64) (Gamma, error) {
	g := Gamma{Alpha: alpha, Beta: beta}
	return g, g.Validate()
}

// Validate returns an error if the parameters are invalid.
func (g Gamma) Validate() error {
	if err := checkPositive("gamma", "alpha", g.Alpha); err != nil {
		return err
	}
	return checkPositive("gamma", "beta", g.Beta)
}

// Name returns "gamma".
func (Gamma) Name() string { return "gamma" }

// Dim returns 1.
func (Gamma) Dim() int { return 1 }

// NumParams returns 2.
func (Gamma) NumParams() int { return 2 }

// ParamNames returns ["alpha", "beta"].
func (Gamma) ParamNames() []string { return gammaParams }

// Params writes (alpha, beta) into dst and returns it.
func (g Gamma) Params(dst []float64) []float64 {
	dst = useDst("Gamma.Params", dst, 2)
	dst[0], dst[1] = g.Alpha, g.Beta
	return dst
}

// WithParams returns the gamma distribution with θ = theta.
func (Gamma) WithParams(theta []float64) (Distribution, error) {
	checkLen("Gamma.WithParams", theta, 2)
	m, err := NewGamma(theta[0], theta[1])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ Gamma(Alpha, Beta).
func (g Gamma) Rand(x []float64, rng *rand.Rand) {
	x[0] = math.Exp(logGammaRand(g.Alpha, rng)) / g.Beta
}

// LogProb returns α log β − log Γ(α) + (α − 1) log x − βx for x > 0 (x = 0
// is allowed when α ≥ 1), −Inf otherwise.
func (g Gamma) LogProb(x []float64) float64 {
	v := x[0]
	switch {
	case v < 0 || math.IsNaN(v):
		return math.Inf(-1)
	case v == 0:
		switch {
		case g.Alpha == 1:
			return math.Log(g.Beta)
		case g.Alpha > 1:
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	lg, _ := math.Lgamma(g.Alpha)
	return g.Alpha*math.Log(g.Beta) - lg + (g.Alpha-1)*math.Log(v) - g.Beta*v
}

// Score writes (log β − ψ(α) + log x, α/β − x) into dst.
func (g Gamma) Score(dst, x []float64) {
	dst[0] = math.Log(g.Beta) - mathext.Digamma(g.Alpha) + math.Log(x[0])
	dst[1] = g.Alpha/g.Beta - x[0]
}

// Mean writes α/β.
func (g Gamma) Mean(dst []float64) { dst[0] = g.Alpha / g.Beta }

// Variance writes α/β².
func (g Gamma) Variance(dst []float64) { dst[0] = g.Alpha / (g.Beta * g.Beta) }

// MomentsVJP adds a ∂E/∂θ + b ∂Var/∂θ to dst: ∂E = (1/β, −α/β²),
// ∂Var = (1/β², −2α/β³).
func (g Gamma) MomentsVJP(dst, a, b []float64) {
	b2 := g.Beta * g.Beta
	dst[0] += a[0]/g.Beta + b[0]/b2
	dst[1] += -a[0]*g.Alpha/b2 - 2*b[0]*g.Alpha/(b2*g.Beta)
}

// Quantile returns the p-quantile. It panics if p is outside [0, 1].
//
// Where distuv's inversion returns 0 for p > 0 (it does for small p and
// shapes), Quantile starts instead from the leading term of the series
// P(α, z) ≈ z^α/Γ(α+1) and refines it by Newton steps on log CDF.
func (g Gamma) Quantile(p float64) float64 {
	u := distuv.Gamma{Alpha: g.Alpha, Beta: g.Beta}
	x := u.Quantile(p)
	if x > 0 || !(p > 0) {
		return x
	}
	lg1, _ := math.Lgamma(g.Alpha + 1)
	x = math.Exp((math.Log(p)+lg1)/g.Alpha) / g.Beta
	if x == 0 {
		return 0
	}
	lp := math.Log(p)
	for range 4 {
		c := u.CDF(x)
		if !(c > 0) {
			break
		}
		// d log CDF/dx = pdf/CDF; Newton on log CDF(x) = log p.
		step := (math.Log(c) - lp) * c / math.Exp(u.LogProb(x))
		if nx := x - step; nx > 0 {
			x = nx
		} else {
			x /= 2
		}
	}
	return x
}

// CDF returns P(x' ≤ x).
func (g Gamma) CDF(x float64) float64 { return distuv.Gamma{Alpha: g.Alpha, Beta: g.Beta}.CDF(x) }

func init() {
	Register(Family{
		Name: "gamma",
		Doc:  "Gamma(alpha shape, beta rate); reparameterized (implicitly: −∇θF/p), moments, quantile",
		Params: []Param{
			{Name: "alpha", Default: 1, Doc: "shape α, > 0"},
			{Name: "beta", Default: 1, Doc: "rate β (mean α/β), > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewGamma(p["alpha"], p["beta"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
