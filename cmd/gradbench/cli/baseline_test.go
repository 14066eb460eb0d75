package cli

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/check"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/sweep"
)

// testEstimatorsEnv names, comma-separated, the test estimators a child
// process of the test binary registers (see childRun). They are registered
// only there, so that `gradbench list` (golden files) and the "all" sweeps
// of the other tests do not see them.
const testEstimatorsEnv = "GRADBENCH_TEST_ESTIMATORS"

// biased is pathwise with every estimate multiplied by 1.25 (a 25% bias)
// that still declares itself unbiased; panics is pathwise that panics on
// the cells whose objective has k = 3.
type testEstimator struct {
	estimators.Pathwise
	name   string
	factor float64
	panics bool
}

func (e *testEstimator) Info() estimators.Info {
	info := e.Pathwise.Info()
	info.Name = e.name
	return info
}

func (e *testEstimator) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	if q, ok := f.(objective.Quadratic); ok && e.panics && q.K == 3 {
		panic("test-panics: k = 3")
	}
	c, err := e.Pathwise.Estimate(grad, p, f, n, rng)
	for j := range grad {
		grad[j] *= e.factor
	}
	return c, err
}

// Replicate loops over Estimate. Without it, the Replicate method of the
// embedded Pathwise (estimators.Replicator) would be promoted, and the
// sweep runner's replications would bypass the factor and the panic.
func (e *testEstimator) Replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (estimators.Cost, error) {
	P := p.NumParams()
	var total estimators.Cost
	for r := range R {
		c, err := e.Estimate(dst[r*P:(r+1)*P], p, f, n, rng)
		if err != nil {
			return total, err
		}
		total.F += c.F
		total.Grad += c.Grad
	}
	return total, nil
}

func init() {
	for _, name := range strings.Split(os.Getenv(testEstimatorsEnv), ",") {
		var e testEstimator
		switch name {
		case "test-biased":
			e = testEstimator{name: name, factor: 1.25}
		case "test-panics":
			e = testEstimator{name: name, factor: 1, panics: true}
		default:
			continue
		}
		estimators.Register(name, func(*estimators.Options) (estimators.Estimator, error) {
			c := e
			return &c, nil
		})
	}
}

// childRun runs the tool in a child process of the test binary (through
// TestRunChild) with the named test estimators registered, and returns its
// exit status, stdout and stderr. env adds environment variables.
func childRun(t *testing.T, testEstimators string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
	cmd.Env = append(os.Environ(), "GRADBENCH_CHILD_ARGS="+strings.Join(args, "\x1f"), testEstimatorsEnv+"="+testEstimators)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

// suiteSpec is a small regression suite: pathwise and score on N(1, 1) with
// (x − k)², k = 0 and 3, n = 4, 4000 replications in 10 blocks. ESTIMATORS
// is replaced by the estimator list.
const suiteSpec = `name = "suite"
seed = 5
[sweep]
estimators = [ESTIMATORS]
n = [4]
replications = 4000
block = 400
[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = 1.0
[[sweep.objectives]]
name = "quadratic"
k = [0.0, 3.0]
`

// writeSuite writes suiteSpec with the given estimators to dir/file.
func writeSuite(t *testing.T, dir, file, estimators string) string {
	t.Helper()
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, []byte(strings.Replace(suiteSpec, "ESTIMATORS", estimators, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBiasedNewEstimatorFailsRegress is the flow of make baseline and make
// regress with a new estimator that has a 25% bias and declares itself
// unbiased: the baseline has none of its cells, yet the check fails naming
// it; gradbench baseline refuses to write its cells, writing nothing, and
// writes them with -force, recording the reason and the refused cells in
// forced.json, of which check then reminds. The bias is 0.25 × ∇ (0.5 to
// 1, i.e. 10 to 50 standard errors at 4000 replications): the batch-means
// t-tests (9 degrees of freedom), Holm-adjusted over the baseline's 12
// bias tests, give p ≤ 4e-4 against α = 0.05 (the check's family adds 8
// variance tests); pathwise's and score's rows are bit-identical to the
// baseline's (same seed), so nothing else can fail. Deterministic (fixed
// seeds).
func TestBiasedNewEstimatorFailsRegress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clean := writeSuite(t, dir, "clean.toml", `"pathwise", "score"`)
	withNew := writeSuite(t, dir, "new.toml", `"pathwise", "score", "test-biased"`)
	base, cleanOut, newOut := filepath.Join(dir, "base"), filepath.Join(dir, "clean"), filepath.Join(dir, "new")

	if st, stderr := runCLI(t, "run", "-q", "-o", cleanOut, clean); st != ExitOK {
		t.Fatalf("run clean: %d %s", st, stderr)
	}
	stdout, stderr, st := run("baseline", "-baseline", base, cleanOut)
	if st != ExitOK || !strings.Contains(stdout, "baseline "+filepath.Join(base, "suite")+" written") {
		t.Fatalf("baseline of the clean run: status %d\n%s%s", st, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(base, "suite", check.ForcedFile)); err == nil {
		t.Error("a clean baseline has a forced.json")
	}
	if st, _, stderr := childRun(t, "test-biased", nil, "run", "-q", "-o", newOut, withNew); st != ExitOK {
		t.Fatalf("run with test-biased: %d %s", st, stderr)
	}

	// The check (as make regress runs it) fails, naming the estimator.
	stdout, stderr, st = run("check", "-baseline", base, newOut)
	if st != ExitFailure || !strings.Contains(stdout, "FAIL") || !strings.Contains(stdout, "4 biased") ||
		!strings.Contains(stdout, "test-biased normal(mu=1,sigma=1) quadratic(k=3) n=4 ∂mu") || !strings.Contains(stdout, "BIASED: new cell") {
		t.Fatalf("check: status %d, want 1 naming test-biased's new cells:\n%s%s", st, stdout, stderr)
	}

	// baseline refuses, names the estimator and its cells, writes nothing.
	before, err := os.ReadFile(filepath.Join(base, "suite", store.CellsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{base, filepath.Join(dir, "fresh")} {
		stdout, stderr, st = run("baseline", "-baseline", dest, newOut)
		if st != ExitFailure || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "4 rows of estimator test-biased BIASED") ||
			!strings.Contains(stderr, "nothing written") || !strings.Contains(stdout, "test-biased normal(mu=1,sigma=1) quadratic(k=0) n=4 ∂sigma") {
			t.Errorf("baseline -baseline %s: status %d, want 1 naming test-biased and its cells:\n%s%s", dest, st, stdout, stderr)
		}
	}
	t.Logf("baseline refuses:\n%s%s", stdout, stderr)
	if after, _ := os.ReadFile(filepath.Join(base, "suite", store.CellsFile)); !bytes.Equal(before, after) {
		t.Error("the refused baseline changed cells.csv")
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh")); err == nil {
		t.Error("the refused baseline created its folder")
	}

	// -force writes it and records why.
	if _, stderr, st := run("baseline", "-baseline", base, "-force", "  ", newOut); st != ExitUsageError || !strings.Contains(stderr, "needs a reason") {
		t.Errorf("-force with a blank reason: status %d %s", st, stderr)
	}
	const reason = "test: keep the biased estimator's cells"
	stdout, stderr, st = run("baseline", "-baseline", base, "-force", reason, newOut)
	if st != ExitOK || !strings.Contains(stdout, "FORCED with 4 refused rows") {
		t.Fatalf("baseline -force: status %d\n%s%s", st, stdout, stderr)
	}
	forced, err := check.LoadForced(filepath.Join(base, "suite"))
	if err != nil || forced == nil {
		t.Fatalf("forced.json: %v, %v", forced, err)
	}
	if forced.Reason != reason || len(forced.Refused) != 4 || forced.Source != newOut || forced.BiasTests != 12 {
		t.Errorf("forced.json: %+v", forced)
	}
	for _, c := range forced.Refused {
		if !strings.HasPrefix(c.Cell, "test-biased ") || c.Verdict != check.Biased {
			t.Errorf("forced.json refuses %+v", c)
		}
	}
	// The check still tests the forced rows for bias, and says the
	// baseline was forced.
	stdout, stderr, st = run("check", "-baseline", base, newOut)
	if st != ExitFailure || !strings.Contains(stderr, "was written with -force \""+reason+"\", 4 refused rows") {
		t.Errorf("check against the forced baseline: status %d\n%s%s", st, stdout, stderr)
	}
	// A clean baseline removes the forced.json.
	if _, stderr, st := run("baseline", "-baseline", base, cleanOut); st != ExitOK {
		t.Fatalf("clean baseline: %d %s", st, stderr)
	}
	if _, err := os.Stat(filepath.Join(base, "suite", check.ForcedFile)); err == nil {
		t.Error("a clean baseline left forced.json behind")
	}
}

// TestRunPanickingEstimator: an estimator that panics on some cells makes
// gradbench run finish the other cells, write them, report the estimator
// and each failed cell in one line on stderr without a stack (unless
// GRADBENCH_TRACEBACK=1), and exit 1; check and baseline then fail those
// cells.
func TestRunPanickingEstimator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeSuite(t, dir, "panic.toml", `"pathwise", "test-panics"`)
	out := filepath.Join(dir, "out")
	st, _, stderr := childRun(t, "test-panics", nil, "run", "-q", "-o", out, path)
	if st != ExitFailure {
		t.Fatalf("status %d, want 1: %s", st, stderr)
	}
	want := "gradbench: " + path + ": estimator test-panics panicked on cell estimator=test-panics|dist=normal(mu=1,sigma=1)|obj=quadratic(k=3)|n=4 (block 0): test-panics: k = 3 [1 of 4 cells failed"
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, want) || strings.Contains(stderr, "goroutine") {
		t.Errorf("stderr %q, want one line starting %q", stderr, want)
	}
	t.Logf("run: status %d, stderr: %s", st, stderr)
	rows, err := store.LoadCells(out)
	if err != nil {
		t.Fatalf("the other cells were not written: %v", err)
	}
	failed, ran := 0, 0
	for _, r := range rows {
		if sweep.IsFailed(&r) {
			failed++
		} else if r.Skipped == "" {
			ran++
		}
	}
	if failed != 1 || ran != 6 { // 2 components × (pathwise × 2 + test-panics at k = 0)
		t.Errorf("%d failed and %d run rows, want 1 and 6", failed, ran)
	}
	if _, _, stderr := childRun(t, "test-panics", []string{"GRADBENCH_TRACEBACK=1"}, "run", "-q", "-o", filepath.Join(dir, "tb"), path); !strings.Contains(stderr, "goroutine") {
		t.Errorf("GRADBENCH_TRACEBACK=1: no stack in %q", stderr)
	}
	stdout, stderr, st := run("baseline", "-baseline", filepath.Join(dir, "base"), out)
	if st != ExitFailure || !strings.Contains(stderr, "1 rows of estimator test-panics FAILED") || !strings.Contains(stdout, "FAILED: failed: estimator panicked") {
		t.Errorf("baseline of a run with a failed cell: status %d\n%s%s", st, stdout, stderr)
	}
}

// TestBaselineHelp: help baseline and baseline -h explain the refusal and
// -force.
func TestBaselineHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help", "baseline"}, {"baseline", "-h"}} {
		stdout, stderr, st := run(args...)
		if st != ExitOK {
			t.Errorf("%v: status %d", args, st)
		}
		help := stdout + stderr // help NAME prints to stdout, NAME -h to stderr
		for _, want := range []string{"Usage: gradbench baseline", "bias test", "non-finite", "-force", "forced.json", "exits with status 1", "check -update"} {
			if !strings.Contains(help, want) {
				t.Errorf("%v: the help lacks %q:\n%s", args, want, help)
			}
		}
	}
	if _, stderr, st := run("baseline"); st != ExitUsageError || !strings.Contains(stderr, "needs at least one RESULTS") {
		t.Errorf("baseline without RESULTS: status %d %s", st, stderr)
	}
}
