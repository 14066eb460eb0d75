package objective

// StepAE is the threshold f(x) = Σ_d 1[x_d > K] together with its
// derivative almost everywhere, which is 0: what automatic differentiation
// returns for a comparison. It exists to measure what happens when the
// pathwise estimator is applied to a discontinuous objective anyway: the
// estimate is exactly 0, while ∇θ E[f] is not (see Step's
// NormalExpectation). Score-function and measure-valued estimators need
// only values and remain unbiased on it.
type StepAE struct {
	Step
}

// Name returns "step-ae".
func (StepAE) Name() string { return "step-ae" }

// Grad writes 0 into dst (the derivative almost everywhere) and returns f(x).
func (s StepAE) Grad(dst, x []float64) float64 {
	for i := range dst {
		dst[i] = 0
	}
	return s.Value(x)
}

// HessDiag writes 0 into dst (the second derivative almost everywhere).
func (StepAE) HessDiag(dst, _ []float64) {
	for i := range dst {
		dst[i] = 0
	}
}

func init() {
	Register(Kind{
		Name:    "step-ae",
		Formula: "Σ 1[x > k], with the a.e. derivative 0",
		Params:  []Param{{Name: "k", Default: 0, Doc: "threshold"}},
		Make:    func(p map[string]float64) (Objective, error) { return StepAE{Step{K: p["k"]}}, nil },
	})
}
