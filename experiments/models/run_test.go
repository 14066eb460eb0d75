package models

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

const blrSpec = `name = "blr-test"
seed = 3
[model]
kind = "blr"
data = "../data/breast-cancer/breast_cancer.csv"
estimators = ["pathwise", "mvd", {name = "delta", label = "dp", options = {base = "pathwise"}}]
learning_rate = 1e-3
schedule = "cosine"
steps = 40
batch = 32
n = 5
eval_every = 20
variance_draws = 5
objective_samples = 50
seeds = 2
`

func loadSpec(t *testing.T, text string) *spec.Spec {
	t.Helper()
	// The data path is relative to the spec's folder, here this package's.
	s, err := spec.Parse("spec.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunDeterministic runs a small BLR experiment with 1 and 2 workers and
// requires identical results apart from the timing column.
func TestRunDeterministic(t *testing.T) {
	s := loadSpec(t, blrSpec)
	var got [2][]store.CurvePoint
	for k, w := range []int{1, 2} {
		dir := t.TempDir()
		if err := Run(context.Background(), s, dir, Options{Workers: w}); err != nil {
			t.Fatal(err)
		}
		pts, err := store.LoadCurves(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, MetricsFile)); err != nil {
			t.Fatal(err)
		}
		for i := range pts {
			pts[i].Seconds = 0
		}
		got[k] = pts
	}
	if len(got[0]) != 3*2*3 { // estimators × seeds × evaluations (0, 20, 40)
		t.Fatalf("%d points", len(got[0]))
	}
	for i := range got[0] {
		a, b := got[0][i], got[1][i]
		same := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
		if !same(a.Objective, b.Objective) || !same(a.GradVariance, b.GradVariance) || a.Evals != b.Evals || a.Status != b.Status {
			t.Fatalf("point %d differs: %+v vs %+v", i, a, b)
		}
	}
	if last := got[0][2]; !(last.Objective > got[0][0].Objective) {
		t.Fatalf("pathwise ELBO did not improve: %v → %v", got[0][0].Objective, last.Objective)
	}
}

func TestRunErrors(t *testing.T) {
	s := loadSpec(t, blrSpec)
	s.Model.Data = "no/such.csv"
	if err := Run(context.Background(), s, t.TempDir(), Options{}); err == nil {
		t.Fatal("missing data accepted")
	}
	if err := Run(context.Background(), &spec.Spec{}, t.TempDir(), Options{}); err == nil {
		t.Fatal("spec without [model] accepted")
	}
}

// TestDivergedRunStops checks that a run whose parameters stop being finite
// (the score function at a learning rate far too large) ends with a stopped
// point instead of an error or NaN curves.
func TestDivergedRunStops(t *testing.T) {
	s := loadSpec(t, blrSpec)
	s.Model.Estimators = []spec.Estimator{{Name: "score", Label: "score"}}
	s.Model.LearningRate = 10
	s.Model.Seeds = 1
	dir := t.TempDir()
	if err := Run(context.Background(), s, dir, Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	pts, err := store.LoadCurves(dir)
	if err != nil {
		t.Fatal(err)
	}
	if last := pts[len(pts)-1]; !last.Stopped() {
		t.Fatalf("last point %+v, want a stopped run", last)
	}
}
