package sweep

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

func loadDemo(t testing.TB, profile string) *spec.Spec {
	t.Helper()
	s, err := spec.Load("../demo.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyProfile(profile); err != nil {
		t.Fatal(err)
	}
	return s
}

// canonical returns cells.csv of dir with the timing columns blanked.
func canonical(t testing.TB, dir string) string {
	t.Helper()
	rows, err := store.LoadCells(dir)
	if err != nil {
		t.Fatal(err)
	}
	return canonicalRows(t, rows)
}

func canonicalRows(t testing.TB, rows []store.Row) string {
	t.Helper()
	for i := range rows {
		rows[i].NsPerEstimate, rows[i].VarTimesNs = 0, 0
	}
	var b bytes.Buffer
	if err := store.WriteCells(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWorkersShardsIdentical(t *testing.T) {
	s := loadDemo(t, "quick")
	root := t.TempDir()
	run := func(name string, workers, shard, shards int) string {
		dir := filepath.Join(root, name)
		if _, err := Run(context.Background(), s, Options{Dir: dir, Workers: workers, Shard: shard, Shards: shards}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	one := canonical(t, run("w1", 1, 0, 1))
	if two := canonical(t, run("w2", 2, 0, 1)); two != one {
		t.Errorf("-workers 2 differs from -workers 1")
	}
	var shards []string
	for i := 2; i >= 0; i-- { // in reverse order, with varied workers
		shards = append(shards, run("shard"+string(rune('0'+i)), 1+i%2, i, 3))
	}
	if _, err := Merge(filepath.Join(root, "merged"), shards); err != nil {
		t.Fatal(err)
	}
	if merged := canonical(t, filepath.Join(root, "merged")); merged != one {
		t.Errorf("3 shards merged differ from one run:\n%s\nvs\n%s", merged, one)
	}
	// Merge refuses overlaps and missing cells.
	if _, err := Merge(filepath.Join(root, "m2"), shards[:2]); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("merge of 2 of 3 shards: %v", err)
	}
	if _, err := Merge(filepath.Join(root, "m3"), append(shards, shards[0])); err == nil || !strings.Contains(err.Error(), "in both") {
		t.Errorf("merge with a shard twice: %v", err)
	}
	if _, err := Merge(filepath.Join(root, "m4"), []string{shards[0], filepath.Join(root, "w1")}); err == nil {
		t.Errorf("merge of a shard with a full run: no error")
	}
	if _, err := os.Stat(filepath.Join(root, "m2")); !os.IsNotExist(err) {
		t.Errorf("failed merge wrote its folder")
	}
	// Without -resume, an existing results folder is refused.
	if _, err := Run(context.Background(), s, Options{Dir: filepath.Join(root, "w1")}); !errors.Is(err, ErrConflict) {
		t.Errorf("rerun into a results folder: %v, want ErrConflict", err)
	}
	// With -resume, a complete folder is reused as is.
	res, err := Run(context.Background(), s, Options{Dir: filepath.Join(root, "w1"), Resume: true})
	if err != nil || res.Resumed != res.Cells {
		t.Errorf("resume of a complete run: %v, resumed %d of %d", err, res.Resumed, res.Cells)
	}
	if got := canonical(t, filepath.Join(root, "w1")); got != one {
		t.Errorf("resume of a complete run changed cells.csv")
	}
}

// TestStatistics checks the rows against the exact values: the estimators
// are unbiased, so |bias| ≤ 4 SE per component (a false alarm about once in
// 16 000 rows under normality; the seed is fixed, so the test is
// deterministic), and the variance of the pathwise estimator of ∂/∂mu of
// E[(x−k)²] is Var[2(x−k)] = 4σ²/n, which must be in its 95% interval
// widened to 4 standard errors.
func TestStatistics(t *testing.T) {
	s := loadDemo(t, "")
	res, err := Run(context.Background(), s, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var skipped, pathwiseMu int
	for _, r := range res.Rows {
		if r.Skipped != "" {
			skipped++
			if r.Estimator != "pathwise" || r.Objective != "step" {
				t.Errorf("unexpected skip: %+v", r)
			}
			continue
		}
		if r.ReferenceMethod != "closed" || r.ReferenceSE != 0 {
			t.Errorf("%s %v %v: reference %s ± %v, want closed", r.Estimator, r.Dist, r.Obj, r.ReferenceMethod, r.ReferenceSE)
		}
		if r.Variance > 0 && math.Abs(r.Bias) > 4*r.SE {
			t.Errorf("%s %v %v n=%d %s: bias %v > 4 SE (%v)", r.Estimator, r.Dist, r.Obj, r.N, r.Param, r.Bias, r.SE)
		}
		if r.Nonfinite != 0 || r.Replications != 4000 {
			t.Errorf("row %+v", r)
		}
		if r.MSE != r.Bias*r.Bias+r.Variance || r.VarianceLo > r.Variance || r.VarianceHi < r.Variance {
			t.Errorf("inconsistent row %+v", r)
		}
		if r.Estimator == "pathwise" && r.Param == "mu" {
			pathwiseMu++
			sigma, _ := r.Get("dist.sigma")
			want := 4 * sigma * sigma / float64(r.N)
			if r.EvalsGrad != float64(r.N) || r.EvalsF != 0 {
				t.Errorf("pathwise evaluations %v f, %v ∇f per estimate, want 0, %d", r.EvalsF, r.EvalsGrad, r.N)
			}
			half := (r.VarianceHi - r.VarianceLo) / 2
			if math.Abs(r.Variance-want) > 4*half/1.96 {
				t.Errorf("pathwise var(mu) %v, want %v (CI [%v, %v])", r.Variance, want, r.VarianceLo, r.VarianceHi)
			}
		}
	}
	// 2 sigma × 1 step × 2 n cells of pathwise on the step objective.
	if skipped != 4 || pathwiseMu != 2*5*2 {
		t.Errorf("skipped %d (want 4), pathwise mu rows %d (want 20)", skipped, pathwiseMu)
	}
}

func TestResumeJournal(t *testing.T) {
	s := loadDemo(t, "quick")
	root := t.TempDir()
	full, err := Run(context.Background(), s, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := canonicalRows(t, full.Rows)
	dir := filepath.Join(root, "r")
	// A cancelled run leaves a journal (of the skipped cells); add a
	// finished cell and a record cut short, as a crash in the middle of a
	// write would leave it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, s, Options{Dir: dir, Workers: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	jpath := filepath.Join(dir, JournalFile)
	j := &journal{path: jpath}
	j.f, _ = os.OpenFile(jpath, os.O_WRONLY|os.O_APPEND, 0)
	first := full.Rows[:2] // cell 0: two components
	if err := j.Append(0, first); err != nil {
		t.Fatal(err)
	}
	j.f.WriteString(`{"cell":1,"csv":"experiment,estim`)
	j.Close()
	res, err := Run(context.Background(), s, Options{Dir: dir, Workers: 2, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed != 1+res.Skipped {
		t.Errorf("resumed %d cells, want 1 + %d skipped", res.Resumed, res.Skipped)
	}
	if got := canonical(t, dir); got != want {
		t.Errorf("resumed run differs from a fresh one")
	}
	if _, err := os.Stat(jpath); !os.IsNotExist(err) {
		t.Errorf("journal left after a complete run: %v", err)
	}
	// Resuming with another spec is refused.
	other := loadDemo(t, "")
	dir2 := filepath.Join(root, "r2")
	os.MkdirAll(dir2, 0o755)
	os.WriteFile(filepath.Join(dir2, JournalFile), []byte(`{"spec_sha256":"x","cells":3}`+"\n"), 0o644)
	if _, err := Run(context.Background(), other, Options{Dir: dir2, Resume: true}); !errors.Is(err, ErrConflict) {
		t.Errorf("resume of another run: %v", err)
	}
}

func TestEverythingSkipped(t *testing.T) {
	src := `name = "skip"
seed = 1
[sweep]
estimators = ["pathwise"]
replications = 10
[[sweep.distributions]]
name = "normal"
[[sweep.objectives]]
name = "step"
`
	s, err := spec.Parse("skip.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	_, err = Run(context.Background(), s, Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "every cell is skipped") {
		t.Errorf("got %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("output folder created")
	}
}
