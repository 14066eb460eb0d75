package figure

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/experiments/spec"
)

// Recipes are the plot recipes of a spec's [plot] section: "variance" (a
// metric against a column of the cells, drawn by Lines; "lines" is
// another name for it) and "curves" (training curves, drawn by Curves as
// for every [train] spec).
var Recipes = []string{"variance", "lines", "curves"}

func init() { spec.RegisterCheck(CheckRecipe) }

// CheckRecipe checks the [plot] section of s, if any; package spec runs it
// on every spec it parses (spec.RegisterCheck), so that a recipe that
// cannot be drawn fails before the experiment runs. The recipe must be one
// of Recipes and the metric one of Metrics; exact curves need a metric
// they scale to; the line plot of a sweep needs an x column its cells
// have: "n", "replications" or a parameter of its grids, as dist.NAME,
// obj.NAME or NAME. CheckRecipe returns the offending field and the error.
func CheckRecipe(s *spec.Spec) (field string, err error) {
	rec := s.Plot
	if rec == nil {
		return "", nil
	}
	m, ok := metrics[cmp.Or(rec.Metric, "variance")]
	switch {
	case !slices.Contains(Recipes, rec.Recipe):
		return "plot.recipe", fmt.Errorf("unknown plot recipe %q (want one of %s)", rec.Recipe, strings.Join(Recipes, ", "))
	case !ok:
		return "plot.metric", fmt.Errorf("unknown plot metric %q (want one of %s)", rec.Metric, strings.Join(Metrics(), ", "))
	case rec.Exact != "" && m.exactScale == nil:
		return "plot.exact", fmt.Errorf("exact curves are drawn for the metrics variance and var_x_evals, not %s", rec.Metric)
	case s.Sweep == nil:
		return "", nil // a training spec's figure is its curves
	case rec.Recipe == "curves":
		return "plot.recipe", errors.New(`"curves": the recipe of training specs; a sweep's is "variance"`)
	case rec.X == "":
		return "plot.x", errors.New(`missing: the x column, e.g. "obj.k"`)
	}
	cols := []string{"n", "replications"}
	for prefix, cs := range map[string][]spec.Component{"dist.": s.Sweep.Distributions, "obj.": s.Sweep.Objectives} {
		for _, c := range cs {
			for _, g := range c.Params {
				cols = append(cols, prefix+g.Name)
			}
		}
	}
	slices.Sort(cols[2:])
	cols = slices.Compact(cols)
	if !slices.ContainsFunc(cols, func(c string) bool { return c == rec.X || strings.HasSuffix(c, "."+rec.X) }) {
		return "plot.x", fmt.Errorf("%q: not a column of the sweep's cells (want one of %s)", rec.X, strings.Join(cols, ", "))
	}
	return "", nil
}
