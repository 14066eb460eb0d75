package antithetic_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/cmd/gradbench-example/antithetic"
	"github.com/gradbench/gradbench/cmd/gradbench/cli"
	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/estimatortest"
	"github.com/gradbench/gradbench/estimators/objective"
)

func TestConformance(t *testing.T) {
	estimatortest.Check(t, antithetic.Name)
}

// TestListed checks that the tool built with this package lists the
// estimator.
func TestListed(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := cli.Run(&stdout, &stderr, []string{"list"}); err != nil {
		t.Fatalf("list: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), antithetic.Name) {
		t.Errorf("gradbench list does not mention %s:\n%s", antithetic.Name, stdout.String())
	}
}

// TestVarianceReduction checks the point of the estimator: on (x − k)² under
// a normal, ∂/∂μ of a pair is 2(μ+σε−k) + 2(μ−σε−k) = 4(μ−k), so the mu
// component has zero variance, where plain pathwise has variance 4σ²/n. The
// sigma term 2(μ−k)ε + 2σε² loses its odd part but keeps its even part
// twice: exact variances 8σ⁴/(n/2) = 16 against (4(μ−k)²σ² + 8σ⁴)/n = 12
// here, which the log shows.
func TestVarianceReduction(t *testing.T) {
	t.Parallel()
	p := dist.Normal{Mu: 1, Sigma: 2}
	f := objective.Quadratic{K: 3}
	const n, reps = 4, 2000
	variance := func(name string) [2]float64 {
		e, err := estimators.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		g := make([]float64, 2)
		var sum, sum2 [2]float64
		for range reps {
			if _, err := e.Estimate(g, p, f, n, rng); err != nil {
				t.Fatal(err)
			}
			for j := range 2 {
				sum[j] += g[j]
				sum2[j] += g[j] * g[j]
			}
		}
		var v [2]float64
		for j := range 2 {
			m := sum[j] / reps
			v[j] = sum2[j]/reps - m*m
		}
		return v
	}
	anti, plain := variance(antithetic.Name), variance("pathwise")
	// Exact: 0 for antithetic (up to rounding), 4σ²/n = 4 for pathwise.
	if anti[0] > 1e-20 {
		t.Errorf("antithetic mu variance = %g, want 0", anti[0])
	}
	// The plain estimator's sample variance of a χ²-like quantity with
	// 2000 replications is within 20% of 4 with overwhelming probability
	// (relative SE = √(2/1999) ≈ 3%).
	if plain[0] < 3.2 || plain[0] > 4.8 {
		t.Errorf("pathwise mu variance = %g, want about 4σ²/n = 4", plain[0])
	}
	t.Logf("variance of ∂/∂mu: antithetic %g, pathwise %g; ∂/∂sigma: antithetic %g, pathwise %g", anti[0], plain[0], anti[1], plain[1])
}

// TestUnsupported checks that a family with asymmetric base noise is refused
// with a reason.
func TestUnsupported(t *testing.T) {
	t.Parallel()
	e, err := estimators.New(antithetic.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dist.NewExponential(1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Estimate(make([]float64, 1), p, objective.Quadratic{}, 4, rand.New(rand.NewPCG(1, 1)))
	if err == nil || !strings.Contains(err.Error(), "symmetric") {
		t.Errorf("exponential: error %v, want an ErrUnsupported about symmetric noise", err)
	}
}
