package objective

import "math"

// Cos is f(x) = Σ_d cos(K x_d).
type Cos struct {
	K float64
}

// Name returns "cos".
func (Cos) Name() string { return "cos" }

// Value returns Σ_d cos(K x_d).
func (c Cos) Value(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += math.Cos(c.K * v)
	}
	return s
}

// Grad writes −K sin(K x_d) into dst and returns f(x).
func (c Cos) Grad(dst, x []float64) float64 {
	s := 0.0
	for i, v := range x {
		sin, cos := math.Sincos(c.K * v)
		s += cos
		dst[i] = -c.K * sin
	}
	return s
}

// HessDiag writes −K² cos(K x_d) into dst.
func (c Cos) HessDiag(dst, x []float64) {
	for i, v := range x {
		dst[i] = -c.K * c.K * math.Cos(c.K*v)
	}
}

// NormalExpectation returns E[f] = Σ_d cos(Kμ_d) exp(−K²σ_d²/2), with
// ∂E/∂μ_d = −K sin(Kμ_d) exp(−K²σ_d²/2) and ∂E/∂σ_d = −K²σ_d E_d, E_d
// being the d-th term.
func (c Cos) NormalExpectation(dmu, dsigma, mu, sigma []float64) float64 {
	e := 0.0
	for d := range mu {
		damp := math.Exp(-c.K * c.K * sigma[d] * sigma[d] / 2)
		sin, cos := math.Sincos(c.K * mu[d])
		ed := cos * damp
		e += ed
		dmu[d] = -c.K * sin * damp
		dsigma[d] = -c.K * c.K * sigma[d] * ed
	}
	return e
}

func init() {
	Register(Kind{
		Name:    "cos",
		Formula: "Σ cos(k x)",
		Params:  []Param{{Name: "k", Default: 1, Doc: "frequency"}},
		Make:    func(p map[string]float64) (Objective, error) { return Cos{K: p["k"]}, nil },
	})
}
