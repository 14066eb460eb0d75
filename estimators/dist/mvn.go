package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MVNDiag is the multivariate normal distribution with independent
// coordinates, x_d ~ N(Mu[d], Sigma[d]²) for d = 0, …, D−1, with parameters
// θ = (mu[0], …, mu[D−1], sigma[0], …, sigma[D−1]).
//
// It is reparameterized by x = Mu + Sigma ⊙ ε with ε ~ N(0, I). Its
// measure-valued derivative for mu[d] or sigma[d] uses the univariate Normal
// decomposition on coordinate d; the other coordinates are drawn from p,
// shared between the positive and negative samples when coupled and drawn
// independently for each otherwise.
type MVNDiag struct {
	Mu    []float64
	Sigma []float64
}

// NewMVNDiag returns the diagonal normal with means mu and standard
// deviations sigma, which it copies, or an error if their lengths differ or
// are 0, a mean is not finite, or a standard deviation is not finite and
// positive.
func NewMVNDiag(mu, sigma []float64) (MVNDiag, error) {
	m := MVNDiag{
		Mu:    append([]float64(nil), mu...),
		Sigma: append([]float64(nil), sigma...),
	}
	return m, m.Validate()
}

// Validate returns an error if the parameters are invalid.
func (m MVNDiag) Validate() error {
	if len(m.Mu) == 0 || len(m.Mu) != len(m.Sigma) {
		return fmt.Errorf("%w: mvn: len(mu) = %d, len(sigma) = %d, want equal and ≥ 1", ErrParam, len(m.Mu), len(m.Sigma))
	}
	for d := range m.Mu {
		if err := checkFinite("mvn", fmt.Sprintf("mu[%d]", d), m.Mu[d]); err != nil {
			return err
		}
		if err := checkPositive("mvn", fmt.Sprintf("sigma[%d]", d), m.Sigma[d]); err != nil {
			return err
		}
	}
	return nil
}

// Name returns "mvn".
func (MVNDiag) Name() string { return "mvn" }

// Dim returns D = len(Mu).
func (m MVNDiag) Dim() int { return len(m.Mu) }

// NumParams returns 2D.
func (m MVNDiag) NumParams() int { return 2 * len(m.Mu) }

// ParamNames returns ["mu[0]", …, "mu[D−1]", "sigma[0]", …, "sigma[D−1]"],
// in a new slice.
func (m MVNDiag) ParamNames() []string {
	return append(paramNames("mu", len(m.Mu)), paramNames("sigma", len(m.Sigma))...)
}

// Params writes (mu, sigma) into dst and returns it.
func (m MVNDiag) Params(dst []float64) []float64 {
	dst = useDst("MVNDiag.Params", dst, 2*len(m.Mu))
	copy(dst, m.Mu)
	copy(dst[len(m.Mu):], m.Sigma)
	return dst
}

// WithParams returns the diagonal normal with θ = theta (copied).
func (m MVNDiag) WithParams(theta []float64) (Distribution, error) {
	D := len(m.Mu)
	checkLen("MVNDiag.WithParams", theta, 2*D)
	n, err := NewMVNDiag(theta[:D], theta[D:])
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Rand draws x ~ N(Mu, diag(Sigma²)) into x (len D).
func (m MVNDiag) Rand(x []float64, rng *rand.Rand) {
	checkLen("MVNDiag.Rand", x, len(m.Mu))
	for d, mu := range m.Mu {
		x[d] = mu + m.Sigma[d]*rng.NormFloat64()
	}
}

// LogProb returns the log-density at x (len D).
func (m MVNDiag) LogProb(x []float64) float64 {
	checkLen("MVNDiag.LogProb", x, len(m.Mu))
	var s float64
	for d, mu := range m.Mu {
		z := (x[d] - mu) / m.Sigma[d]
		s -= 0.5*z*z + math.Log(m.Sigma[d])
	}
	return s - 0.5*float64(len(m.Mu))*math.Log(2*math.Pi)
}

// Score writes ∇θ log p(x) into dst (len 2D): z_d/σ_d for mu[d] and
// (z_d² − 1)/σ_d for sigma[d], where z_d = (x_d − μ_d)/σ_d.
func (m MVNDiag) Score(dst, x []float64) {
	D := len(m.Mu)
	checkLen("MVNDiag.Score", dst, 2*D)
	checkLen("MVNDiag.Score", x, D)
	for d, mu := range m.Mu {
		s := m.Sigma[d]
		z := (x[d] - mu) / s
		dst[d] = z / s
		dst[D+d] = (z*z - 1) / s
	}
}

// Noise draws ε ~ N(0, I) into eps (len D).
func (m MVNDiag) Noise(eps []float64, rng *rand.Rand) {
	checkLen("MVNDiag.Noise", eps, len(m.Mu))
	for d := range eps {
		eps[d] = rng.NormFloat64()
	}
}

// Transform writes x = Mu + Sigma ⊙ ε.
func (m MVNDiag) Transform(x, eps []float64) {
	checkLen("MVNDiag.Transform", x, len(m.Mu))
	checkLen("MVNDiag.Transform", eps, len(m.Mu))
	for d, mu := range m.Mu {
		x[d] = mu + m.Sigma[d]*eps[d]
	}
}

// PathVJP adds v[d] to dst[d] and v[d] ε[d] to dst[D+d].
func (m MVNDiag) PathVJP(dst, eps, v []float64) {
	D := len(m.Mu)
	checkLen("MVNDiag.PathVJP", dst, 2*D)
	checkLen("MVNDiag.PathVJP", eps, D)
	checkLen("MVNDiag.PathVJP", v, D)
	for d := range D {
		dst[d] += v[d]
		dst[D+d] += v[d] * eps[d]
	}
}

// MVDSample draws the positive and negative samples for parameter j
// (mu[j] for j < D, sigma[j−D] otherwise) and returns the constant c_j. It
// panics if j is out of range.
func (m MVNDiag) MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64 {
	D := len(m.Mu)
	if j < 0 || j >= 2*D {
		panic("dist: MVNDiag.MVDSample: parameter index out of range")
	}
	checkLen("MVNDiag.MVDSample", xp, D)
	checkLen("MVNDiag.MVDSample", xm, D)
	d, which := j%D, j/D
	m.Rand(xp, rng)
	if coupled {
		copy(xm, xp)
	} else {
		m.Rand(xm, rng)
	}
	xp[d], xm[d] = normalMVD(m.Mu[d], m.Sigma[d], which, coupled, rng)
	if which == 0 {
		return 1 / (m.Sigma[d] * math.Sqrt(2*math.Pi))
	}
	return 1 / m.Sigma[d]
}

// Mean writes Mu into dst (len D).
func (m MVNDiag) Mean(dst []float64) {
	checkLen("MVNDiag.Mean", dst, len(m.Mu))
	copy(dst, m.Mu)
}

// Variance writes Sigma² into dst (len D).
func (m MVNDiag) Variance(dst []float64) {
	checkLen("MVNDiag.Variance", dst, len(m.Mu))
	for d, s := range m.Sigma {
		dst[d] = s * s
	}
}

// MomentsVJP adds a[d] to dst[d] and 2σ_d b[d] to dst[D+d].
func (m MVNDiag) MomentsVJP(dst, a, b []float64) {
	D := len(m.Mu)
	checkLen("MVNDiag.MomentsVJP", dst, 2*D)
	checkLen("MVNDiag.MomentsVJP", a, D)
	checkLen("MVNDiag.MomentsVJP", b, D)
	for d, s := range m.Sigma {
		dst[d] += a[d]
		dst[D+d] += 2 * s * b[d]
	}
}

func init() {
	Register(Family{
		Name: "mvn",
		Doc:  "diagonal multivariate normal, all mu[d] = mu, sigma[d] = sigma; reparameterized, measure-valued, moments",
		Params: []Param{
			{Name: "dim", Default: 1, Doc: "dimension D, integer in [1, 10000]"},
			{Name: "mu", Default: 0, Doc: "mean of every coordinate"},
			{Name: "sigma", Default: 1, Doc: "standard deviation of every coordinate, > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			D, err := intParam("mvn", "dim", p["dim"], 1, 10000)
			if err != nil {
				return nil, err
			}
			if err := checkFinite("mvn", "mu", p["mu"]); err != nil {
				return nil, err
			}
			if err := checkPositive("mvn", "sigma", p["sigma"]); err != nil {
				return nil, err
			}
			m := MVNDiag{Mu: make([]float64, D), Sigma: make([]float64, D)}
			for d := range D {
				m.Mu[d], m.Sigma[d] = p["mu"], p["sigma"]
			}
			return m, nil
		},
	})
}

// SymmetricNoise reports true: the base noise is standard normal, symmetric about 0.
func (MVNDiag) SymmetricNoise() bool { return true }
