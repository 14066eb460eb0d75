package report

import (
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// Slopes returns, for each estimator label, gradient component and cell
// of a sweep over several sample sizes n, the slope of log RMSE against
// log n (RMSE = √MSE, the root mean squared error of one n-sample
// estimate) fitted by least squares, with its 95% confidence interval
// from the fit's residuals (Student t with points − 2 degrees of
// freedom): −½ for independent samples, steeper for quasi-Monte Carlo
// points on smooth integrands. Groups with fewer than three sizes, and
// cells skipped or with zero or non-finite MSE, are left out. Lines come
// in the order of their groups' first rows.
func Slopes(rows []store.Row) *table.Table {
	t := &table.Table{
		Header:     []string{"estimator", "component", "distribution", "objective", "sizes", "n", "slope", "95% CI"},
		RightAlign: []bool{false, false, false, false, true, false, true, false},
	}
	if len(rows) > 0 {
		t.Caption = "Slope of log RMSE against log n per estimator, component and cell: " + rows[0].Experiment
	}
	type key struct{ label, param, dist, obj string }
	type points struct{ x, y []float64 }
	var order []key
	groups := map[key]*points{}
	for i := range rows {
		r := &rows[i]
		if r.Skipped != "" || !(r.MSE > 0) || math.IsInf(r.MSE, 0) {
			continue
		}
		k := key{r.Estimator, r.Param, withParams(r.Distribution, r.Dist), withParams(r.Objective, r.Obj)}
		g, ok := groups[k]
		if !ok {
			g = &points{}
			groups[k] = g
			order = append(order, k)
		}
		g.x = append(g.x, math.Log(float64(r.N)))
		g.y = append(g.y, 0.5*math.Log(r.MSE))
	}
	for _, k := range order {
		g := groups[k]
		m := len(g.x)
		if m < 3 {
			continue
		}
		slope, se := fitSlope(g.x, g.y)
		half := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(m - 2)}.Quantile(0.975) * se
		sizes := strconv.Itoa(int(math.Round(math.Exp(g.x[0])))) + "–" + strconv.Itoa(int(math.Round(math.Exp(g.x[m-1]))))
		t.Append(k.label, k.param, k.dist, k.obj, strconv.Itoa(m), sizes, Sig(slope, 3),
			"["+Sig(slope-half, 3)+", "+Sig(slope+half, 3)+"]")
	}
	return t
}

// fitSlope returns the least-squares slope of y on x and its standard
// error.
func fitSlope(x, y []float64) (slope, se float64) {
	alpha, beta := stat.LinearRegression(x, y, nil, false)
	var rss float64
	for i := range x {
		e := y[i] - alpha - beta*x[i]
		rss += e * e
	}
	_, vx := stat.PopMeanVariance(x, nil)
	return beta, math.Sqrt(rss / float64(len(x)-2) / (vx * float64(len(x))))
}
