package estimators_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// plainDist and plainObj hide the batch methods of what they wrap, so the
// estimators take their per-sample paths.
type plainDist struct{ dist.Reparameterized }
type plainObj struct{ objective.Differentiable }

// TestBatchPathsMatchPerSample checks that the batched hot loops of
// pathwise and score give bit-identical estimates to the per-sample loops,
// for 1-D and multivariate families and chunk boundaries.
func TestBatchPathsMatchPerSample(t *testing.T) {
	mvn, err := dist.NewMVNDiag([]float64{1, -2, 0.5}, []float64{1, 0.5, 2})
	if err != nil {
		t.Fatal(err)
	}
	fams := []dist.Reparameterized{dist.Normal{Mu: 1, Sigma: 2}, mvn}
	objs := []objective.Differentiable{objective.Quadratic{K: 3}, objective.Cos{K: 1.5}}
	for _, name := range []string{"pathwise", "score"} {
		for _, p := range fams {
			for _, f := range objs {
				for _, n := range []int{1, 7, 256, 1000} {
					batched := estimateNamed(t, name, p, f, n)
					plain := estimateNamed(t, name, plainDist{p}, plainObj{f}, n)
					for j := range batched {
						if batched[j] != plain[j] {
							t.Errorf("%s %s %s n=%d: component %d batched %v, per-sample %v", name, p.Name(), f.Name(), n, j, batched[j], plain[j])
						}
					}
				}
			}
		}
	}
}

func estimateNamed(t *testing.T, name string, p dist.Distribution, f objective.Objective, n int) []float64 {
	t.Helper()
	e, err := estimators.New(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := make([]float64, p.NumParams())
	if _, err := e.Estimate(g, p, f, n, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	return g
}
