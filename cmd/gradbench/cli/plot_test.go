package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/store"
)

const plotTestSpec = `name = "fig2-test"
seed = 1

[sweep]
estimators = ["score", "pathwise", "mvd", {name = "score", label = "score-copy"}]
n = [10]
replications = 100

[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = 1.0

[[sweep.objectives]]
name = "quadratic"
k = { linspace = [-3.0, 3.0, 7] }

[plot]
recipe = "variance"
x = "obj.k"
log_y = true
exact = "normal-persample"
`

// writeResults writes a results folder for plotTestSpec whose variances are
// the exact ones (so the Monte Carlo points sit on the exact curves), with
// an interval of −20%, +25%; "score-copy" is the score function under
// another label (its exact curve is found through the spec).
func writeResults(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m := store.NewMeta()
	m.Experiment, m.SpecFile, m.Spec, m.Seed = "fig2-test", "fig2-test.toml", plotTestSpec, 1
	if err := store.SaveMeta(dir, m); err != nil {
		t.Fatal(err)
	}
	p, _ := dist.NewNormal(1, 1)
	var rows []store.Row
	for i := range 7 {
		k := -3 + float64(i)
		f, err := objective.New("quadratic", map[string]float64{"k": k})
		if err != nil {
			t.Fatal(err)
		}
		for _, est := range []string{"score", "pathwise", "mvd", "score-copy"} {
			name := est
			if est == "score-copy" {
				name = "score"
			}
			vmu, vsigma, err := reference.PerSampleVariance(name, p, f, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				param string
				v     float64
			}{{"mu", vmu / 10}, {"sigma", vsigma / 10}} {
				rows = append(rows, store.Row{
					Experiment: "fig2-test", Estimator: est, Unbiased: true, Distribution: "normal", Objective: "quadratic",
					Dist: []store.KV{{Name: "mu", Value: 1}, {Name: "sigma", Value: 1}}, Obj: []store.KV{{Name: "k", Value: k}},
					N: 10, Replications: 100, Param: c.param, ReferenceMethod: "closed",
					Variance: c.v, VarianceLo: c.v * 0.8, VarianceHi: c.v * 1.25, Evals: 10, VarTimesEvals: c.v * 10,
				})
			}
		}
	}
	if err := store.SaveCells(dir, rows); err != nil {
		t.Fatal(err)
	}
	return dir
}

func run(args ...string) (stdout, stderr string, status int) {
	var o, e bytes.Buffer
	status = Status(Run(&o, &e, args), &e)
	return o.String(), e.String(), status
}

func TestPlotCommand(t *testing.T) {
	dir := writeResults(t)
	out := filepath.Join(t.TempDir(), "figs")
	stdout, stderr, st := run("plot", "-o", out, "-formats", "png,svg", dir)
	if st != 0 {
		t.Fatalf("status %d, stderr:\n%s", st, stderr)
	}
	for _, name := range []string{"fig2-test.png", "fig2-test.svg"} {
		if !strings.Contains(stdout, filepath.Join(out, name)) {
			t.Errorf("stdout lacks %s:\n%s", name, stdout)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "fig2-test.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	// The coupled mvd μ variance of (x − k)² is 0 at k = μ = 1 (the
	// quadrature returns a rounding residue near 1e-33): the point cannot be
	// drawn usefully on the log axis and must be reported.
	if !strings.Contains(stderr, "mvd, ∂/∂μ: 1 points outside the y range") {
		t.Errorf("stderr lacks the note on mvd's zero variance:\n%s", stderr)
	}
	if os.Getenv("PLOT_TEST_OUT") != "" {
		os.WriteFile(filepath.Join(os.Getenv("PLOT_TEST_OUT"), "fig2-test.png"), data, 0o644)
	}
}

func TestPlotErrors(t *testing.T) {
	dir := writeResults(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"plot"}, 2, "one results folder"},
		{[]string{"plot", "-formats", "gif", dir}, 2, `unknown figure format "gif"`},
		{[]string{"plot", filepath.Join(empty, "nope")}, 2, "does not exist"},
		{[]string{"plot", empty}, 2, "has no meta.json"},
	} {
		_, stderr, st := run(tc.args...)
		if st != tc.status || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", tc.args, st, stderr, tc.status, tc.want)
		}
	}
}
