package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// TestRunModelShardsMergeLock runs the blr quick profile through the CLI
// as 2 shards and merges them: the merged files equal a single run's. A
// folder being written by another process (its lock held) is refused with
// exit status 2 naming the process, and so is a resume with another
// profile.
func TestRunModelShardsMergeLock(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join("..", "..", "..", "experiments", "blr-n5-score-lr1e-4.toml")
	single := filepath.Join(dir, "single")
	if code, errs := runCLI(t, "run", "-q", "-profile", "quick", "-o", single, spec); code != 0 {
		t.Fatalf("single run: exit %d: %s", code, errs)
	}
	var shards []string
	for i := range 2 {
		d := filepath.Join(dir, "shard-"+strconv.Itoa(i))
		if code, errs := runCLI(t, "run", "-q", "-profile", "quick", "-shard", strconv.Itoa(i)+"/2", "-o", d, spec); code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, code, errs)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	if code, errs := runCLI(t, append([]string{"merge", "-q", "-o", merged}, shards...)...); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	curves := func(d string) string {
		pts, err := store.LoadCurves(d)
		if err != nil {
			t.Fatal(err)
		}
		for i := range pts {
			pts[i].Seconds = 0
		}
		var b bytes.Buffer
		if err := store.WriteCurves(&b, pts); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if curves(single) != curves(merged) {
		t.Errorf("merged curves.csv differs from a single run's")
	}
	x, err1 := os.ReadFile(filepath.Join(single, store.MetricsFile))
	y, err2 := os.ReadFile(filepath.Join(merged, store.MetricsFile))
	if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
		t.Errorf("merged metrics.csv differs from a single run's (%v, %v)", err1, err2)
	}
	if code, errs := runCLI(t, "merge", "-q", "-o", filepath.Join(dir, "half"), shards[0]); code != ExitUsageError && code != 1 || !strings.Contains(errs, "missing") {
		t.Errorf("merge of one shard of two: exit %d: %s", code, errs)
	}
	// Resume with the full profile refuses the quick folder.
	if code, errs := runCLI(t, "run", "-q", "-resume", "-o", single, spec); code != ExitUsageError || !strings.Contains(errs, `profile "quick"`) {
		t.Errorf("resume with another profile: exit %d: %s", code, errs)
	}
	// A second writer.
	busy := filepath.Join(dir, "busy")
	l, err := store.Lock(busy)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	code, errs := runCLI(t, "run", "-q", "-profile", "quick", "-o", busy, spec)
	if code != ExitUsageError || !strings.Contains(errs, "process "+strconv.Itoa(os.Getpid())) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
		t.Errorf("second writer: exit %d: %q, want 2 and one line naming process %d", code, errs, os.Getpid())
	}
}
