package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Normal is the univariate normal distribution N(Mu, Sigma²), with
// parameters θ = (mu, sigma).
//
// It is reparameterized by x = Mu + Sigma ε with ε ~ N(0, 1), and has the
// measure-valued derivative of Mohamed et al. (2020, §6): for mu, a
// Weibull(2, √2) (Rayleigh) decomposition with c = 1/(σ√(2π)); for sigma, a
// double-sided Maxwell positive part and the normal itself as the negative
// part, with c = 1/σ.
type Normal struct {
	Mu    float64
	Sigma float64
}

var normalParams = []string{"mu", "sigma"}

// NewNormal returns N(mu, sigma²), or an error if mu is not finite or sigma
// is not finite and positive.
func NewNormal(mu, sigma float64) (Normal, error) {
	n := Normal{Mu: mu, Sigma: sigma}
	return n, n.Validate()
}

// Validate returns an error if the parameters are invalid.
func (n Normal) Validate() error {
	if err := checkFinite("normal", "mu", n.Mu); err != nil {
		return err
	}
	return checkPositive("normal", "sigma", n.Sigma)
}

// Name returns "normal".
func (Normal) Name() string { return "normal" }

// Dim returns 1.
func (Normal) Dim() int { return 1 }

// NumParams returns 2.
func (Normal) NumParams() int { return 2 }

// ParamNames returns ["mu", "sigma"].
func (Normal) ParamNames() []string { return normalParams }

// Params writes (mu, sigma) into dst and returns it.
func (n Normal) Params(dst []float64) []float64 {
	dst = useDst("Normal.Params", dst, 2)
	dst[0], dst[1] = n.Mu, n.Sigma
	return dst
}

// WithParams returns N(theta[0], theta[1]²).
func (n Normal) WithParams(theta []float64) (Distribution, error) {
	checkLen("Normal.WithParams", theta, 2)
	m, err := NewNormal(theta[0], theta[1])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ N(Mu, Sigma²).
func (n Normal) Rand(x []float64, rng *rand.Rand) {
	x[0] = n.Mu + n.Sigma*rng.NormFloat64()
}

// LogProb returns the log-density at x[0].
func (n Normal) LogProb(x []float64) float64 {
	return distuv.Normal{Mu: n.Mu, Sigma: n.Sigma}.LogProb(x[0])
}

// Score writes (∂/∂mu, ∂/∂sigma) log p(x) = ((x−μ)/σ², ((x−μ)²/σ² − 1)/σ)
// into dst.
func (n Normal) Score(dst, x []float64) {
	z := (x[0] - n.Mu) / n.Sigma
	dst[0] = z / n.Sigma
	dst[1] = (z*z - 1) / n.Sigma
}

// Noise draws ε ~ N(0, 1).
func (Normal) Noise(eps []float64, rng *rand.Rand) { eps[0] = rng.NormFloat64() }

// Transform writes x = Mu + Sigma ε.
func (n Normal) Transform(x, eps []float64) { x[0] = n.Mu + n.Sigma*eps[0] }

// PathVJP adds (v, v ε) to dst: ∂x/∂mu = 1, ∂x/∂sigma = ε.
func (Normal) PathVJP(dst, eps, v []float64) {
	dst[0] += v[0]
	dst[1] += v[0] * eps[0]
}

// MVDSample draws the positive and negative parts for parameter j (0 for mu,
// 1 for sigma) and returns the constant c_j.
func (n Normal) MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64 {
	xp[0], xm[0] = normalMVD(n.Mu, n.Sigma, j, coupled, rng)
	if j == 0 {
		return 1 / (n.Sigma * math.Sqrt(2*math.Pi))
	}
	return 1 / n.Sigma
}

// MVDSampleN draws the pairs of len(c)/2 samples (see BatchMeasureValued).
func (n Normal) MVDSampleN(xp, xm, c []float64, coupled bool, rng *rand.Rand) {
	c0, c1 := 1/(n.Sigma*math.Sqrt(2*math.Pi)), 1/n.Sigma
	for u := 0; u+1 < len(c); u += 2 {
		xp[u], xm[u] = normalMVD(n.Mu, n.Sigma, 0, coupled, rng)
		xp[u+1], xm[u+1] = normalMVD(n.Mu, n.Sigma, 1, coupled, rng)
		c[u], c[u+1] = c0, c1
	}
}

// normalMVD draws the positive and negative samples of the measure-valued
// derivative of N(mu, sigma²) for parameter j (0: mu, 1: sigma).
//
// For mu, both parts are mu ± sigma w with w Rayleigh (Weibull(2, √2));
// coupled, they share w. For sigma, the positive part is double-sided
// Maxwell, mu + sigma m, and the negative part is the normal itself; coupled,
// the negative part is mu + sigma m u with u ~ U(0, 1), using that a
// double-sided Maxwell variable times an independent uniform is standard normal.
func normalMVD(mu, sigma float64, j int, coupled bool, rng *rand.Rand) (xp, xm float64) {
	switch j {
	case 0:
		w := rayleigh(rng)
		if !coupled {
			return mu + sigma*w, mu - sigma*rayleigh(rng)
		}
		return mu + sigma*w, mu - sigma*w
	case 1:
		m := doubleMaxwell(rng)
		if !coupled {
			return mu + sigma*m, mu + sigma*rng.NormFloat64()
		}
		return mu + sigma*m, mu + sigma*m*rng.Float64()
	}
	panic("dist: normal MVD parameter index out of range")
}

// rayleigh draws from the Rayleigh distribution with scale 1, i.e.
// Weibull(k = 2, λ = √2), whose density is w exp(−w²/2).
func rayleigh(rng *rand.Rand) float64 {
	return math.Sqrt(-2 * math.Log1p(-rng.Float64()))
}

// doubleMaxwell draws from the standard double-sided Maxwell distribution,
// density m² exp(−m²/2)/√(2π): a random sign times the norm of a standard
// normal 3-vector.
func doubleMaxwell(rng *rand.Rand) float64 {
	a, b, c := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
	m := math.Sqrt(a*a + b*b + c*c)
	if rng.Uint64()&1 == 0 {
		return -m
	}
	return m
}

// Mean writes Mu.
func (n Normal) Mean(dst []float64) { dst[0] = n.Mu }

// Variance writes Sigma².
func (n Normal) Variance(dst []float64) { dst[0] = n.Sigma * n.Sigma }

// MomentsVJP adds (a, 2σ b) to dst: ∂E/∂μ = 1, ∂Var/∂σ = 2σ.
func (n Normal) MomentsVJP(dst, a, b []float64) {
	dst[0] += a[0]
	dst[1] += 2 * n.Sigma * b[0]
}

// SymmetricNoise reports true: the base noise is standard normal, symmetric about 0.
func (Normal) SymmetricNoise() bool { return true }
