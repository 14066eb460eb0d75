package reference_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
)

// TestMVNPerSampleVarianceMonteCarlo compares the exact per-component
// variances with sample variances of 200000 one-sample estimates, within 4
// standard errors of the sample variance (SE from the sample fourth central
// moment). With 6 estimator/objective pairs × 6 components = 36 comparisons,
// the chance of a false failure is about 36 × 6.3e-5 ≈ 0.002; the seed is
// fixed, so the test is deterministic.
func TestMVNPerSampleVarianceMonteCarlo(t *testing.T) {
	p, err := dist.NewMVNDiag([]float64{0.5, -1, 2}, []float64{1, 0.5, 1.5})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		est string
		f   objective.Objective
	}{
		{"score", objective.Linear{A: 1.5}},
		{"score", objective.Constant{C: 100}},
		{"pathwise", objective.Quadratic{K: 1}},
		{"mvd", objective.Quartic{}},
		{"mvd", objective.Linear{A: 1}},
		{"pathwise", objective.Cos{K: 2}},
	}
	const R = 200000
	for ci, c := range cases {
		vmu, vsig, err := reference.MVNPerSampleVariance(c.est, p, c.f, true)
		if err != nil {
			t.Fatalf("%s %s: %v", c.est, c.f.Name(), err)
		}
		exact := append(append([]float64{}, vmu...), vsig...)
		e, err := estimators.New(c.est, nil)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(ci), 99))
		g := make([]float64, 6)
		samples := make([][]float64, 6)
		for range R {
			if _, err := e.Estimate(g, p, c.f, 1, rng); err != nil {
				t.Fatal(err)
			}
			for j, v := range g {
				samples[j] = append(samples[j], v)
			}
		}
		for j, xs := range samples {
			mean := 0.0
			for _, x := range xs {
				mean += x
			}
			mean /= R
			m2, m4 := 0.0, 0.0
			for _, x := range xs {
				d := (x - mean) * (x - mean)
				m2 += d
				m4 += d * d
			}
			m2 /= R
			m4 /= R
			se := math.Sqrt((m4 - m2*m2) / R)
			if math.Abs(m2-exact[j]) > 4*se+1e-12 {
				t.Errorf("%s %s component %d: sample variance %.5g ± %.2g, exact %.5g", c.est, c.f.Name(), j, m2, se, exact[j])
			}
		}
	}
}

func TestMVNPerSampleVarianceNotApplicable(t *testing.T) {
	p, _ := dist.NewMVNDiag([]float64{0}, []float64{1})
	for _, c := range []struct {
		est     string
		f       objective.Objective
		coupled bool
	}{
		{"score", objective.Quadratic{}, true},
		{"mvd", objective.Quadratic{}, false},
		{"score+loo", objective.Linear{A: 1}, true},
	} {
		if _, _, err := reference.MVNPerSampleVariance(c.est, p, c.f, c.coupled); err == nil {
			t.Errorf("%s %s coupled=%v: no error", c.est, c.f.Name(), c.coupled)
		}
	}
}
