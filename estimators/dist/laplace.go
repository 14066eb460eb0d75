package dist

import (
	"math"
	"math/rand/v2"
)

// Laplace is the Laplace (double exponential) distribution with location Mu
// and scale Scale, density exp(−|x − μ|/b)/(2b), with parameters
// θ = (mu, scale).
//
// It is reparameterized by x = Mu + Scale ε with ε standard Laplace.
type Laplace struct {
	Mu    float64
	Scale float64
}

var laplaceParams = []string{"mu", "scale"}

// NewLaplace returns the Laplace distribution with location mu and scale
// scale, or an error if mu is not finite or scale is not finite and positive.
func NewLaplace(mu, scale float64) (Laplace, error) {
	l := Laplace{Mu: mu, Scale: scale}
	return l, l.Validate()
}

// Validate returns an error if the parameters are invalid.
func (l Laplace) Validate() error {
	if err := checkFinite("laplace", "mu", l.Mu); err != nil {
		return err
	}
	return checkPositive("laplace", "scale", l.Scale)
}

// Name returns "laplace".
func (Laplace) Name() string { return "laplace" }

// Dim returns 1.
func (Laplace) Dim() int { return 1 }

// NumParams returns 2.
func (Laplace) NumParams() int { return 2 }

// ParamNames returns ["mu", "scale"].
func (Laplace) ParamNames() []string { return laplaceParams }

// Params writes (mu, scale) into dst and returns it.
func (l Laplace) Params(dst []float64) []float64 {
	dst = useDst("Laplace.Params", dst, 2)
	dst[0], dst[1] = l.Mu, l.Scale
	return dst
}

// WithParams returns the Laplace distribution with θ = theta.
func (Laplace) WithParams(theta []float64) (Distribution, error) {
	checkLen("Laplace.WithParams", theta, 2)
	m, err := NewLaplace(theta[0], theta[1])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ Laplace(Mu, Scale).
func (l Laplace) Rand(x []float64, rng *rand.Rand) { x[0] = l.Mu + l.Scale*laplaceNoise(rng) }

// LogProb returns −log(2b) − |x − μ|/b.
func (l Laplace) LogProb(x []float64) float64 {
	return -math.Log(2*l.Scale) - math.Abs(x[0]-l.Mu)/l.Scale
}

// Score writes (sign(x − μ)/b, (|x − μ|/b − 1)/b) into dst. At x = μ, where
// the density is not differentiable in μ, the first component is 0.
func (l Laplace) Score(dst, x []float64) {
	d := x[0] - l.Mu
	switch {
	case d > 0:
		dst[0] = 1 / l.Scale
	case d < 0:
		dst[0] = -1 / l.Scale
	default:
		dst[0] = 0
	}
	dst[1] = (math.Abs(d)/l.Scale - 1) / l.Scale
}

// Noise draws standard Laplace noise ε.
func (Laplace) Noise(eps []float64, rng *rand.Rand) { eps[0] = laplaceNoise(rng) }

// Transform writes x = Mu + Scale ε.
func (l Laplace) Transform(x, eps []float64) { x[0] = l.Mu + l.Scale*eps[0] }

// PathVJP adds (v, v ε) to dst: ∂x/∂mu = 1, ∂x/∂scale = ε.
func (Laplace) PathVJP(dst, eps, v []float64) {
	dst[0] += v[0]
	dst[1] += v[0] * eps[0]
}

// Mean writes Mu.
func (l Laplace) Mean(dst []float64) { dst[0] = l.Mu }

// Variance writes 2 Scale².
func (l Laplace) Variance(dst []float64) { dst[0] = 2 * l.Scale * l.Scale }

// MomentsVJP adds (a, 4b·Scale) to dst.
func (l Laplace) MomentsVJP(dst, a, b []float64) {
	dst[0] += a[0]
	dst[1] += 4 * l.Scale * b[0]
}

// Quantile returns the p-quantile, accurate in both tails. It panics if p is
// outside [0, 1].
func (l Laplace) Quantile(p float64) float64 {
	checkProb("Laplace.Quantile", p)
	if p < 0.5 {
		return l.Mu + l.Scale*math.Log(2*p)
	}
	return l.Mu - l.Scale*math.Log(2*(1-p))
}

// CDF returns P(x' ≤ x).
func (l Laplace) CDF(x float64) float64 {
	z := (x - l.Mu) / l.Scale
	if z < 0 {
		return 0.5 * math.Exp(z)
	}
	return 1 - 0.5*math.Exp(-z)
}

func init() {
	Register(Family{
		Name: "laplace",
		Doc:  "Laplace(mu, scale); reparameterized, moments, quantile",
		Params: []Param{
			{Name: "mu", Default: 0, Doc: "location"},
			{Name: "scale", Default: 1, Doc: "scale b (variance 2b²), > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewLaplace(p["mu"], p["scale"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}

// SymmetricNoise reports true: the base noise is standard Laplace, symmetric about 0.
func (Laplace) SymmetricNoise() bool { return true }
