package figure

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/experiments/store"
)

// MetricPanel is one panel of a model figure: a metric against the step or
// against the evaluations.
type MetricPanel struct {
	Metric, Title, YLabel string
	ByEvals, LogY         bool
}

// ZoomFraction is the share of the x range whose values a linear panel of
// a model figure leaves out of its y range when they lie outside the range
// of the rest: the first steps of training, whose large initial losses would
// otherwise flatten the differences between estimators.
const ZoomFraction = 0.1

// zoom fits the y range of p to the points (and bands) past the first
// ZoomFraction of its x range, if an earlier point lies outside that range;
// the earlier points run off the axis and a note (the same for every
// panel) says so.
func zoom(p *Panel) {
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, x := range s.X {
			xmin, xmax = min(xmin, x), max(xmax, x)
		}
	}
	cut := xmin + ZoomFraction*(xmax-xmin)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for i, x := range s.X {
			if x < cut {
				continue
			}
			for _, v := range []float64{s.Y[i], s.Lo[i], s.Hi[i]} {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
	}
	if math.IsInf(lo, 0) {
		return
	}
	off := false
	for _, s := range p.Series {
		for i, x := range s.X {
			if x < cut && (s.Y[i] < lo || s.Y[i] > hi) {
				off = true
			}
		}
	}
	if !off {
		return
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = max(0.05*math.Abs(hi), 1e-9)
	}
	p.YMin, p.YMax = lo-pad, hi+pad
	p.OffAxis = fmt.Sprintf("the y axis fits the values past the first %.0f%% of the x axis; earlier values run off it", 100*ZoomFraction)
}

// ModelPanel is one entry of ModelPanels: a metric of a model experiment and
// the panel it is drawn in, if any.
type ModelPanel struct {
	// Metric is the metric name in metrics.csv.
	Metric string
	// Suffix selects the figure: "" for <experiment>, "-variance" for
	// <experiment>-variance.
	Suffix string
	// Panel is how the metric is drawn; Plot false means the metric is
	// known but drawn in no figure (Panel is then unused).
	Panel MetricPanel
	Plot  bool
}

// ModelPanels maps the metrics of the model experiments to panels, in the
// order the panels are drawn. A metric may have several panels (the test
// bound against the step and against the evaluations). The figure
// <experiment> holds the training metrics, <experiment>-variance the
// gradient variances on log axes (Mohamed et al. 2020, Figs 8 and 9 for
// Bayesian logistic regression).
var ModelPanels = []ModelPanel{
	// Bayesian logistic regression.
	{Metric: "elbo", Plot: true, Panel: MetricPanel{Title: "ELBO (full data)", YLabel: "ELBO"}},
	{Metric: "accuracy", Plot: true, Panel: MetricPanel{Title: "training accuracy of the mean weights", YLabel: "accuracy"}},
	{Metric: "elbo_se"}, // the Monte Carlo error of elbo: for tables, not drawn
	{Metric: "var_mu", Suffix: "-variance", Plot: true, Panel: MetricPanel{Title: "μ gradient: variance per coordinate", YLabel: "Var[∂/∂μ]", LogY: true}},
	{Metric: "var_logs", Suffix: "-variance", Plot: true, Panel: MetricPanel{Title: "log s gradient: variance per coordinate", YLabel: "Var[∂/∂log s]", LogY: true}},
	// Variational autoencoders.
	{Metric: "test_iw", Plot: true, Panel: MetricPanel{Title: "test importance-weighted bound", YLabel: "nats per image"}},
	{Metric: "test_iw", Plot: true, Panel: MetricPanel{Title: "test bound at equal evaluations", YLabel: "nats per image", ByEvals: true}},
	{Metric: "train_elbo", Plot: true, Panel: MetricPanel{Title: "training ELBO", YLabel: "nats per image"}},
	{Metric: "minibatch_elbo"}, // the last step's minibatch ELBO: noisy, not drawn
	{Metric: "test_iw_full"},   // the bound on the whole test set, last step only: for tables
	{Metric: "var_enc", Suffix: "-variance", Plot: true, Panel: MetricPanel{Title: "encoder gradient: variance per parameter", YLabel: "Var[∂/∂encoder]", LogY: true}},
}

// ModelFigures returns the figures of a model experiment named name from
// its metrics, with panels chosen by ModelPanels from the metrics present:
// the figure name (when a training metric is present) and name+"-variance"
// (when a gradient variance is). Title heads every figure, followed by the
// figure's subject. Notes lists metrics that no panel draws. It returns an
// error if no metric has a panel.
func ModelFigures(name, title string, metrics []store.Metric) (figs []*Figure, notes []string, err error) {
	present := map[string]bool{}
	for _, m := range metrics {
		present[m.Name] = true
	}
	known := map[string]bool{}
	bySuffix := map[string][]MetricPanel{}
	var suffixes []string
	for _, mp := range ModelPanels {
		known[mp.Metric] = true
		if !mp.Plot || !present[mp.Metric] {
			continue
		}
		if _, ok := bySuffix[mp.Suffix]; !ok {
			suffixes = append(suffixes, mp.Suffix)
		}
		p := mp.Panel
		p.Metric = mp.Metric
		bySuffix[mp.Suffix] = append(bySuffix[mp.Suffix], p)
	}
	var unknown []string
	for m := range present {
		if !known[m] {
			unknown = append(unknown, m)
		}
	}
	slices.Sort(unknown)
	for _, m := range unknown {
		notes = append(notes, fmt.Sprintf("metric %q has no panel and is not drawn", m))
	}
	if len(suffixes) == 0 {
		if len(present) == 0 {
			return nil, nil, fmt.Errorf("%s: metrics.csv has no rows", name)
		}
		return nil, nil, fmt.Errorf("%s: none of the metrics %s has a panel (known: %s)", name,
			strings.Join(slices.Sorted(maps.Keys(present)), ", "), strings.Join(plottedMetrics(), ", "))
	}
	seeds := map[int]bool{}
	for _, m := range metrics {
		seeds[m.Seed] = true
	}
	for _, suf := range suffixes {
		t := title
		if suf == "-variance" {
			t += ": gradient variance"
		}
		t += fmt.Sprintf(" (%d %s)", len(seeds), plural(len(seeds), "seed", "seeds"))
		f, err := ModelFigure(name+suf, t, metrics, bySuffix[suf])
		if err != nil {
			return nil, nil, err
		}
		figs = append(figs, f)
	}
	return figs, notes, nil
}

// plottedMetrics returns the sorted names of the metrics ModelPanels draws.
func plottedMetrics() []string {
	var out []string
	for _, mp := range ModelPanels {
		if mp.Plot && !slices.Contains(out, mp.Metric) {
			out = append(out, mp.Metric)
		}
	}
	slices.Sort(out)
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ModelFigure builds a figure with one panel per entry of panels from model
// metrics: for every estimator label (in order of first appearance), the
// mean over seeds against the step (or the mean evaluations) and a band from
// the smallest to the largest seed. Negative values are left out of log
// panels (the caption says so); a mean of 0 is marked on the x axis. It returns an error if a panel's metric has
// no values.
func ModelFigure(name, title string, metrics []store.Metric, panels []MetricPanel) (*Figure, error) {
	var labels []string
	for _, m := range metrics {
		if !slices.Contains(labels, m.Estimator) {
			labels = append(labels, m.Estimator)
		}
	}
	f := &Figure{Name: name, Title: title}
	dropped := false
	for _, mp := range panels {
		p := Panel{Title: mp.Title, XLabel: "step", YLabel: mp.YLabel, LogY: mp.LogY}
		if mp.ByEvals {
			p.XLabel, p.LogX = "evaluations", false
		}
		found := false
		for _, lab := range labels {
			type acc struct{ sum, evals, lo, hi, n float64 }
			steps := map[int]*acc{}
			var order []int
			for _, m := range metrics {
				if m.Estimator != lab || m.Name != mp.Metric || math.IsNaN(m.Value) {
					continue
				}
				if mp.LogY && m.Value < 0 {
					// Zeros stay: the log panel marks them on its x axis.
					dropped = true
					continue
				}
				a, ok := steps[m.Step]
				if !ok {
					a = &acc{lo: math.Inf(1), hi: math.Inf(-1)}
					steps[m.Step] = a
					order = append(order, m.Step)
				}
				a.sum += m.Value
				a.evals += m.Evals
				a.n++
				a.lo, a.hi = min(a.lo, m.Value), max(a.hi, m.Value)
			}
			if len(order) == 0 {
				continue
			}
			found = true
			slices.Sort(order)
			s := Series{Label: lab, Kind: Mean}
			for _, st := range order {
				a := steps[st]
				x := float64(st)
				if mp.ByEvals {
					x = a.evals / a.n
				}
				s.X, s.Y = append(s.X, x), append(s.Y, a.sum/a.n)
				s.Lo, s.Hi = append(s.Lo, a.lo), append(s.Hi, a.hi)
			}
			p.Series = append(p.Series, s)
		}
		if !found {
			return nil, fmt.Errorf("%s: no values of metric %q", name, mp.Metric)
		}
		if !mp.LogY {
			zoom(&p)
		}
		f.Panels = append(f.Panels, p)
	}
	f.Caption = "Lines: mean over seeds; bands: smallest to largest seed"
	if dropped {
		f.Caption += "; negative values are left out of log axes"
	}
	f.Caption += "."
	return f, nil
}
