package reference

import (
	"math"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"gonum.org/v1/gonum/floats/scalar"
)

// paperObjectives returns the objectives of the normal-family sweeps over the
// paper's parameter ranges.
func paperObjectives() []objective.Objective {
	var fs []objective.Objective
	for _, k := range []float64{-3, -1, 0, 0.5, 3} {
		fs = append(fs, objective.Quadratic{K: k})
	}
	for _, k := range []float64{0.1, 1, 3, 10} {
		fs = append(fs, objective.Gaussian{K: k})
	}
	for _, k := range []float64{0.5, 2, 5, 10} {
		fs = append(fs, objective.Cos{K: k})
	}
	for _, k := range []float64{-1, 0.3, 2} {
		fs = append(fs, objective.Step{K: k})
	}
	fs = append(fs, objective.Quartic{}, objective.Linear{A: 1.5}, objective.Constant{C: 100})
	return fs
}

func TestQuadratureMatchesClosed(t *testing.T) {
	worst := 0.0
	for _, f := range paperObjectives() {
		for _, mu := range []float64{-1, 0, 1, 2} {
			for _, sigma := range []float64{0.5, 1, 2} {
				p := dist.Normal{Mu: mu, Sigma: sigma}
				want, err := Gradient(p, f, MethodClosed, Options{})
				if err != nil {
					t.Fatal(err)
				}
				got, err := Gradient(p, f, MethodQuadrature, Options{})
				if err != nil {
					t.Fatalf("%s at N(%v, %v²): %v", f.Name(), mu, sigma, err)
				}
				if got.Method != MethodQuadrature || want.Method != MethodClosed {
					t.Errorf("methods %q, %q", got.Method, want.Method)
				}
				for j := range want.Grad {
					if !scalar.EqualWithinAbsOrRel(got.Grad[j], want.Grad[j], 1e-10, 1e-8) {
						t.Errorf("%s (%+v) at N(%v, %v²): quadrature grad[%d] = %.15g, closed %.15g", f.Name(), f, mu, sigma, j, got.Grad[j], want.Grad[j])
					}
					if d := math.Abs(got.Grad[j] - want.Grad[j]); d > worst {
						worst = d
					}
				}
				if !scalar.EqualWithinAbsOrRel(got.Value, want.Value, 1e-10, 1e-8) {
					t.Errorf("%s at N(%v, %v²): quadrature E = %.15g, closed %.15g", f.Name(), mu, sigma, got.Value, want.Value)
				}
			}
		}
	}
	t.Logf("largest absolute difference: %.3g", worst)
}
