package objective

// Linear is f(x) = Σ_d A x_d.
type Linear struct {
	A float64
}

// Name returns "linear".
func (Linear) Name() string { return "linear" }

// Value returns Σ_d A x_d.
func (l Linear) Value(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return l.A * s
}

// Grad writes A into every element of dst and returns f(x).
func (l Linear) Grad(dst, x []float64) float64 {
	for i := range x {
		dst[i] = l.A
	}
	return l.Value(x)
}

// HessDiag writes 0 into every element of dst.
func (Linear) HessDiag(dst, _ []float64) {
	for i := range dst {
		dst[i] = 0
	}
}

// NormalExpectation returns E[f] = Σ_d A μ_d, with ∂E/∂μ_d = A and
// ∂E/∂σ_d = 0.
func (l Linear) NormalExpectation(dmu, dsigma, mu, sigma []float64) float64 {
	e := 0.0
	for d := range mu {
		e += l.A * mu[d]
		dmu[d] = l.A
		dsigma[d] = 0
	}
	return e
}

func init() {
	Register(Kind{
		Name:    "linear",
		Formula: "Σ a x",
		Params:  []Param{{Name: "a", Default: 1, Doc: "slope"}},
		Make:    func(p map[string]float64) (Objective, error) { return Linear{A: p["a"]}, nil },
	})
}
