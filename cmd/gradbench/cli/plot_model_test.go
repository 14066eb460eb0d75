package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

// modelSpecs are minimal model specs of each kind, recorded in meta.json.
var modelSpecs = map[string]string{
	"blr": `name = "blr-test"
seed = 1
[model]
kind = "blr"
data = "data/breast-cancer/breast_cancer.csv"
estimators = ["pathwise", "score"]
learning_rate = 1e-3
steps = 100
batch = 10
n = 2
eval_every = 50
seeds = 2
`,
	"vae-gaussian": `name = "vae-gaussian-test"
seed = 1
[model]
kind = "vae-gaussian"
estimators = ["pathwise", "score"]
learning_rate = 1e-3
steps = 100
batch = 10
n = 2
eval_every = 50
seeds = 2
`,
	"vae-bernoulli": `name = "vae-bernoulli-test"
seed = 1
[model]
kind = "vae-bernoulli"
layers = "linear"
estimators = ["arm", "disarm"]
learning_rate = 1e-3
steps = 100
batch = 10
n = 2
eval_every = 50
seeds = 2
`,
}

// modelMetrics are the metrics each model kind records.
var modelMetrics = map[string][]string{
	"blr":           {"elbo", "elbo_se", "accuracy", "var_mu", "var_logs"},
	"vae-gaussian":  {"train_elbo", "test_iw", "minibatch_elbo"},
	"vae-bernoulli": {"train_elbo", "test_iw", "minibatch_elbo", "var_enc"},
}

// writeModelResults writes a model results folder of kind: meta.json and,
// unless metrics is "", that text as metrics.csv ("fixture" for two
// estimators × two seeds × three steps of the kind's metrics).
func writeModelResults(t *testing.T, kind, metrics string) string {
	t.Helper()
	dir := t.TempDir()
	name := kind + "-test"
	m := store.NewMeta()
	m.Kind, m.Experiment, m.SpecFile, m.Spec, m.Seed = store.KindModel, name, name+".toml", modelSpecs[kind], 1
	if err := store.SaveMeta(dir, m); err != nil {
		t.Fatal(err)
	}
	if metrics == "fixture" {
		var ms []store.Metric
		ests := []string{"pathwise", "score"}
		if kind == "vae-bernoulli" {
			ests = []string{"arm", "disarm"}
		}
		for ei, est := range ests {
			for seed := range 2 {
				for _, step := range []int{0, 50, 100} {
					for _, name := range modelMetrics[kind] {
						v := -90 - 500/float64(step+1) - 3*float64(ei) - float64(seed)
						switch {
						case strings.HasPrefix(name, "var_"):
							v = (1 + 9*float64(ei)) * 100 / float64(step+1)
						case name == "accuracy":
							v = 0.9 + 0.0005*float64(step) - 0.01*float64(ei)
						}
						ms = append(ms, store.Metric{Experiment: name, Estimator: est, Seed: seed, Step: step, Evals: float64(200*step + 10*ei), Name: name, Value: v})
					}
				}
			}
		}
		if err := store.SaveMetrics(dir, ms); err != nil {
			t.Fatal(err)
		}
	} else if metrics != "" {
		if err := os.WriteFile(filepath.Join(dir, store.MetricsFile), []byte(metrics), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPlotModel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind  string
		files []string
	}{
		{"blr", []string{"blr-test", "blr-test-variance"}},
		{"vae-gaussian", []string{"vae-gaussian-test"}},
		{"vae-bernoulli", []string{"vae-bernoulli-test", "vae-bernoulli-test-variance"}},
	} {
		dir := writeModelResults(t, tc.kind, "fixture")
		out := filepath.Join(t.TempDir(), "figs")
		stdout, stderr, st := run("plot", "-o", out, dir)
		if st != 0 {
			t.Fatalf("%s: status %d, stderr:\n%s", tc.kind, st, stderr)
		}
		var want []string
		for _, f := range tc.files {
			for _, ext := range []string{"png", "svg", "pdf"} {
				want = append(want, filepath.Join(out, f+"."+ext))
			}
		}
		if got := strings.Fields(stdout); !slices.Equal(got, want) {
			t.Errorf("%s: wrote %q, want %q", tc.kind, got, want)
		}
		entries, _ := os.ReadDir(out)
		if len(entries) != len(want) {
			t.Errorf("%s: %d files in the output folder, want %d", tc.kind, len(entries), len(want))
		}
		data, err := os.ReadFile(filepath.Join(out, tc.files[0]+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr, "earlier values run off it") {
			t.Errorf("%s: stderr lacks the note on the zoomed axes:\n%s", tc.kind, stderr)
		}
		if tc.kind == "blr" {
			svg, _ := os.ReadFile(filepath.Join(out, "blr-test.svg"))
			if !bytes.Contains(svg, []byte("Bayesian logistic regression")) {
				t.Errorf("blr: the title lacks the model's description")
			}
		}
		// Deterministic output: a second run writes the same bytes.
		out2 := filepath.Join(t.TempDir(), "figs")
		if _, stderr, st := run("plot", "-o", out2, dir); st != 0 {
			t.Fatalf("%s: second run: status %d, stderr:\n%s", tc.kind, st, stderr)
		}
		for _, f := range want {
			a, _ := os.ReadFile(f)
			b, _ := os.ReadFile(filepath.Join(out2, filepath.Base(f)))
			if !bytes.Equal(a, b) {
				t.Errorf("%s: %s differs between two runs", tc.kind, filepath.Base(f))
			}
		}
		if dir := os.Getenv("PLOT_TEST_OUT"); dir != "" {
			for _, f := range tc.files {
				data, _ := os.ReadFile(filepath.Join(out, f+".png"))
				os.WriteFile(filepath.Join(dir, f+".png"), data, 0o644)
			}
		}
	}
}

func TestPlotModelErrors(t *testing.T) {
	t.Parallel()
	header := "experiment,estimator,seed,step,evals,metric,value\n"
	for _, tc := range []struct {
		name, kind, metrics, want string
	}{
		{"no metrics.csv", "blr", "", "has no metrics.csv"},
		{"bad header", "blr", "a,b,c\n1,2,3\n", `metrics file lacks column "experiment"`},
		{"malformed number", "vae-gaussian", header + "e,pathwise,0,zero,0,test_iw,-100\n", `line 2: column step: "zero" is not an integer`},
		{"short row", "vae-gaussian", header + "e,pathwise,0,0,0,test_iw\n", "wrong number of fields"},
		{"unknown metrics only", "vae-bernoulli", header + "e,arm,0,0,0,loss,1\ne,arm,0,0,0,minibatch_elbo,-3\n", "none of the metrics loss, minibatch_elbo has a panel"},
		{"empty", "blr", header, "has no rows"},
	} {
		dir := writeModelResults(t, tc.kind, tc.metrics)
		out := filepath.Join(t.TempDir(), "figs")
		_, stderr, st := run("plot", "-o", out, dir)
		if st != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: status %d, stderr %q; want 2 and %q", tc.name, st, stderr, tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: the output folder was created", tc.name)
		}
	}
	// A metric without a panel beside drawable ones is reported, not fatal.
	dir := writeModelResults(t, "blr", "experiment,estimator,seed,step,evals,metric,value\ne,pathwise,0,0,0,elbo,-3\ne,pathwise,0,10,5,elbo,-2\ne,pathwise,0,10,5,loss,1\n")
	_, stderr, st := run("plot", "-formats", "svg", "-o", t.TempDir(), dir)
	if st != 0 || !strings.Contains(stderr, `metric "loss" has no panel`) {
		t.Errorf("unknown metric beside elbo: status %d, stderr %q", st, stderr)
	}
}

func TestPlotHelpNamesModelFigures(t *testing.T) {
	t.Parallel()
	_, stderr, _ := run("plot", "-h")
	for _, s := range []string{"NAME-variance", "metrics.csv", "SOURCE_DATE_EPOCH"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("plot -h lacks %q", s)
		}
	}
}
