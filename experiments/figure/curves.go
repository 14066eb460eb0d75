package figure

import (
	"fmt"
	"math"
	"slices"

	"github.com/gradbench/gradbench/experiments/store"
)

// Curves builds the figure of training runs named name: two panels, the
// objective against the optimizer step (line: mean over seeds; band: 95%
// Student t interval of that mean) and the gradient variance against the
// step on a log axis (line: mean over seeds; band: smallest to largest
// seed). The second panel is left out when no run measured the gradient
// variance. Points of stopped runs are not averaged (store.Aggregate); the
// caption says how many runs stopped.
func Curves(name, title string, points []store.CurvePoint) (*Figure, error) {
	bands := store.Aggregate(points)
	if len(bands) == 0 {
		return nil, fmt.Errorf("no curve points to plot")
	}
	obj := Panel{Title: "objective", XLabel: "step", YLabel: "E[f]"}
	gv := Panel{Title: "gradient variance", XLabel: "step", YLabel: "mean Var[∂/∂θ]", LogY: true}
	var labels []string
	for _, b := range bands {
		if !slices.Contains(labels, b.Estimator) {
			labels = append(labels, b.Estimator)
		}
	}
	stopped := map[string]int{}
	runs := map[string]int{}
	for _, lab := range labels {
		o := Series{Label: lab, Kind: Mean}
		g := Series{Label: lab, Kind: Mean}
		for _, b := range bands {
			if b.Estimator != lab {
				continue
			}
			stopped[lab] = max(stopped[lab], b.Stopped)
			runs[lab] = max(runs[lab], b.Runs)
			if b.N == 0 {
				continue
			}
			x := float64(b.Step)
			o.X, o.Y = append(o.X, x), append(o.Y, b.Mean)
			o.Lo, o.Hi = append(o.Lo, b.Lo), append(o.Hi, b.Hi)
			if !math.IsNaN(b.GradVariance) {
				g.X, g.Y = append(g.X, x), append(g.Y, b.GradVariance)
				g.Lo, g.Hi = append(g.Lo, b.GradVarianceMin), append(g.Hi, b.GradVarianceMax)
			}
		}
		obj.Series = append(obj.Series, o)
		if len(g.X) > 0 {
			gv.Series = append(gv.Series, g)
		}
	}
	f := &Figure{Name: name, Title: title, Panels: []Panel{obj}}
	f.Caption = "Lines: mean over seeds; objective bands: 95% t intervals of the mean"
	if len(gv.Series) > 0 {
		f.Panels = append(f.Panels, gv)
		f.Caption += "; gradient-variance bands: smallest to largest seed"
	}
	f.Caption += "."
	for _, lab := range labels {
		if stopped[lab] > 0 {
			f.Notes = append(f.Notes, fmt.Sprintf("%s: %d of %s stopped early (not averaged after stopping)", lab, stopped[lab], pluralize(runs[lab], "run", "runs")))
		}
	}
	return f, nil
}
