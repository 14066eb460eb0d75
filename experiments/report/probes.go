package report

import (
	"slices"
	"strconv"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// HasProbes reports whether metrics hold shared-parameter probes
// (probe_var_enc rows, written by model specs with probe_draws).
func HasProbes(metrics []store.Metric) bool {
	return slices.ContainsFunc(metrics, func(m store.Metric) bool { return m.Name == "probe_var_enc" })
}

// Probes returns the table of shared-parameter probes: for every
// checkpoint of the reference trajectory (step) and every estimator, the
// encoder-gradient variance with its 95% interval, and its ratio to the
// reference estimator's (the first probed) at that checkpoint. Estimators
// and steps are in order of appearance; the seed is the reference run's.
func Probes(metrics []store.Metric) *table.Table {
	type key struct {
		label string
		seed  int
		step  int
	}
	vals := map[key]map[string]float64{}
	var labels []string
	var steps []int
	ref := ""
	for _, m := range metrics {
		switch m.Name {
		case "probe_var_enc", "probe_var_enc_lo", "probe_var_enc_hi", "probe_nonfinite":
		default:
			continue
		}
		if ref == "" {
			ref = m.Estimator
		}
		k := key{m.Estimator, m.Seed, m.Step}
		if vals[k] == nil {
			vals[k] = map[string]float64{}
		}
		vals[k][m.Name] = m.Value
		if !slices.Contains(labels, m.Estimator) {
			labels = append(labels, m.Estimator)
		}
		if !slices.Contains(steps, m.Step) {
			steps = append(steps, m.Step)
		}
	}
	t := &table.Table{
		Header:     []string{"step", "estimator", "variance [95% ci]", "× " + ref, "non-finite"},
		RightAlign: []bool{true, false, true, true, true},
	}
	if len(metrics) > 0 {
		t.Caption = metrics[0].Experiment + ": encoder-gradient variance of every estimator at the parameters of the " +
			ref + " run (seed 0), on shared minibatches"
	}
	for _, step := range steps {
		base := vals[key{ref, 0, step}]["probe_var_enc"]
		for _, l := range labels {
			v, ok := vals[key{l, 0, step}]
			if !ok {
				continue
			}
			t.Append(strconv.Itoa(step), l, Interval(v["probe_var_enc"], v["probe_var_enc_lo"], v["probe_var_enc_hi"]),
				Ratio(v["probe_var_enc"], base), strconv.Itoa(int(v["probe_nonfinite"])))
		}
	}
	return t
}
