package report

import (
	"math"
	"slices"
	"strconv"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// Estimators returns one line per estimator label and n, in the order the
// pairs first appear in rows, with totals over every cell and gradient
// component of the sweep: the evaluations per estimate (their mean over
// the cells), Σ bias², Σ variance, Σ MSE, the largest |bias| in standard
// errors, and Σ variance × evaluations, so that estimators of different
// cost are compared at matched evaluations. Skipped and failed cells are
// left out and counted.
func Estimators(rows []store.Row) *table.Table {
	t := &table.Table{
		Header: []string{"estimator", "n", "evals", "Σ squared bias", "Σ variance", "Σ mse", "max |bias|/se",
			"Σ var×evals", "components", "skipped"},
		RightAlign: []bool{false, true, true, true, true, true, true, true, true, true},
	}
	if len(rows) > 0 {
		t.Caption = "Totals per estimator over every cell and component: " + rows[0].Experiment
	}
	type key struct {
		label string
		n     int
	}
	type total struct {
		evals, bias2, variance, mse, maxZ, varEvals float64
		parts, skipped                              int
	}
	var order []key
	sums := map[key]*total{}
	for i := range rows {
		r := &rows[i]
		k := key{label(r), r.N}
		s, ok := sums[k]
		if !ok {
			s = &total{}
			sums[k] = s
			order = append(order, k)
		}
		if r.Skipped != "" {
			s.skipped++
			continue
		}
		s.parts++
		s.evals += r.Evals
		s.bias2 += r.Bias * r.Bias
		s.variance += r.Variance
		s.mse += r.MSE
		s.varEvals += r.VarTimesEvals
		if r.SE > 0 {
			s.maxZ = max(s.maxZ, math.Abs(r.Bias)/r.SE)
		}
	}
	slices.SortStableFunc(order, func(a, b key) int { return a.n - b.n })
	for _, k := range order {
		s := sums[k]
		if s.parts == 0 {
			t.Append(k.label, strconv.Itoa(k.n), NA, NA, NA, NA, NA, NA, "0", strconv.Itoa(s.skipped))
			continue
		}
		t.Append(k.label, strconv.Itoa(k.n), Num(s.evals/float64(s.parts)), Num(s.bias2), Num(s.variance), Num(s.mse),
			Sig(s.maxZ, 2), Num(s.varEvals), strconv.Itoa(s.parts), strconv.Itoa(s.skipped))
	}
	return t
}
