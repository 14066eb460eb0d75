package estimators_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// doubled embeds the built-in pathwise estimator and overrides Estimate.
type doubled struct{ *estimators.Pathwise }

func (e doubled) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	c, err := e.Pathwise.Estimate(grad, p, f, n, rng)
	for j := range grad {
		grad[j] *= 2
	}
	return c, err
}

// TestReplicateEmbedded: a type that embeds a built-in estimator with
// batched replications and overrides Estimate gets the loop over its own
// Estimate from Replicate, not the built-in's numbers; the built-in itself
// gets its batched path.
func TestReplicateEmbedded(t *testing.T) {
	p, f := dist.Normal{Mu: 1, Sigma: 2}, objective.Quadratic{K: 0.5}
	const R = 5
	if !estimators.HasReplicate(&estimators.Pathwise{}) {
		t.Error("HasReplicate(pathwise) = false")
	}
	e := doubled{&estimators.Pathwise{}}
	if estimators.HasReplicate(e) {
		t.Error("HasReplicate(a type embedding pathwise) = true")
	}
	got := make([]float64, R*2)
	if _, err := estimators.Replicate(e, got, p, f, 1, R, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	g := make([]float64, 2)
	for r := range R {
		if _, err := e.Estimate(g, p, f, 1, rng); err != nil {
			t.Fatal(err)
		}
		if got[2*r] != g[0] || got[2*r+1] != g[1] {
			t.Fatalf("replication %d: Replicate %v, Estimate %v", r, got[2*r:2*r+2], g)
		}
	}
}
