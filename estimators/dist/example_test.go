package dist_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
)

// The exact expectation of f(x) = x² under a finite family, by enumeration:
// here (1 + 4e)/(2 + e).
func ExampleFinite() {
	c, err := dist.NewCategorical([]float64{0, 0, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float64, 1)
	var e float64
	for i := range c.SupportSize() {
		p := c.Outcome(x, i)
		e += p * x[0] * x[0]
	}
	fmt.Printf("E[x²] = %.4f\n", e)
	// Output:
	// E[x²] = 2.5164
}

// A pathwise gradient sample of f(x) = x for the Weibull family: the
// derivative of x = λ ε^{1/k} with respect to (k, λ).
func ExampleReparameterized() {
	w, err := dist.NewWeibull(2, 1.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	eps, x, grad := make([]float64, 1), make([]float64, 1), make([]float64, 2)
	w.Noise(eps, rng)
	w.Transform(x, eps)
	w.PathVJP(grad, eps, []float64{1}) // v = ∂f/∂x = 1
	fmt.Println(w.ParamNames(), len(grad))
	// Output:
	// [k lambda] 2
}
