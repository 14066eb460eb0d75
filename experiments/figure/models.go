package figure

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// ModelMetric is one row of a model experiment's metrics.csv.
type ModelMetric struct {
	Estimator string
	Seed      int
	Step      int
	Evals     float64
	Metric    string
	Value     float64
}

// ReadModelMetrics reads a metrics.csv written by the model runner
// (columns experiment, estimator, seed, step, evals, metric, value).
func ReadModelMetrics(r io.Reader) ([]ModelMetric, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || !slices.Equal(recs[0], []string{"experiment", "estimator", "seed", "step", "evals", "metric", "value"}) {
		return nil, fmt.Errorf("metrics.csv: missing or unexpected header")
	}
	out := make([]ModelMetric, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		seed, e1 := strconv.Atoi(rec[2])
		step, e2 := strconv.Atoi(rec[3])
		evals, e3 := strconv.ParseFloat(rec[4], 64)
		v, e4 := strconv.ParseFloat(rec[6], 64)
		if e1 != nil || e2 != nil || e3 != nil || e4 != nil {
			return nil, fmt.Errorf("metrics.csv: line %d: malformed number", i+2)
		}
		out = append(out, ModelMetric{rec[1], seed, step, evals, rec[5], v})
	}
	return out, nil
}

// MetricPanel is one panel of a model figure: a metric against the step or
// against the evaluations.
type MetricPanel struct {
	Metric, Title, YLabel string
	ByEvals, LogY         bool
}

// ModelFigure builds a figure with one panel per entry of panels from model
// metrics: for every estimator label (in order of first appearance), the
// mean over seeds against the step (or the mean evaluations) and a band from
// the smallest to the largest seed. Non-positive values are left out of log
// panels (the caption says so). It returns an error if a panel's metric has
// no values.
func ModelFigure(name, title string, metrics []ModelMetric, panels []MetricPanel) (*Figure, error) {
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
				if m.Estimator != lab || m.Metric != mp.Metric || math.IsNaN(m.Value) {
					continue
				}
				if mp.LogY && !(m.Value > 0) {
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
		f.Panels = append(f.Panels, p)
	}
	f.Caption = "Lines: mean over seeds; bands: smallest to largest seed"
	if dropped {
		f.Caption += "; non-positive values are left out of log axes"
	}
	return f, nil
}
