package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// LogNormal is the log-normal distribution: log x ~ N(Mu, Sigma²), with
// parameters θ = (mu, sigma) of log x.
//
// It is reparameterized by x = exp(Mu + Sigma ε) with ε ~ N(0, 1).
type LogNormal struct {
	Mu    float64
	Sigma float64
}

var lognormalParams = []string{"mu", "sigma"}

// NewLogNormal returns the log-normal distribution with log x ~ N(mu, sigma²),
// or an error if mu is not finite or sigma is not finite and positive.
func NewLogNormal(mu, sigma float64) (LogNormal, error) {
	l := LogNormal{Mu: mu, Sigma: sigma}
	return l, l.Validate()
}

// Validate returns an error if the parameters are invalid.
func (l LogNormal) Validate() error {
	if err := checkFinite("lognormal", "mu", l.Mu); err != nil {
		return err
	}
	return checkPositive("lognormal", "sigma", l.Sigma)
}

// Name returns "lognormal".
func (LogNormal) Name() string { return "lognormal" }

// Dim returns 1.
func (LogNormal) Dim() int { return 1 }

// NumParams returns 2.
func (LogNormal) NumParams() int { return 2 }

// ParamNames returns ["mu", "sigma"].
func (LogNormal) ParamNames() []string { return lognormalParams }

// Params writes (mu, sigma) into dst and returns it.
func (l LogNormal) Params(dst []float64) []float64 {
	dst = useDst("LogNormal.Params", dst, 2)
	dst[0], dst[1] = l.Mu, l.Sigma
	return dst
}

// WithParams returns the log-normal distribution with θ = theta.
func (LogNormal) WithParams(theta []float64) (Distribution, error) {
	checkLen("LogNormal.WithParams", theta, 2)
	m, err := NewLogNormal(theta[0], theta[1])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x = exp(Mu + Sigma ε), ε ~ N(0, 1).
func (l LogNormal) Rand(x []float64, rng *rand.Rand) {
	x[0] = math.Exp(l.Mu + l.Sigma*rng.NormFloat64())
}

// LogProb returns the log-density at x[0] (−Inf for x[0] ≤ 0).
func (l LogNormal) LogProb(x []float64) float64 {
	if !(x[0] > 0) {
		return math.Inf(-1)
	}
	lx := math.Log(x[0])
	z := (lx - l.Mu) / l.Sigma
	return -lx - math.Log(l.Sigma) - 0.5*math.Log(2*math.Pi) - 0.5*z*z
}

// Score writes (∂/∂mu, ∂/∂sigma) log p(x) = (z/σ, (z² − 1)/σ), where
// z = (log x − μ)/σ, into dst.
func (l LogNormal) Score(dst, x []float64) {
	z := (math.Log(x[0]) - l.Mu) / l.Sigma
	dst[0] = z / l.Sigma
	dst[1] = (z*z - 1) / l.Sigma
}

// Noise draws ε ~ N(0, 1).
func (LogNormal) Noise(eps []float64, rng *rand.Rand) { eps[0] = rng.NormFloat64() }

// Transform writes x = exp(Mu + Sigma ε).
func (l LogNormal) Transform(x, eps []float64) { x[0] = math.Exp(l.Mu + l.Sigma*eps[0]) }

// PathVJP adds (v x, v x ε) to dst: ∂x/∂mu = x, ∂x/∂sigma = x ε.
func (l LogNormal) PathVJP(dst, eps, v []float64) {
	vx := v[0] * math.Exp(l.Mu+l.Sigma*eps[0])
	dst[0] += vx
	dst[1] += vx * eps[0]
}

// Mean writes exp(μ + σ²/2).
func (l LogNormal) Mean(dst []float64) { dst[0] = math.Exp(l.Mu + l.Sigma*l.Sigma/2) }

// Variance writes (exp(σ²) − 1) exp(2μ + σ²).
func (l LogNormal) Variance(dst []float64) {
	s2 := l.Sigma * l.Sigma
	dst[0] = math.Expm1(s2) * math.Exp(2*l.Mu+s2)
}

// MomentsVJP adds a ∂E/∂θ + b ∂Var/∂θ to dst, with ∂E/∂μ = E, ∂E/∂σ = σE,
// ∂Var/∂μ = 2Var and ∂Var/∂σ = 2σ(exp(2μ + 2σ²) + Var).
func (l LogNormal) MomentsVJP(dst, a, b []float64) {
	s2 := l.Sigma * l.Sigma
	m := math.Exp(l.Mu + s2/2)
	v := math.Expm1(s2) * math.Exp(2*l.Mu+s2)
	dst[0] += a[0]*m + b[0]*2*v
	dst[1] += a[0]*l.Sigma*m + b[0]*2*l.Sigma*(math.Exp(2*l.Mu+2*s2)+v)
}

// Quantile returns the p-quantile. It panics if p is outside [0, 1].
func (l LogNormal) Quantile(p float64) float64 {
	return distuv.LogNormal{Mu: l.Mu, Sigma: l.Sigma}.Quantile(p)
}

// CDF returns P(x' ≤ x).
func (l LogNormal) CDF(x float64) float64 {
	return distuv.LogNormal{Mu: l.Mu, Sigma: l.Sigma}.CDF(x)
}

func init() {
	Register(Family{
		Name: "lognormal",
		Doc:  "log-normal, log x ~ N(mu, sigma²); reparameterized, moments, quantile",
		Params: []Param{
			{Name: "mu", Default: 0, Doc: "mean of log x"},
			{Name: "sigma", Default: 1, Doc: "standard deviation of log x, > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewLogNormal(p["mu"], p["sigma"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}

// SymmetricNoise reports true: the base noise is standard normal, symmetric about 0.
func (LogNormal) SymmetricNoise() bool { return true }
