package objective

import "math"

// Step is the threshold f(x) = Σ_d 1[x_d > K]. It is not differentiable (its
// derivative is zero almost everywhere and says nothing about the gradient of
// its expectation), so it has no Grad method: pathwise estimators reject it.
type Step struct {
	K float64
}

// Name returns "step".
func (Step) Name() string { return "step" }

// Value returns the number of x_d greater than K.
func (s Step) Value(x []float64) float64 {
	n := 0.0
	for _, v := range x {
		if v > s.K {
			n++
		}
	}
	return n
}

// Breakpoints returns [K].
func (s Step) Breakpoints() []float64 { return []float64{s.K} }

// NormalExpectation returns E[f] = Σ_d Φ(z_d), z_d = (μ_d − K)/σ_d, with
// ∂E/∂μ_d = φ(z_d)/σ_d and ∂E/∂σ_d = −φ(z_d) z_d/σ_d, where Φ and φ are the
// standard normal distribution and density functions.
func (s Step) NormalExpectation(dmu, dsigma, mu, sigma []float64) float64 {
	e := 0.0
	for d := range mu {
		z := (mu[d] - s.K) / sigma[d]
		e += 0.5 * math.Erfc(-z/math.Sqrt2)
		phi := math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
		dmu[d] = phi / sigma[d]
		dsigma[d] = -phi * z / sigma[d]
	}
	return e
}

func init() {
	Register(Kind{
		Name:    "step",
		Formula: "Σ 1[x > k]",
		Params:  []Param{{Name: "k", Default: 0, Doc: "threshold"}},
		Make:    func(p map[string]float64) (Objective, error) { return Step{K: p["k"]}, nil },
	})
}
