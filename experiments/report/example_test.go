package report_test

import (
	"os"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

func ExampleSummary() {
	row := func(est, param string, v float64) store.Row {
		return store.Row{Experiment: "demo", Estimator: est, Distribution: "normal", Objective: "quadratic",
			Obj: []store.KV{{Name: "k", Value: 2}}, N: 10, Param: param,
			Variance: v, VarianceLo: 0.9 * v, VarianceHi: 1.1 * v, Evals: 10, VarTimesEvals: 10 * v}
	}
	rows := []store.Row{row("score", "mu", 1.5), row("pathwise", "mu", 0.4)}
	t, err := report.Summary(rows, report.SummaryOptions{By: []string{"obj.k", "param"}, Baseline: "pathwise"})
	if err != nil {
		panic(err)
	}
	t.Write(os.Stdout, table.CSV)
	// Output:
	// obj.k,param,score,score/pathwise,pathwise
	// 2,mu,1.5 ± 0.15,3.75,0.4 ± 0.040
}
