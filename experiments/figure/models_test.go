package figure

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

func TestModelFigure(t *testing.T) {
	t.Parallel()
	src := "experiment,estimator,seed,step,evals,metric,value\n" +
		"e,a,0,0,0,elbo,-10\ne,a,1,0,0,elbo,-12\ne,a,0,10,100,elbo,-5\ne,a,1,10,120,elbo,-7\n" +
		"e,a,0,10,100,var_mu,0\ne,a,0,0,0,var_mu,4\ne,a,0,20,200,var_mu,-1\n"
	ms, err := store.ReadMetrics(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ModelFigure("x", "t", ms, []MetricPanel{{Metric: "elbo", ByEvals: true}, {Metric: "var_mu", LogY: true}})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Panels[0].Series[0]
	if len(s.X) != 2 || s.X[1] != 110 || s.Y[1] != -6 || s.Lo[1] != -7 || s.Hi[1] != -5 {
		t.Fatalf("series %+v", s)
	}
	// On the log panel the negative value is left out and the zero kept
	// (the panel marks it on its x axis).
	if v := f.Panels[1].Series[0]; len(v.X) != 2 || v.Y[1] != 0 || !strings.Contains(f.Caption, "negative values are left out") {
		t.Fatalf("log panel %+v, caption %q", v, f.Caption)
	}
	if pn, err := f.PanelNotes(); err != nil || !slices.Contains(pn[1], "a: 1 point equal to 0, marked on the x axis") {
		t.Fatalf("log panel notes %q, %v", pn, err)
	}
	if _, err := ModelFigure("x", "t", ms, []MetricPanel{{Metric: "nope"}}); err == nil {
		t.Fatal("missing metric accepted")
	}
	if _, err := store.ReadMetrics(strings.NewReader("a,b\n")); err == nil {
		t.Fatal("bad header accepted")
	}
}

// fixtureMetrics returns a metrics.csv of two estimators and two seeds with
// the named metrics at steps 0, 50 and 100; values fall with the step from
// a far-off start (so that linear panels zoom), and variances are positive.
func fixtureMetrics(names ...string) string {
	var b strings.Builder
	b.WriteString("experiment,estimator,seed,step,evals,metric,value\n")
	for _, est := range []string{"pathwise", "score"} {
		for seed := range 2 {
			for _, step := range []int{0, 50, 100} {
				for _, m := range names {
					v := -100 - 1000/float64(step+1) - float64(seed)
					if strings.HasPrefix(m, "var_") {
						v = 1e3 / float64(step+1)
					}
					fmt.Fprintf(&b, "e,%s,%d,%d,%d,%s,%g\n", est, seed, step, 4*step, m, v)
				}
			}
		}
	}
	return b.String()
}

func TestModelFigures(t *testing.T) {
	t.Parallel()
	type fig struct {
		name   string
		panels []string
	}
	for _, tc := range []struct {
		kind    string
		metrics []string
		want    []fig
	}{
		{"blr", []string{"elbo", "elbo_se", "accuracy", "var_mu", "var_logs"}, []fig{
			{"e", []string{"ELBO (full data)", "training accuracy of the mean weights"}},
			{"e-variance", []string{"μ gradient: variance per coordinate", "log s gradient: variance per coordinate"}},
		}},
		{"vae-gaussian", []string{"train_elbo", "test_iw", "minibatch_elbo"}, []fig{
			{"e", []string{"test importance-weighted bound", "test bound at equal evaluations", "training ELBO"}},
		}},
		{"vae-bernoulli", []string{"train_elbo", "test_iw", "minibatch_elbo", "var_enc"}, []fig{
			{"e", []string{"test importance-weighted bound", "test bound at equal evaluations", "training ELBO"}},
			{"e-variance", []string{"encoder gradient: variance per parameter"}},
		}},
	} {
		ms, err := store.ReadMetrics(strings.NewReader(fixtureMetrics(tc.metrics...)))
		if err != nil {
			t.Fatal(err)
		}
		figs, notes, err := ModelFigures("e", "title", ms)
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		if len(notes) != 0 {
			t.Errorf("%s: notes %q", tc.kind, notes)
		}
		if len(figs) != len(tc.want) {
			t.Fatalf("%s: %d figures, want %d", tc.kind, len(figs), len(tc.want))
		}
		for i, f := range figs {
			var titles []string
			for _, p := range f.Panels {
				titles = append(titles, p.Title)
				if len(p.Series) != 2 || p.Series[0].Label != "pathwise" || len(p.Series[0].X) != 3 {
					t.Errorf("%s: %s: series %+v", tc.kind, p.Title, p.Series)
				}
				// The linear panels zoom past the far-off first point.
				if !p.LogY && (p.YMin == 0 || p.OffAxis == "") {
					t.Errorf("%s: %s: not zoomed (y %g..%g)", tc.kind, p.Title, p.YMin, p.YMax)
				}
			}
			if f.Name != tc.want[i].name || !slices.Equal(titles, tc.want[i].panels) {
				t.Errorf("%s: figure %s with panels %q, want %s with %q", tc.kind, f.Name, titles, tc.want[i].name, tc.want[i].panels)
			}
			if !strings.Contains(f.Title, "(2 seeds)") {
				t.Errorf("%s: title %q", tc.kind, f.Title)
			}
			var buf bytes.Buffer
			if err := f.WriteTo(&buf, "svg"); err != nil {
				t.Fatal(err)
			}
			// Each zoomed panel says so under itself, and only there.
			pn, err := f.PanelNotes()
			if err != nil {
				t.Fatal(err)
			}
			for j, p := range f.Panels {
				if n := strings.Count(strings.Join(pn[j], "\n"), "run off"); (n == 1) != !p.LogY {
					t.Errorf("%s: %s: zoom notes %q", tc.kind, p.Title, pn[j])
				}
			}
			if strings.Contains(strings.Join(f.Notes, "\n"), "run off") {
				t.Errorf("%s: zoom note among the figure's notes %q", tc.kind, f.Notes)
			}
		}
	}
}

func TestModelFiguresErrors(t *testing.T) {
	t.Parallel()
	ms, err := store.ReadMetrics(strings.NewReader(fixtureMetrics("elbo", "loss")))
	if err != nil {
		t.Fatal(err)
	}
	if _, notes, err := ModelFigures("e", "t", ms); err != nil || len(notes) != 1 || !strings.Contains(notes[0], `"loss" has no panel`) {
		t.Errorf("unknown metric beside a known one: notes %q, err %v", notes, err)
	}
	ms, _ = store.ReadMetrics(strings.NewReader(fixtureMetrics("loss", "elbo_se")))
	if _, _, err := ModelFigures("e", "t", ms); err == nil || !strings.Contains(err.Error(), "none of the metrics elbo_se, loss has a panel") {
		t.Errorf("undrawable metrics: err %v", err)
	}
	ms, _ = store.ReadMetrics(strings.NewReader("experiment,estimator,seed,step,evals,metric,value\n"))
	if _, _, err := ModelFigures("e", "t", ms); err == nil || !strings.Contains(err.Error(), "no rows") {
		t.Errorf("empty metrics: err %v", err)
	}
	for _, bad := range []string{"", "experiment,estimator\n", "experiment,estimator,seed,step,evals,metric,value\ne,a,x,0,0,elbo,1\n",
		"experiment,estimator,seed,step,evals,metric,value\ne,a,0,0,0,elbo\n"} {
		if _, err := store.ReadMetrics(strings.NewReader(bad)); err == nil {
			t.Errorf("store.ReadMetrics(%q) accepted", bad)
		}
	}
}
