package estimators_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ExampleNew estimates ∇(μ,σ) E[(x − 3)²] under N(1, 1), whose exact value is
// (2(μ − 3), 2σ) = (−4, 2), with the leave-one-out score-function estimator.
func ExampleNew() {
	e, err := estimators.New("score+loo", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := dist.Normal{Mu: 1, Sigma: 1}
	f := objective.Quadratic{K: 3}
	grad := make([]float64, p.NumParams())
	rng := rand.New(rand.NewPCG(1, 2))
	cost, err := e.Estimate(grad, p, f, 100000, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("d/dmu ≈ %.1f, d/dsigma ≈ %.1f, %d evaluations of f\n", grad[0], grad[1], cost.F)
	// Output:
	// d/dmu ≈ -4.0, d/dsigma ≈ 2.0, 100000 evaluations of f
}
