package report

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// Final returns the table of training runs at their last recorded step:
// per estimator, the step, the runs averaged out of all runs, the mean
// objective ± its standard error with the 95% t interval, the mean
// cumulative evaluations, the mean gradient variance, and how many runs
// stopped early (at any step: when every run stopped, the row is the last
// step some run was still going). Estimators are in order of first
// appearance.
func Final(points []store.CurvePoint) *table.Table {
	bands := store.Aggregate(points)
	t := &table.Table{
		Header:     []string{"estimator", "step", "runs", "objective ± se [95% ci]", "evals", "grad variance", "stopped"},
		RightAlign: []bool{false, true, true, true, true, true, true},
	}
	if len(points) > 0 {
		t.Caption = points[0].Experiment + ": objective at the last step"
	}
	last := map[string]int{}
	stopped := map[string]int{}
	var order []string
	for i, b := range bands {
		k := b.Experiment + "\x00" + b.Estimator
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		stopped[k] = max(stopped[k], b.Stopped)
		if b.N > 0 {
			last[k] = i
		} else if _, ok := last[k]; !ok {
			last[k] = i
		}
	}
	for _, k := range order {
		b := bands[last[k]]
		t.Append(b.Estimator, strconv.Itoa(b.Step), fmt.Sprintf("%d/%d", b.N, b.Runs), meanCI(b.Mean, b.SE, b.Lo, b.Hi),
			Num(b.Evals), Num(b.GradVariance), strconv.Itoa(stopped[k]))
	}
	return t
}

// meanCI formats "mean ± se [lo, hi]", the cells of the training tables,
// with the interval's ends (and the mean, when that takes more than four)
// to as many significant digits as tell them apart (at least three).
func meanCI(mean, se, lo, hi float64) string {
	d := 3
	if w, m := math.Abs(hi-lo), max(math.Abs(lo), math.Abs(hi)); w > 0 && !math.IsInf(m, 0) && !math.IsNaN(w) {
		d = max(d, int(math.Floor(math.Log10(m/w)))+3)
	}
	v := PlusMinus(mean, se)
	if d > 4 {
		v = sig(mean, d, true) + " ± " + sig(se, 2, false)
	}
	return v + " [" + sig(lo, d, true) + ", " + sig(hi, d, true) + "]"
}
