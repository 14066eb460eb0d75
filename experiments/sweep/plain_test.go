package sweep

import (
	"context"
	"math"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/spec"
)

// TestPlainEstimatorRuns: an estimator with neither batched replications
// (estimators.Replicator) nor a Supports method, score+const, runs in a
// sweep over continuous and discrete families through the fallbacks (the
// loop over Estimate, Check on its Info), with finite statistics in every
// cell, and its cells are skipped exactly where its Info says.
func TestPlainEstimatorRuns(t *testing.T) {
	est, err := estimators.New("score+const", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := est.(estimators.Replicator); ok {
		t.Fatal("score+const implements Replicator: the test needs an estimator without it")
	}
	if _, ok := est.(estimators.Supporter); ok {
		t.Fatal("score+const implements Supporter: the test needs an estimator without it")
	}
	const src = `name = "plain"
seed = 3
[sweep]
estimators = ["score+const", "score"]
n = [1, 3]
replications = 600
block = 200
[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = 2.0
[[sweep.distributions]]
name = "bernoulli"
logit = 0.3
[[sweep.objectives]]
name = "quadratic"
k = 0.5
`
	s, err := spec.Parse("plain.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), s, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 0 || res.Failed != 0 {
		t.Fatalf("%d cells skipped, %d failed; want none", res.Skipped, res.Failed)
	}
	seen := 0
	for _, r := range res.Rows {
		if r.Estimator != "score+const" {
			continue
		}
		seen++
		if math.IsNaN(r.Mean) || math.IsNaN(r.Variance) || r.Variance <= 0 || r.Evals != float64(r.N) {
			t.Errorf("%s %s n=%d: mean %v, variance %v, evals %v", r.Distribution, r.Param, r.N, r.Mean, r.Variance, r.Evals)
		}
	}
	if seen != 6 { // normal: 2 components × 2 n; bernoulli: 1 × 2
		t.Errorf("%d score+const rows, want 6", seen)
	}
}
