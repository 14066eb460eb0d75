package objective

// Quadratic is f(x) = Σ_d (x_d − K)².
type Quadratic struct {
	K float64
}

// Name returns "quadratic".
func (Quadratic) Name() string { return "quadratic" }

// Value returns Σ_d (x_d − K)².
func (q Quadratic) Value(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		d := v - q.K
		s += d * d
	}
	return s
}

// Grad writes 2(x_d − K) into dst and returns f(x).
func (q Quadratic) Grad(dst, x []float64) float64 {
	s := 0.0
	for i, v := range x {
		d := v - q.K
		s += d * d
		dst[i] = 2 * d
	}
	return s
}

// HessDiag writes 2 into every element of dst.
func (Quadratic) HessDiag(dst, _ []float64) {
	for i := range dst {
		dst[i] = 2
	}
}

// NormalExpectation returns E[f] = Σ_d (μ_d − K)² + σ_d², with ∂E/∂μ_d =
// 2(μ_d − K) and ∂E/∂σ_d = 2σ_d.
func (q Quadratic) NormalExpectation(dmu, dsigma, mu, sigma []float64) float64 {
	e := 0.0
	for d := range mu {
		m := mu[d] - q.K
		e += m*m + sigma[d]*sigma[d]
		dmu[d] = 2 * m
		dsigma[d] = 2 * sigma[d]
	}
	return e
}

func init() {
	Register(Kind{
		Name:    "quadratic",
		Formula: "Σ (x − k)²",
		Params:  []Param{{Name: "k", Default: 0, Doc: "centre"}},
		Make:    func(p map[string]float64) (Objective, error) { return Quadratic{K: p["k"]}, nil },
	})
}
