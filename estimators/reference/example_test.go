package reference_test

import (
	"fmt"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
)

func ExampleGradient() {
	p := dist.Normal{Mu: 1, Sigma: 2}
	f := objective.Cos{K: 0.5}
	for _, m := range []reference.Method{reference.MethodAuto, reference.MethodQuadrature} {
		r, err := reference.Gradient(p, f, m, reference.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-10s ∂μ = %.10f  ∂σ = %.10f\n", r.Method, r.Grad[0], r.Grad[1])
	}
	// Output:
	// closed     ∂μ = -0.1453931441  ∂σ = -0.2661403651
	// quadrature ∂μ = -0.1453931441  ∂σ = -0.2661403651
}

func ExamplePerSampleVariance() {
	// f(x) = (x − k)² at μ = k: the coupled measure-valued estimator of ∂μ
	// has zero variance.
	p := dist.Normal{Mu: 0.5, Sigma: 1}
	f := objective.Quadratic{K: 0.5}
	for _, est := range reference.PerSampleEstimators {
		vmu, vsigma, err := reference.PerSampleVariance(est, p, f, true)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-13s var ∂μ = %6.3f  var ∂σ = %6.3f\n", est, vmu, vsigma)
	}
	// Output:
	// score         var ∂μ = 15.000  var ∂σ = 74.000
	// score+optimal var ∂μ =  6.000  var ∂σ = 24.000
	// pathwise      var ∂μ =  4.000  var ∂σ =  8.000
	// mvd           var ∂μ =  0.000  var ∂σ =  4.000
}
