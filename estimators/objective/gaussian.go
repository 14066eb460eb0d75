package objective

import (
	"fmt"
	"math"
)

// Gaussian is the bump f(x) = Σ_d exp(−K x_d²), with K ≥ 0.
type Gaussian struct {
	K float64
}

// Name returns "gaussian".
func (Gaussian) Name() string { return "gaussian" }

// Value returns Σ_d exp(−K x_d²).
func (g Gaussian) Value(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += math.Exp(-g.K * v * v)
	}
	return s
}

// Grad writes −2K x_d exp(−K x_d²) into dst and returns f(x).
func (g Gaussian) Grad(dst, x []float64) float64 {
	s := 0.0
	for i, v := range x {
		e := math.Exp(-g.K * v * v)
		s += e
		dst[i] = -2 * g.K * v * e
	}
	return s
}

// HessDiag writes (4K² x_d² − 2K) exp(−K x_d²) into dst.
func (g Gaussian) HessDiag(dst, x []float64) {
	for i, v := range x {
		dst[i] = (4*g.K*g.K*v*v - 2*g.K) * math.Exp(-g.K*v*v)
	}
}

// NormalExpectation returns E[f] = Σ_d s_d^{−1/2} exp(−K μ_d²/s_d), where
// s_d = 1 + 2Kσ_d², with ∂E/∂μ_d = −2Kμ_d/s_d · E_d and
// ∂E/∂σ_d = 4Kσ_d (K μ_d²/s_d² − 1/(2 s_d)) · E_d, E_d being the d-th term.
func (g Gaussian) NormalExpectation(dmu, dsigma, mu, sigma []float64) float64 {
	e := 0.0
	for d := range mu {
		m, sg := mu[d], sigma[d]
		s := 1 + 2*g.K*sg*sg
		ed := math.Exp(-g.K*m*m/s) / math.Sqrt(s)
		e += ed
		dmu[d] = -2 * g.K * m / s * ed
		dsigma[d] = 4 * g.K * sg * (g.K*m*m/(s*s) - 1/(2*s)) * ed
	}
	return e
}

func init() {
	Register(Kind{
		Name:    "gaussian",
		Formula: "Σ exp(−k x²)",
		Params:  []Param{{Name: "k", Default: 1, Doc: "precision of the bump, ≥ 0"}},
		Make: func(p map[string]float64) (Objective, error) {
			if k := p["k"]; k < 0 {
				return nil, fmt.Errorf("objective \"gaussian\": parameter k = %v, want k ≥ 0", k)
			}
			return Gaussian{K: p["k"]}, nil
		},
	})
}
