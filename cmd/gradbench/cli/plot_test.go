package cli

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/figure"
	"github.com/gradbench/gradbench/experiments/spec"
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
	t.Parallel()
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
	// quadrature returns a rounding residue near 1e-33): a log axis cannot
	// show it, so it is marked as a zero on the x axis of its panel, and
	// noted as one, not as a point outside the y range.
	if !strings.Contains(stderr, "fig2-test: note: ∂/∂μ: mvd: 1 point equal to 0, marked on the x axis") || strings.Contains(stderr, "outside") {
		t.Errorf("stderr lacks the note on mvd's zero variance:\n%s", stderr)
	}
	if os.Getenv("PLOT_TEST_OUT") != "" {
		os.WriteFile(filepath.Join(os.Getenv("PLOT_TEST_OUT"), "fig2-test.png"), data, 0o644)
	}
}

func TestPlotErrors(t *testing.T) {
	t.Parallel()
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

// TestPlotRecipe draws results by an edited [plot] section (-recipe) with
// per-panel y ranges, and refuses a spec of another experiment or one
// without a recipe.
func TestPlotRecipe(t *testing.T) {
	t.Parallel()
	dir := writeResults(t)
	edited := filepath.Join(t.TempDir(), "fig2-test.toml")
	recipe := strings.Replace(plotTestSpec, "log_y = true\n", "log_y = true\ny_ranges = { sigma = [0.001, 1e5] }\n", 1)
	if err := os.WriteFile(edited, []byte(recipe), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, stderr, st := run("plot", "-o", out, "-formats", "svg", "-recipe", edited, dir); st != 0 {
		t.Fatalf("status %d, stderr:\n%s", st, stderr)
	}
	svg, err := os.ReadFile(filepath.Join(out, "fig2-test.svg"))
	if err != nil {
		t.Fatal(err)
	}
	// The σ panel's axis runs between its fixed range's ends (no data
	// reach them).
	for _, tick := range []string{">0.001<", ">1e5<"} {
		if !bytes.Contains(svg, []byte(tick)) {
			t.Errorf("the σ panel has no tick %s", tick)
		}
	}
	other := filepath.Join(t.TempDir(), "other.toml")
	os.WriteFile(other, []byte(strings.Replace(recipe, `name = "fig2-test"`, `name = "other"`, 1)), 0o644)
	bare := filepath.Join(t.TempDir(), "bare.toml")
	os.WriteFile(bare, []byte(recipe[:strings.Index(recipe, "[plot]")]), 0o644)
	for file, want := range map[string]string{other: `the spec is "other", the results are "fig2-test"`, bare: "has no [plot] recipe"} {
		if _, stderr, st := run("plot", "-o", out, "-recipe", file, dir); st != 2 || !strings.Contains(stderr, want) {
			t.Errorf("-recipe %s: status %d, stderr %q; want 2 and %q", file, st, stderr, want)
		}
	}
	// A model experiment's figures follow no recipe: -recipe is refused,
	// not ignored.
	model := writeModelResults(t, "blr", "fixture")
	if _, stderr, st := run("plot", "-o", out, "-recipe", edited, model); st != 2 || !strings.Contains(stderr, "follow no [plot] recipe") {
		t.Errorf("-recipe on a model experiment: status %d, stderr %q", st, stderr)
	}
}

// TestPlotYRangesSpec checks the parsing of [plot] y_ranges: per-panel
// ranges sorted by component, and one clear error per mistake.
func TestPlotYRangesSpec(t *testing.T) {
	t.Parallel()
	parse := func(extra string) (*spec.Spec, error) {
		src := strings.Replace(plotTestSpec, "log_y = true\n", "log_y = true\n"+extra+"\n", 1)
		return spec.Parse("t.toml", []byte(src))
	}
	sp, err := parse("y_ranges = { sigma = [0.1, 10], mu = [0.005, 0] }")
	if err != nil {
		t.Fatal(err)
	}
	if want := []spec.PanelRange{{Param: "mu", Min: 0.005}, {Param: "sigma", Min: 0.1, Max: 10}}; !slices.Equal(sp.Plot.YRanges, want) {
		t.Errorf("YRanges = %v, want %v", sp.Plot.YRanges, want)
	}
	// The same as a table of its own.
	sp, err = spec.Parse("t.toml", []byte(plotTestSpec+"\n[plot.y_ranges]\nmu = [1, 2]\n"))
	if err != nil || !slices.Equal(sp.Plot.YRanges, []spec.PanelRange{{Param: "mu", Min: 1, Max: 2}}) {
		t.Errorf("[plot.y_ranges]: %v, %v", sp, err)
	}
	for extra, want := range map[string]string{
		`y_ranges = [0.1, 10]`:                             "want a table of component = [min, max]",
		`y_ranges = { sigma = [10, 0.1] }`:                 "[10, 0.1]: want min < max",
		`y_ranges = { sigma = [0.1] }`:                     "want [min, max]",
		`y_ranges = { sigma = ["a", 1] }`:                  "want a number",
		`y_ranges = { sigma = [-1, 10] }`:                  "a log axis needs limits > 0",
		"params = [\"mu\"]\ny_ranges = { sigma = [1, 2] }": `"sigma" is not among the plotted params (mu)`,
		`y_min = -1`: "a log axis needs y_min > 0",
	} {
		_, err := parse(extra)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "t.toml:") {
			t.Errorf("%s: error %v, want one naming the file and %q", extra, err, want)
		}
	}
}

// TestPlotExactComponents: the exact curves give each component of a
// setting the value its quadrature gives (divided by n), for the univariate normal, the
// diagonal normal and an implicitly reparameterized family, whether the
// components are asked for first or again (the function keeps each
// setting's components), and ErrNoExact for a component it does not know.
func TestPlotExactComponents(t *testing.T) {
	t.Parallel()
	sp, err := spec.Parse("t.toml", []byte(`name = "t"
seed = 1
[sweep]
estimators = ["score", "pathwise"]
n = [2]
replications = 10
[[sweep.distributions]]
name = "gamma"
alpha = 2.5
beta = 1.5
[[sweep.distributions]]
name = "normal"
mu = 0.5
sigma = 2.0
[[sweep.distributions]]
name = "mvn"
dim = 2
mu = 0.5
sigma = 1.5
[[sweep.objectives]]
name = "quadratic"
k = 1.0
`))
	if err != nil {
		t.Fatal(err)
	}
	exact, err := plotExact(sp, "persample")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := objective.New("quadratic", map[string]float64{"k": 1})
	g, _ := dist.New("gamma", map[string]float64{"alpha": 2.5, "beta": 1.5})
	p, _ := dist.NewNormal(0.5, 2)
	m, err := dist.New("mvn", map[string]float64{"dim": 2, "mu": 0.5, "sigma": 1.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, est := range []string{"score", "pathwise"} {
		want := map[string]map[string]float64{"gamma": {}, "normal": {}, "mvn": {}}
		v, err := reference.ImplicitPerSampleVariance(est, g, f)
		if err != nil {
			t.Fatal(err)
		}
		want["gamma"]["alpha"], want["gamma"]["beta"] = v[0], v[1]
		vmu, vsigma, err := reference.PerSampleVariance(est, p, f, true)
		if err != nil {
			t.Fatal(err)
		}
		want["normal"]["mu"], want["normal"]["sigma"] = vmu, vsigma
		lin, _ := objective.New("linear", map[string]float64{"a": 1})
		mus, sigmas, err := reference.MVNPerSampleVariance(est, m.(dist.MVNDiag), lin, true)
		if err != nil {
			t.Fatal(err)
		}
		for j := range mus {
			want["mvn"][fmt.Sprintf("mu[%d]", j)], want["mvn"][fmt.Sprintf("sigma[%d]", j)] = mus[j], sigmas[j]
		}
		params := map[string][]store.KV{
			"gamma":  {{Name: "alpha", Value: 2.5}, {Name: "beta", Value: 1.5}},
			"normal": {{Name: "mu", Value: 0.5}, {Name: "sigma", Value: 2}},
			"mvn":    {{Name: "dim", Value: 2}, {Name: "mu", Value: 0.5}, {Name: "sigma", Value: 1.5}},
		}
		for family, comps := range want {
			obj, objParams := "quadratic", []store.KV{{Name: "k", Value: 1}}
			if family == "mvn" {
				obj, objParams = "linear", []store.KV{{Name: "a", Value: 1}}
			}
			for range 2 {
				for _, c := range slices.Sorted(maps.Keys(comps)) {
					r := store.Row{Estimator: est, Distribution: family, Dist: params[family], Objective: obj,
						Obj: objParams, N: 2, Param: c}
					if got, err := exact(r); err != nil || got != comps[c]/2 {
						t.Errorf("%s, %s, %s: %v (%v), want %v", est, family, c, got, err, comps[c]/2)
					}
				}
			}
			r := store.Row{Estimator: est, Distribution: family, Dist: params[family], Objective: obj,
				Obj: objParams, N: 2, Param: "nu"}
			if _, err := exact(r); !errors.Is(err, figure.ErrNoExact) {
				t.Errorf("%s, %s, an unknown component: %v, want ErrNoExact", est, family, err)
			}
		}
	}
}
