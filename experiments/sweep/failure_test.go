package sweep

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// panicky is the pathwise estimator, except that it panics when the
// objective's k is 0 (in Supports, which Run calls when it plans the cell,
// and on every estimate), and, when k is 1, on the estimates where a
// uniform draw of its own is below 0.01 (some in the blocks: with 500
// replications, all but surely).
type panicky struct {
	estimators.Estimator
}

func (e *panicky) Info() estimators.Info {
	info := e.Estimator.Info()
	info.Name = "test-panicky"
	return info
}

func (e *panicky) Supports(p dist.Distribution, f objective.Objective, n int) error {
	if f.(objective.Quadratic).K == 0 {
		panic("boom at k = 0")
	}
	return nil
}

func (e *panicky) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	switch f.(objective.Quadratic).K {
	case 0:
		panic("boom at k = 0")
	case 1:
		if rng.Float64() < 0.01 {
			var s []int
			_ = s[len(grad)] // index out of range
		}
	}
	return e.Estimator.Estimate(grad, p, f, n, rng)
}

func init() {
	estimators.Register("test-panicky", func(*estimators.Options) (estimators.Estimator, error) {
		return &panicky{Estimator: &estimators.Pathwise{}}, nil
	})
}

const panicSpec = `name = "panic"
seed = 11
[sweep]
estimators = ["pathwise", "test-panicky", "score"]
n = [2]
replications = 500
block = 100
[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = 1.0
[[sweep.objectives]]
name = "quadratic"
k = [0.0, 1.0, 3.0]
`

// TestPanicFailsOnlyItsCell: an estimator that panics on two of its three
// cells (while Run plans one, in a replication block on the other)
// fails those cells only. The run finishes every other cell and writes
// them, bit-identical to a run without the panicking estimator whatever
// the workers; marks the two cells failed, naming the same block whatever
// the workers; returns a FailedError naming the estimator and each cell in
// one line, without a stack; and a resume reruns only the failed cells.
func TestPanicFailsOnlyItsCell(t *testing.T) {
	s, err := spec.Parse("panic.toml", []byte(panicSpec))
	if err != nil {
		t.Fatal(err)
	}
	clean := strings.Replace(panicSpec, `"test-panicky", `, "", 1)
	sc, err := spec.Parse("clean.toml", []byte(clean))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Run(context.Background(), sc, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var failedText []string // the failed rows' skipped column, by workers
	for _, workers := range []int{1, 2} {
		dir := filepath.Join(t.TempDir(), "out")
		res, err := Run(context.Background(), s, Options{Dir: dir, Workers: workers})
		var fe *FailedError
		if !errors.As(err, &fe) {
			t.Fatalf("workers %d: error %v, want a *FailedError", workers, err)
		}
		if res == nil || res.Failed != 2 || len(fe.Failures) != 2 {
			t.Fatalf("workers %d: result %+v, error %v: want 2 failed cells", workers, res, err)
		}
		msg := err.Error()
		lines := strings.Split(msg, "\n")
		if len(lines) != 2 || strings.Contains(msg, "goroutine") {
			t.Errorf("workers %d: message is not one line per failed cell without a stack:\n%s", workers, msg)
		}
		for i, want := range []string{"k=0)|n=2 (planning): boom at k = 0", "k=1)|n=2 (block "} {
			if !strings.HasPrefix(lines[i], "panic.toml: estimator test-panicky panicked on cell estimator=test-panicky|dist=normal(mu=1,sigma=1)|obj=quadratic(") ||
				!strings.Contains(lines[i], want) {
				t.Errorf("workers %d: line %d does not name the estimator, the cell and the panic (%q):\n%s", workers, i, want, lines[i])
			}
		}
		if !strings.Contains(lines[1], "index out of range") || !strings.Contains(lines[1], "[2 of 9 cells failed") {
			t.Errorf("workers %d: last line: %s", workers, lines[1])
		}
		rows, err := store.LoadCells(dir)
		if err != nil {
			t.Fatalf("workers %d: the folder was not written: %v", workers, err)
		}
		var others []store.Row
		text := ""
		for _, r := range rows {
			switch {
			case IsFailed(&r):
				if r.Estimator != "test-panicky" {
					t.Errorf("workers %d: %s failed", workers, r.Estimator)
				}
				text += r.Skipped + "\n"
			case r.Estimator == "test-panicky":
				// k = 3: runs.
			default:
				others = append(others, r)
			}
		}
		failedText = append(failedText, text)
		if canonicalRows(t, others) != canonicalRows(t, want.Rows) {
			t.Errorf("workers %d: the other cells differ from a run without the panicking estimator", workers)
		}
		if _, err := os.Stat(filepath.Join(dir, JournalFile)); err == nil {
			t.Errorf("workers %d: the journal was left behind", workers)
		}
		// A resume reruns the failed cells only (and they fail again).
		res, err = Run(context.Background(), s, Options{Dir: dir, Workers: workers, Resume: true})
		if !errors.As(err, &fe) || res == nil || res.Resumed != s.Sweep.NumCells()-2 {
			t.Errorf("workers %d: resume: %v, result %+v: want a FailedError and %d resumed", workers, err, res, s.Sweep.NumCells()-2)
		}
	}
	if failedText[0] != failedText[1] || !strings.Contains(failedText[0], FailedPrefix+"estimator panicked (block ") {
		t.Errorf("failed rows differ with the workers, or say no block:\n%s---\n%s", failedText[0], failedText[1])
	}
	t.Logf("%s", failedText[0])
}

// TestTracebackEnv: $GRADBENCH_TRACEBACK=1 adds the stacks to the error.
func TestTracebackEnv(t *testing.T) {
	t.Setenv(TracebackEnv, "1")
	s, err := spec.Parse("panic.toml", []byte(panicSpec))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), s, Options{Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "goroutine") {
		t.Errorf("GRADBENCH_TRACEBACK=1: error without a stack: %v", err)
	}
}
