package objective

// Quartic is f(x) = Σ_d x_d⁴.
type Quartic struct{}

// Name returns "quartic".
func (Quartic) Name() string { return "quartic" }

// Value returns Σ_d x_d⁴.
func (Quartic) Value(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		v2 := v * v
		s += v2 * v2
	}
	return s
}

// Grad writes 4x_d³ into dst and returns f(x).
func (Quartic) Grad(dst, x []float64) float64 {
	s := 0.0
	for i, v := range x {
		v2 := v * v
		s += v2 * v2
		dst[i] = 4 * v2 * v
	}
	return s
}

// HessDiag writes 12x_d² into dst.
func (Quartic) HessDiag(dst, x []float64) {
	for i, v := range x {
		dst[i] = 12 * v * v
	}
}

// NormalExpectation returns E[f] = Σ_d μ_d⁴ + 6μ_d²σ_d² + 3σ_d⁴, with
// ∂E/∂μ_d = 4μ_d³ + 12μ_dσ_d² and ∂E/∂σ_d = 12μ_d²σ_d + 12σ_d³.
func (Quartic) NormalExpectation(dmu, dsigma, mu, sigma []float64) float64 {
	e := 0.0
	for d := range mu {
		m2, s2 := mu[d]*mu[d], sigma[d]*sigma[d]
		e += m2*m2 + 6*m2*s2 + 3*s2*s2
		dmu[d] = 4*m2*mu[d] + 12*mu[d]*s2
		dsigma[d] = 12*m2*sigma[d] + 12*s2*sigma[d]
	}
	return e
}

func init() {
	Register(Kind{
		Name:    "quartic",
		Formula: "Σ x⁴",
		Make:    func(map[string]float64) (Objective, error) { return Quartic{}, nil },
	})
}
