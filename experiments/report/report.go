// Package report turns the rows of a results folder (cells.csv) into
// tables: the full layout, one line per cell × gradient component with every
// statistic and its uncertainty, and the summary layout, the variance of
// each estimator side by side per group of cells with its confidence
// interval and its ratio to a baseline estimator; the totals per
// estimator over every cell (Estimators) and the slopes of log RMSE against
// log n (Slopes); for training runs (curves.csv) the objective at the last
// step (Final), and for model runs (metrics.csv) the bounds at the last
// step (FinalMetrics) and the variances at shared parameters (Probes); and
// the provenance of results folders (meta.json). Tables are experiments/table values,
// written as text, Markdown, LaTeX or CSV. The paper's claims, which draw
// verdicts from these results, are in experiments/claims.
package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// NA is printed for a statistic that does not exist.
const NA = "n/a"

// Num formats v with four significant digits, without an exponent for
// magnitudes between 10⁻³ and 10⁶; NaN is NA and ±Inf is "inf" or "-inf".
func Num(v float64) string { return sig(v, 4, true) }

// Sig formats v with digits significant digits (at least 1), trailing
// zeros dropped, in fixed notation for magnitudes between 10⁻³ and 10⁶ and
// with an exponent otherwise; NaN is NA and ±Inf is "inf" or "-inf". Num is
// Sig(v, 4).
func Sig(v float64, digits int) string { return sig(v, max(digits, 1), true) }

// sig formats v with digits significant digits, dropping trailing zeros
// if trim.
func sig(v float64, digits int, trim bool) string {
	switch {
	case math.IsNaN(v):
		return NA
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	if a >= 1e-3 && a < 1e6 {
		// Fixed notation with digits significant digits.
		e := int(math.Floor(math.Log10(a)))
		dec := max(digits-1-e, 0)
		s := strconv.FormatFloat(v, 'f', dec, 64)
		if trim && strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		if s == "-0" {
			s = "0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'e', digits-1, 64)
	// 1.230e-05 → 1.23e-05
	mant, exp, _ := strings.Cut(s, "e")
	if trim && strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	return mant + "e" + exp
}

// PlusMinus formats "v ± e" with v to four and e to two significant digits
// (trailing zeros of e kept).
func PlusMinus(v, e float64) string {
	if math.IsNaN(e) {
		return Num(v)
	}
	return Num(v) + " ± " + sig(e, 2, false)
}

// Interval formats "v [lo, hi]".
func Interval(v, lo, hi float64) string {
	if math.IsNaN(lo) && math.IsNaN(hi) {
		return Num(v)
	}
	return Num(v) + " [" + sig(lo, 3, true) + ", " + sig(hi, 3, true) + "]"
}

// Setting returns the distribution and objective of r with their
// parameters, e.g. "normal(mu=1, sigma=1) / quadratic(k=2)".
func Setting(r *store.Row) string {
	return withParams(r.Distribution, r.Dist) + " / " + withParams(r.Objective, r.Obj)
}

func withParams(name string, kvs []store.KV) string {
	if len(kvs) == 0 {
		return name
	}
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = kv.Name + "=" + Num(kv.Value)
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

// label returns the estimator label with its options, if any.
func label(r *store.Row) string {
	if r.Options == "" {
		return r.Estimator
	}
	return r.Estimator + " [" + r.Options + "]"
}

// Full returns the full table of rows, one line per row, in the rows'
// order: estimator, setting, n, gradient component, mean ± standard error,
// reference (± its standard error when Monte Carlo), bias, variance with its
// 95% interval, evaluations per estimate, variance × evaluations, the count
// of non-finite estimates, and the reason a cell was skipped.
func Full(rows []store.Row) *table.Table {
	t := &table.Table{
		Header: []string{"estimator", "setting", "n", "param", "mean ± se", "reference", "bias",
			"variance [95% ci]", "evals", "var×evals", "nonfinite", "skipped"},
		RightAlign: []bool{false, false, true, false, true, true, true, true, true, true, true, false},
	}
	if len(rows) > 0 {
		t.Caption = "Results: " + rows[0].Experiment
	}
	for i := range rows {
		r := &rows[i]
		if r.Skipped != "" {
			t.Append(label(r), Setting(r), strconv.Itoa(r.N), r.Param, NA, NA, NA, NA, NA, NA, NA, r.Skipped)
			continue
		}
		ref := Num(r.Reference)
		if r.ReferenceSE > 0 {
			ref = PlusMinus(r.Reference, r.ReferenceSE)
		}
		if r.ReferenceMethod != "" && !math.IsNaN(r.Reference) {
			ref += " (" + r.ReferenceMethod + ")"
		}
		t.Append(label(r), Setting(r), strconv.Itoa(r.N), r.Param,
			PlusMinus(r.Mean, r.SE), ref, Num(r.Bias),
			Interval(r.Variance, r.VarianceLo, r.VarianceHi),
			Num(r.Evals), Num(r.VarTimesEvals), strconv.Itoa(r.Nonfinite), "")
	}
	return t
}

// SummaryOptions configures Summary.
type SummaryOptions struct {
	// By lists the columns that define a group (one line of the table):
	// "experiment", "distribution", "objective", "n", "param", "options",
	// "dist.<name>", "obj.<name>", or "dist.*" and "obj.*" for all of them.
	// Empty means the default: one line per cell × component
	// (distribution, dist.*, objective, obj.*, n, param).
	By []string
	// Baseline, if not empty, is the estimator label whose variance the
	// others are divided by in a ratio column.
	Baseline string
	// CostNormalised reports variance × evaluations per estimate instead of
	// the variance.
	CostNormalised bool
}

// DefaultBy is the default grouping of Summary: one line per cell ×
// gradient component.
var DefaultBy = []string{"distribution", "dist.*", "objective", "obj.*", "n", "param"}

// expandBy replaces dist.* and obj.* by the parameter columns of rows and
// checks every column.
func expandBy(by []string, rows []store.Row) ([]string, error) {
	if len(by) == 0 {
		by = DefaultBy
	}
	dists, objs := map[string]bool{}, map[string]bool{}
	var distCols, objCols []string
	for _, r := range rows {
		for _, kv := range r.Dist {
			if !dists[kv.Name] {
				dists[kv.Name] = true
				distCols = append(distCols, "dist."+kv.Name)
			}
		}
		for _, kv := range r.Obj {
			if !objs[kv.Name] {
				objs[kv.Name] = true
				objCols = append(objCols, "obj."+kv.Name)
			}
		}
	}
	var out []string
	for _, c := range by {
		c = strings.TrimSpace(c)
		switch {
		case c == "dist.*":
			out = append(out, distCols...)
		case c == "obj.*":
			out = append(out, objCols...)
		case c == "experiment", c == "distribution", c == "objective", c == "n", c == "param", c == "options":
			out = append(out, c)
		case strings.HasPrefix(c, "dist.") && dists[strings.TrimPrefix(c, "dist.")],
			strings.HasPrefix(c, "obj.") && objs[strings.TrimPrefix(c, "obj.")]:
			out = append(out, c)
		case c == "estimator":
			return nil, fmt.Errorf("-by estimator: estimators are the columns of the summary, not a grouping")
		default:
			return nil, fmt.Errorf("unknown grouping column %q (want experiment, distribution, objective, n, param, options, dist.*, obj.* or a dist.<name> or obj.<name> column of the results)", c)
		}
	}
	return slices.Compact(out), nil
}

func column(r *store.Row, c string) string {
	switch c {
	case "experiment":
		return r.Experiment
	case "distribution":
		return r.Distribution
	case "objective":
		return r.Objective
	case "n":
		return strconv.Itoa(r.N)
	case "param":
		return r.Param
	case "options":
		return r.Options
	}
	if v, ok := r.Get(c); ok {
		return store.FormatFloat(v)
	}
	return ""
}

// display shortens the parameter values of a group key for printing.
func display(by, key []string) []string {
	out := slices.Clone(key)
	for i, c := range by {
		if strings.HasPrefix(c, "dist.") || strings.HasPrefix(c, "obj.") {
			if v, err := strconv.ParseFloat(key[i], 64); err == nil {
				out[i] = Num(v)
			}
		}
	}
	return out
}

// Summary returns the summary table of rows: one line per group (opts.By),
// and for each estimator its variance ± the half-width of the 95%
// confidence interval (the interval is asymmetric; the half-width is
// (hi − lo)/2), and, with a baseline, the ratio of its variance to the
// baseline's. Skipped cells print as "skipped". Several rows of one
// estimator in one group (a grouping coarser than the cells) are an error
// naming the group: add the column that tells them apart to By.
func Summary(rows []store.Row, opts SummaryOptions) (*table.Table, error) {
	by, err := expandBy(opts.By, rows)
	if err != nil {
		return nil, err
	}
	var ests []string
	for i := range rows {
		if !slices.Contains(ests, rows[i].Estimator) {
			ests = append(ests, rows[i].Estimator)
		}
	}
	if opts.Baseline != "" && !slices.Contains(ests, opts.Baseline) {
		return nil, fmt.Errorf("baseline estimator %q is not in the results (have %s)", opts.Baseline, strings.Join(ests, ", "))
	}
	type group struct {
		key  []string
		rows map[string]*store.Row
	}
	var groups []*group
	index := map[string]*group{}
	paramCol := slices.Index(by, "param")
	var wholeCell []*store.Row // skipped rows without a component
	for i := range rows {
		r := &rows[i]
		if r.Skipped != "" && r.Param == "" && paramCol >= 0 {
			wholeCell = append(wholeCell, r)
			continue
		}
		key := make([]string, len(by))
		for j, c := range by {
			key[j] = column(r, c)
		}
		k := strings.Join(key, "\x00")
		g := index[k]
		if g == nil {
			g = &group{key: key, rows: map[string]*store.Row{}}
			index[k] = g
			groups = append(groups, g)
		}
		if prev, dup := g.rows[r.Estimator]; dup {
			return nil, fmt.Errorf("estimator %s has several rows in the group %s (e.g. %s and %s): group by more columns (-by)",
				r.Estimator, describeKey(by, key), Setting(prev)+" n="+strconv.Itoa(prev.N)+" "+prev.Param, Setting(r)+" n="+strconv.Itoa(r.N)+" "+r.Param)
		}
		g.rows[r.Estimator] = r
	}
	// A cell skipped as a whole is skipped for each of its components.
	for _, r := range wholeCell {
		matched := false
		for _, g := range groups {
			same := true
			for j, c := range by {
				if j != paramCol && g.key[j] != column(r, c) {
					same = false
					break
				}
			}
			if same {
				matched = true
				if _, ok := g.rows[r.Estimator]; !ok {
					g.rows[r.Estimator] = r
				}
			}
		}
		if !matched {
			key := make([]string, len(by))
			for j, c := range by {
				key[j] = column(r, c)
			}
			groups = append(groups, &group{key: key, rows: map[string]*store.Row{r.Estimator: r}})
		}
	}
	stat := "variance"
	if opts.CostNormalised {
		stat = "var×evals"
	}
	t := &table.Table{Caption: "Summary: " + stat + " ± 95% CI half-width"}
	if len(rows) > 0 {
		t.Caption = rows[0].Experiment + ": " + stat + " ± 95% CI half-width"
	}
	if opts.Baseline != "" {
		t.Caption += "; ratio to " + opts.Baseline
	}
	t.Header = slices.Clone(by)
	for range by {
		t.RightAlign = append(t.RightAlign, false)
	}
	for _, e := range ests {
		t.Header = append(t.Header, e)
		t.RightAlign = append(t.RightAlign, true)
		if opts.Baseline != "" && e != opts.Baseline {
			t.Header = append(t.Header, e+"/"+opts.Baseline)
			t.RightAlign = append(t.RightAlign, true)
		}
	}
	value := func(r *store.Row) (v, half float64) {
		v, lo, hi := r.Variance, r.VarianceLo, r.VarianceHi
		if opts.CostNormalised {
			v, lo, hi = r.VarTimesEvals, lo*r.Evals, hi*r.Evals
		}
		return v, (hi - lo) / 2
	}
	for _, g := range groups {
		line := display(by, g.key)
		var base float64 = math.NaN()
		if b := g.rows[opts.Baseline]; b != nil && b.Skipped == "" {
			base, _ = value(b)
		}
		for _, e := range ests {
			r := g.rows[e]
			cell, ratio := "", ""
			switch {
			case r == nil:
			case r.Skipped != "":
				cell, ratio = "skipped", NA
			default:
				v, h := value(r)
				cell = PlusMinus(v, h)
				if r.Nonfinite > 0 {
					cell += fmt.Sprintf(" (%d nonfinite)", r.Nonfinite)
				}
				ratio = Ratio(v, base)
			}
			line = append(line, cell)
			if opts.Baseline != "" && e != opts.Baseline {
				line = append(line, ratio)
			}
		}
		t.Append(line...)
	}
	return t, nil
}

// Ratio formats v/base with three significant digits, or NA.
func Ratio(v, base float64) string {
	if math.IsNaN(v) || math.IsNaN(base) || base == 0 {
		return NA
	}
	return sig(v/base, 3, true)
}

func describeKey(by, key []string) string {
	parts := make([]string, len(by))
	for i := range by {
		parts[i] = by[i] + "=" + key[i]
	}
	if len(parts) == 0 {
		return "(all rows)"
	}
	return strings.Join(parts, ", ")
}
