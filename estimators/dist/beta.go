package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Beta is the beta distribution on [0, 1] with shape parameters Alpha and
// Beta, density x^{α−1}(1 − x)^{β−1}/B(α, β), with parameters
// θ = (alpha, beta).
//
// It is reparameterized implicitly (see beta_implicit.go: x = F⁻¹(u; θ),
// ∇θ x = −∇θ F(x; θ)/p(x; θ)), so the pathwise estimator applies. Rand draws
// two gamma variables in log space and returns ga/(ga + gb) computed as a
// logistic function of their log ratio, so small shapes do not give 0/0.
type Beta struct {
	Alpha float64
	Beta  float64
}

var betaParams = []string{"alpha", "beta"}

// NewBeta returns the beta distribution with shapes alpha and beta, or an
// error if either is not finite and positive.
func NewBeta(alpha, beta float64) (Beta, error) {
	b := Beta{Alpha: alpha, Beta: beta}
	return b, b.Validate()
}

// Validate returns an error if the parameters are invalid.
func (b Beta) Validate() error {
	if err := checkPositive("beta", "alpha", b.Alpha); err != nil {
		return err
	}
	return checkPositive("beta", "beta", b.Beta)
}

// Name returns "beta".
func (Beta) Name() string { return "beta" }

// Dim returns 1.
func (Beta) Dim() int { return 1 }

// NumParams returns 2.
func (Beta) NumParams() int { return 2 }

// ParamNames returns ["alpha", "beta"].
func (Beta) ParamNames() []string { return betaParams }

// Params writes (alpha, beta) into dst and returns it.
func (b Beta) Params(dst []float64) []float64 {
	dst = useDst("Beta.Params", dst, 2)
	dst[0], dst[1] = b.Alpha, b.Beta
	return dst
}

// WithParams returns the beta distribution with θ = theta.
func (Beta) WithParams(theta []float64) (Distribution, error) {
	checkLen("Beta.WithParams", theta, 2)
	m, err := NewBeta(theta[0], theta[1])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ Beta(Alpha, Beta).
func (b Beta) Rand(x []float64, rng *rand.Rand) {
	la := logGammaRand(b.Alpha, rng)
	lb := logGammaRand(b.Beta, rng)
	x[0] = sigmoid(la - lb)
}

// LogProb returns (α − 1) log x + (β − 1) log(1 − x) − log B(α, β) for
// 0 ≤ x ≤ 1, −Inf otherwise.
func (b Beta) LogProb(x []float64) float64 {
	v := x[0]
	if !(v >= 0 && v <= 1) {
		return math.Inf(-1)
	}
	return xlogy(b.Alpha-1, v) + xlog1py(b.Beta-1, -v) - lbeta(b.Alpha, b.Beta)
}

// xlogy returns a log y, and 0 when a = 0 (whatever y).
func xlogy(a, y float64) float64 {
	if a == 0 {
		return 0
	}
	return a * math.Log(y)
}

// xlog1py returns a log(1 + y), and 0 when a = 0 (whatever y).
func xlog1py(a, y float64) float64 {
	if a == 0 {
		return 0
	}
	return a * math.Log1p(y)
}

// lbeta returns log B(a, b).
func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// Score writes (log x − ψ(α) + ψ(α+β), log(1 − x) − ψ(β) + ψ(α+β)) into dst.
func (b Beta) Score(dst, x []float64) {
	s := mathext.Digamma(b.Alpha + b.Beta)
	dst[0] = math.Log(x[0]) - mathext.Digamma(b.Alpha) + s
	dst[1] = math.Log1p(-x[0]) - mathext.Digamma(b.Beta) + s
}

// Mean writes α/(α + β).
func (b Beta) Mean(dst []float64) { dst[0] = b.Alpha / (b.Alpha + b.Beta) }

// Variance writes αβ/((α + β)²(α + β + 1)).
func (b Beta) Variance(dst []float64) {
	s := b.Alpha + b.Beta
	dst[0] = b.Alpha * b.Beta / (s * s * (s + 1))
}

// MomentsVJP adds a ∂E/∂θ + b ∂Var/∂θ to dst.
func (b Beta) MomentsVJP(dst, a, bv []float64) {
	al, be := b.Alpha, b.Beta
	s := al + be
	s2 := s * s
	// E = α/s: ∂α = β/s², ∂β = −α/s².
	// Var = αβ/(s²(s+1)) = V: ∂α log V = 1/α − 2/s − 1/(s+1), likewise for β.
	v := al * be / (s2 * (s + 1))
	common := 2/s + 1/(s+1)
	dst[0] += a[0]*be/s2 + bv[0]*v*(1/al-common)
	dst[1] += -a[0]*al/s2 + bv[0]*v*(1/be-common)
}

// Quantile returns the p-quantile. It panics if p is outside [0, 1].
func (b Beta) Quantile(p float64) float64 {
	return distuv.Beta{Alpha: b.Alpha, Beta: b.Beta}.Quantile(p)
}

// CDF returns P(x' ≤ x).
func (b Beta) CDF(x float64) float64 { return distuv.Beta{Alpha: b.Alpha, Beta: b.Beta}.CDF(x) }

func init() {
	Register(Family{
		Name: "beta",
		Doc:  "Beta(alpha, beta) on [0, 1]; reparameterized (implicitly: −∇θF/p), moments, quantile",
		Params: []Param{
			{Name: "alpha", Default: 1, Doc: "first shape α, > 0"},
			{Name: "beta", Default: 1, Doc: "second shape β, > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewBeta(p["alpha"], p["beta"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
