package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec/spectest"
	"github.com/gradbench/gradbench/experiments/store"
)

func TestRunTrainingSpec(t *testing.T) {
	dir := t.TempDir()
	specPath := filepath.Join(dir, "train.toml")
	src := spectest.TrainWith("seeds = 2\neval_every = 5\nlog_params = [\"sigma\"]\n")
	if err := os.WriteFile(specPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if err := Run(&stdout, &stderr, []string{"run", "-q", "-o", out, specPath}); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	points, err := store.LoadCurves(out)
	if err != nil {
		t.Fatal(err)
	}
	// 2 seeds × (steps 0, 5, 10) for the one estimator.
	if len(points) != 6 {
		t.Errorf("%d curve points, want 6", len(points))
	}
	if _, err := store.LoadMeta(out); err != nil {
		t.Errorf("meta.json: %v", err)
	}
	// A second run into the same folder is refused (exit 2) without -resume.
	err = Run(&stdout, &stderr, []string{"run", "-q", "-o", out, specPath})
	if Status(err, &stderr) != ExitUsageError {
		t.Errorf("second run: %v, want a usage error", err)
	}
}

// TestCheckNothingMatches: a baseline that shares no cell with the results
// is a usage error (exit 2), not a pass.
func TestCheckNothingMatches(t *testing.T) {
	dir := t.TempDir()
	rows := []store.Row{{Experiment: "a", Estimator: "score", Distribution: "normal", Objective: "quadratic", N: 1, Replications: 10, Param: "mu", Variance: 1, Kurtosis: 3}}
	other := []store.Row{rows[0]}
	other[0].N = 2
	for name, r := range map[string][]store.Row{"new": rows, "base": other} {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := store.SaveCells(d, r); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	err := Run(&stdout, &stderr, []string{"check", "-baseline", filepath.Join(dir, "base"), filepath.Join(dir, "new")})
	if Status(err, &stderr) != ExitUsageError {
		t.Errorf("check with no matching cell: %v, want exit 2", err)
	}
}
