package objective

// Constant is f(x) = C whatever x (not a sum over dimensions). Its gradient
// of the expectation is zero, so every estimator's variance on it is pure
// noise; the score function's variance grows with C², which a baseline
// removes.
type Constant struct {
	C float64
}

// Name returns "constant".
func (Constant) Name() string { return "constant" }

// Value returns C.
func (c Constant) Value([]float64) float64 { return c.C }

// Grad writes 0 into every element of dst and returns C.
func (c Constant) Grad(dst, _ []float64) float64 {
	for i := range dst {
		dst[i] = 0
	}
	return c.C
}

// HessDiag writes 0 into every element of dst.
func (Constant) HessDiag(dst, _ []float64) {
	for i := range dst {
		dst[i] = 0
	}
}

// NormalExpectation returns C and writes zero gradients.
func (c Constant) NormalExpectation(dmu, dsigma, mu, _ []float64) float64 {
	for d := range mu {
		dmu[d] = 0
		dsigma[d] = 0
	}
	return c.C
}

func init() {
	Register(Kind{
		Name:    "constant",
		Formula: "c",
		Params:  []Param{{Name: "c", Default: 100, Doc: "the constant value"}},
		Make:    func(p map[string]float64) (Objective, error) { return Constant{C: p["c"]}, nil },
	})
}
