package report

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// FinalMetrics returns the table of a model experiment's metrics at the
// last step: per estimator (in order of appearance) and metric, the mean
// over seeds of each seed's value at the last step it recorded that metric
// (a metric measured at the last step only, as test_iw_full, included),
// ± its standard error, with the 95% Student t interval, and the number of
// seeds. names chooses the metrics and their order; nil takes every metric
// in order of appearance except the shared-parameter probes. published, if
// not nil, holds values reported elsewhere for the first metric (by
// estimator label): two more columns give them and the mean's difference
// from them.
func FinalMetrics(metrics []store.Metric, names []string, published map[string]float64) *table.Table {
	type key struct{ label, name string }
	type last struct {
		step int
		v    float64
	}
	final := map[key]map[int]last{} // seed → value at its last step
	var labels, found []string
	for _, m := range metrics {
		if strings.HasPrefix(m.Name, "probe_") {
			continue
		}
		k := key{m.Estimator, m.Name}
		if final[k] == nil {
			final[k] = map[int]last{}
		}
		if l, ok := final[k][m.Seed]; !ok || m.Step >= l.step {
			final[k][m.Seed] = last{m.Step, m.Value}
		}
		if !slices.Contains(labels, m.Estimator) {
			labels = append(labels, m.Estimator)
		}
		if !slices.Contains(found, m.Name) {
			found = append(found, m.Name)
		}
	}
	if names == nil {
		names = found
	}
	t := &table.Table{Header: []string{"estimator", "seeds"}, RightAlign: []bool{false, true}}
	for _, n := range names {
		t.Header = append(t.Header, n+" ± se [95% ci]")
		t.RightAlign = append(t.RightAlign, true)
	}
	if published != nil && len(names) > 0 {
		t.Header = append(t.Header, "published "+names[0], "difference")
		t.RightAlign = append(t.RightAlign, true, true)
	}
	if len(metrics) > 0 {
		t.Caption = metrics[0].Experiment + ": metrics at the last step, mean over seeds"
	}
	for _, l := range labels {
		row := []string{l, ""}
		seeds := 0
		first := math.NaN()
		for i, n := range names {
			var m stats.Moments
			for _, v := range final[key{l, n}] {
				m.Add(v.v)
			}
			seeds = max(seeds, m.N())
			if m.N() == 0 {
				row = append(row, "-")
				continue
			}
			lo, hi := stats.MeanCI(m, 0.95)
			row = append(row, meanCI(m.Mean(), m.SE(), lo, hi))
			if i == 0 {
				first = m.Mean()
			}
		}
		if published != nil && len(names) > 0 {
			if v, ok := published[l]; ok {
				row = append(row, Num(v), Num(first-v))
			} else {
				row = append(row, "-", "-")
			}
		}
		row[1] = strconv.Itoa(seeds)
		t.Append(row...)
	}
	return t
}
