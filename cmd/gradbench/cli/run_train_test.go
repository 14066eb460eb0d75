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
