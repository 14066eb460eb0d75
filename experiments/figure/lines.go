package figure

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// ErrNoExact is returned by an ExactFunc for an estimator or setting it has
// no exact value for; the curve is then left out without a note.
var ErrNoExact = errors.New("no exact value")

// ExactFunc returns the exact variance of one estimate for the setting of
// r: r.Estimator, r.Options, r.Distribution with r.Dist, r.Objective with
// r.Obj, r.N and r.Param (the x column already set to the value wanted).
// Lines calls it from several goroutines at once.
type ExactFunc func(r store.Row) (float64, error)

// metric describes a y column.
type metric struct {
	value func(r *store.Row) float64
	// band returns the 95% interval, or ok = false.
	band  func(r *store.Row) (lo, hi float64, ok bool)
	label func(sym string) string
	// exactScale turns an exact variance into the metric (nil: no exact).
	exactScale func(r *store.Row) float64
}

const z95 = 1.959963984540054

var metrics = map[string]metric{
	"variance": {
		value:      func(r *store.Row) float64 { return r.Variance },
		band:       func(r *store.Row) (float64, float64, bool) { return r.VarianceLo, r.VarianceHi, true },
		label:      func(s string) string { return "Var[∂/∂" + s + "]" },
		exactScale: func(*store.Row) float64 { return 1 },
	},
	"var_x_evals": {
		value: func(r *store.Row) float64 { return r.VarTimesEvals },
		band: func(r *store.Row) (float64, float64, bool) {
			return r.VarianceLo * r.Evals, r.VarianceHi * r.Evals, true
		},
		label:      func(s string) string { return "Var[∂/∂" + s + "] × evaluations" },
		exactScale: func(r *store.Row) float64 { return r.Evals },
	},
	"var_x_ns": {
		value: func(r *store.Row) float64 { return r.VarTimesNs },
		band: func(r *store.Row) (float64, float64, bool) {
			return r.VarianceLo * r.NsPerEstimate, r.VarianceHi * r.NsPerEstimate, true
		},
		label: func(s string) string { return "Var[∂/∂" + s + "] × ns" },
	},
	"mse": {
		value: func(r *store.Row) float64 { return r.MSE },
		label: func(s string) string { return "MSE of ∂/∂" + s },
	},
	"rmse": {
		value: func(r *store.Row) float64 { return math.Sqrt(r.MSE) },
		label: func(s string) string { return "RMSE of ∂/∂" + s },
	},
	"bias": {
		value: func(r *store.Row) float64 { return r.Bias },
		band: func(r *store.Row) (float64, float64, bool) {
			return r.Bias - z95*r.SE, r.Bias + z95*r.SE, true
		},
		label: func(s string) string { return "bias of ∂/∂" + s },
	},
	"mean": {
		value: func(r *store.Row) float64 { return r.Mean },
		band: func(r *store.Row) (float64, float64, bool) {
			return r.Mean - z95*r.SE, r.Mean + z95*r.SE, true
		},
		label: func(s string) string { return "mean of ∂/∂" + s },
	},
	"snr": {
		value: func(r *store.Row) float64 { return r.SNR },
		label: func(s string) string { return "SNR of ∂/∂" + s },
	},
	"kurtosis": {
		value: func(r *store.Row) float64 { return r.Kurtosis },
		label: func(s string) string { return "kurtosis of ∂/∂" + s },
	},
}

// Metrics returns the y columns a line plot accepts, sorted.
func Metrics() []string {
	var m []string
	for k := range metrics {
		m = append(m, k)
	}
	sort.Strings(m)
	return m
}

var symbols = map[string]string{
	"mu": "μ", "sigma": "σ", "k": "k", "theta": "θ", "tau": "τ", "alpha": "α", "beta": "β",
	"lambda": "λ", "rate": "λ", "scale": "s", "shape": "a", "dim": "D",
}

// Symbol returns the mathematical symbol of a parameter name ("mu" → "μ",
// "mu[0]" → "μ[0]"); unknown names are returned unchanged.
func Symbol(name string) string {
	base, index := name, ""
	if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
		base, index = name[:i], name[i:]
	}
	if s, ok := symbols[base]; ok {
		return s + index
	}
	return name
}

// axisLabel returns the x-axis label of column col.
func axisLabel(col string) string {
	switch col {
	case "n":
		return "n (samples per estimate)"
	case "replications":
		return "replications"
	}
	name := col
	if i := strings.IndexByte(col, '.'); i >= 0 {
		name = col[i+1:]
	}
	return Symbol(name)
}

// xValue returns the value of column col of r: "n", "replications" or a
// parameter column accepted by store.Row.Get.
func xValue(r *store.Row, col string) (float64, bool) {
	switch col {
	case "n":
		return float64(r.N), true
	case "replications":
		return float64(r.Replications), true
	}
	return r.Get(col)
}

// setX returns a copy of r with column col set to v.
func setX(r store.Row, col string, v float64) store.Row {
	if col == "n" {
		r.N = int(math.Round(v))
		return r
	}
	set := func(kvs []store.KV, name string) ([]store.KV, bool) {
		for i := range kvs {
			if kvs[i].Name == name {
				kvs = slices.Clone(kvs)
				kvs[i].Value = v
				return kvs, true
			}
		}
		return kvs, false
	}
	switch {
	case strings.HasPrefix(col, "dist."):
		r.Dist, _ = set(r.Dist, strings.TrimPrefix(col, "dist."))
	case strings.HasPrefix(col, "obj."):
		r.Obj, _ = set(r.Obj, strings.TrimPrefix(col, "obj."))
	default:
		var ok bool
		if r.Dist, ok = set(r.Dist, col); !ok {
			r.Obj, _ = set(r.Obj, col)
		}
	}
	return r
}

// facetKey describes the settings of r other than the x column, the
// estimator and the component: rows with equal keys share a figure.
func facetKey(r *store.Row, x string) (key string, parts []string) {
	add := func(name, v string) {
		if name != x && "dist."+name != x && "obj."+name != x {
			parts = append(parts, name+"="+v)
		}
	}
	parts = append(parts, "distribution="+r.Distribution, "objective="+r.Objective)
	for _, kv := range r.Dist {
		if "dist."+kv.Name != x && kv.Name != x {
			parts = append(parts, "dist."+kv.Name+"="+store.FormatFloat(kv.Value))
		}
	}
	for _, kv := range r.Obj {
		if "obj."+kv.Name != x && kv.Name != x {
			parts = append(parts, "obj."+kv.Name+"="+store.FormatFloat(kv.Value))
		}
	}
	add("n", strconv.Itoa(r.N))
	return strings.Join(parts, ","), parts
}

// describe returns "quadratic under normal(mu=1, sigma=1), n=10" for the
// settings of r other than the x column.
func describe(r *store.Row, x string) string {
	var dp, op []string
	for _, kv := range r.Dist {
		if "dist."+kv.Name != x && kv.Name != x {
			dp = append(dp, Symbol(kv.Name)+"="+short(kv.Value))
		}
	}
	for _, kv := range r.Obj {
		if "obj."+kv.Name != x && kv.Name != x {
			op = append(op, Symbol(kv.Name)+"="+short(kv.Value))
		}
	}
	s := r.Objective
	if len(op) > 0 {
		s += "(" + strings.Join(op, ", ") + ")"
	}
	s += " under " + r.Distribution
	if len(dp) > 0 {
		s += "(" + strings.Join(dp, ", ") + ")"
	}
	if x != "n" {
		s += fmt.Sprintf(", n = %d", r.N)
	}
	return s
}

// Lines builds the figures of a line-plot recipe ("variance" or "" for
// the default): the metric against the x column, one panel per gradient
// component, one series per estimator, and one figure per combination of
// the other settings (distribution, objective, their other parameters, n).
// Figure names start with name. Skipped rows are left out and counted in
// the caption. rec.YMin and rec.YMax fix every panel's y range, and
// rec.YRanges single panels' (naming a component without a panel is an
// error). exact, if non-nil, draws the exact curves the recipe asks for;
// errors from it other than ErrNoExact become notes of the panel.
func Lines(name string, rows []store.Row, rec spec.Plot, exact ExactFunc) ([]*Figure, error) {
	if rec.Recipe != "" && rec.Recipe != "variance" && rec.Recipe != "lines" {
		return nil, fmt.Errorf("unknown plot recipe %q (want variance)", rec.Recipe)
	}
	mname := rec.Metric
	if mname == "" {
		mname = "variance"
	}
	m, ok := metrics[mname]
	if !ok {
		return nil, fmt.Errorf("unknown plot metric %q (want one of %s)", mname, strings.Join(Metrics(), ", "))
	}
	if rec.X == "" {
		return nil, fmt.Errorf("plot recipe has no x column")
	}
	if rec.Exact != "" && m.exactScale == nil {
		return nil, fmt.Errorf("exact curves are available for variance and var_x_evals, not %s", mname)
	}
	type facet struct {
		key   string
		parts []string
		rows  []*store.Row
	}
	var facets []*facet
	byKey := map[string]*facet{}
	skipped, noX := 0, 0
	var skipOrder []string
	skipBy := map[string]int{} // "label (reason)" → count
	for i := range rows {
		r := &rows[i]
		if len(rec.Params) > 0 && !slices.Contains(rec.Params, r.Param) {
			continue
		}
		if r.Skipped != "" {
			skipped++
			k := r.Estimator + " (" + r.Skipped + ")"
			if skipBy[k] == 0 {
				skipOrder = append(skipOrder, k)
			}
			skipBy[k]++
			continue
		}
		if _, ok := xValue(r, rec.X); !ok {
			noX++
			continue
		}
		key, parts := facetKey(r, rec.X)
		f := byKey[key]
		if f == nil {
			f = &facet{key: key, parts: parts}
			byKey[key] = f
			facets = append(facets, f)
		}
		f.rows = append(f.rows, r)
	}
	if len(facets) == 0 {
		if noX > 0 {
			return nil, fmt.Errorf("no row has the x column %q", rec.X)
		}
		return nil, fmt.Errorf("no rows to plot (%d skipped)", skipped)
	}
	var plotted []*store.Row
	for _, fc := range facets {
		plotted = append(plotted, fc.rows...)
	}
	if err := checkRanges(rec, plotted); err != nil {
		return nil, err
	}
	suffixes := facetSuffixes(facets[0].parts, len(facets), func(i int) []string { return facets[i].parts })
	var figs []*Figure
	for fi, fc := range facets {
		fig := &Figure{Name: name + suffixes[fi], Title: rec.Title}
		if fig.Title == "" {
			fig.Title = describe(fc.rows[0], rec.X)
		} else if len(facets) > 1 {
			fig.Title += "\n" + describe(fc.rows[0], rec.X)
		}
		// Components in order of appearance (or of rec.Params).
		var params []string
		for _, r := range fc.rows {
			if !slices.Contains(params, r.Param) {
				params = append(params, r.Param)
			}
		}
		if len(rec.Params) > 0 {
			params = slices.DeleteFunc(slices.Clone(rec.Params), func(p string) bool { return !slices.Contains(params, p) })
		}
		hasBand := false
		exactDrawn := false
		for _, param := range params {
			sym := Symbol(param)
			pn := Panel{
				Title:  "∂/∂" + sym,
				XLabel: axisLabel(rec.X),
				YLabel: m.label(sym),
				LogX:   rec.LogX, LogY: rec.LogY,
				YMin: rec.YMin, YMax: rec.YMax,
			}
			if i := slices.IndexFunc(rec.YRanges, func(r spec.PanelRange) bool { return r.Param == param }); i >= 0 {
				pn.YMin, pn.YMax = rec.YRanges[i].Min, rec.YRanges[i].Max
			}
			var labels []string
			for _, r := range fc.rows {
				if r.Param == param && !slices.Contains(labels, r.Estimator) {
					labels = append(labels, r.Estimator)
				}
			}
			for _, lab := range labels {
				var pts []*store.Row
				for _, r := range fc.rows {
					if r.Param == param && r.Estimator == lab {
						pts = append(pts, r)
					}
				}
				sort.SliceStable(pts, func(i, j int) bool {
					a, _ := xValue(pts[i], rec.X)
					b, _ := xValue(pts[j], rec.X)
					return a < b
				})
				s := Series{Label: lab, Kind: Points}
				for _, r := range pts {
					x, _ := xValue(r, rec.X)
					s.X = append(s.X, x)
					s.Y = append(s.Y, m.value(r))
					if m.band != nil {
						lo, hi, _ := m.band(r)
						s.Lo = append(s.Lo, lo)
						s.Hi = append(s.Hi, hi)
						hasBand = true
					}
				}
				if exact != nil && rec.Exact != "" {
					c, err := exactCurve(exact, pts, rec, m)
					switch {
					case errors.Is(err, ErrNoExact):
					case err != nil:
						pn.Notes = append(pn.Notes, fmt.Sprintf("%s: no exact curve: %v", lab, err))
					default:
						pn.Series = append(pn.Series, c)
						exactDrawn = true
					}
				}
				pn.Series = append(pn.Series, s)
			}
			fig.Panels = append(fig.Panels, pn)
		}
		var capt []string
		if hasBand {
			if mname == "variance" || mname == "var_x_evals" || mname == "var_x_ns" {
				capt = append(capt, "Markers: Monte Carlo estimates; bands: 95% confidence intervals of the variance.")
			} else {
				capt = append(capt, "Markers: Monte Carlo estimates; bands: ±1.96 standard errors.")
			}
		}
		if exactDrawn {
			capt = append(capt, "Lines: exact values ("+rec.Exact+").")
		}
		if skipped > 0 {
			var parts []string
			for _, k := range skipOrder {
				parts = append(parts, fmt.Sprintf("%s: %d", k, skipBy[k]))
			}
			capt = append(capt, "Skipped cells, not shown: "+strings.Join(parts, "; ")+".")
		}
		fig.Caption = strings.Join(capt, " ")
		figs = append(figs, fig)
	}
	return figs, nil
}

// checkRanges returns an error if a per-panel y range of rec names a
// gradient component that no row (of those plotted) has.
func checkRanges(rec spec.Plot, rows []*store.Row) error {
	var params []string
	for _, r := range rows {
		if !slices.Contains(params, r.Param) {
			params = append(params, r.Param)
		}
	}
	for _, yr := range rec.YRanges {
		if !slices.Contains(params, yr.Param) {
			return fmt.Errorf("y_ranges: no panel for the gradient component %q (the panels are %s)", yr.Param, strings.Join(params, ", "))
		}
	}
	return nil
}

// facetSuffixes returns file-name suffixes that tell the facets apart:
// "" for a single facet, else "-" and the settings that differ.
func facetSuffixes(first []string, n int, parts func(int) []string) []string {
	out := make([]string, n)
	if n == 1 {
		return out
	}
	// Settings (name=value) present in every facet are common.
	count := map[string]int{}
	for i := range n {
		for _, p := range parts(i) {
			count[p]++
		}
	}
	seen := map[string]int{}
	for i := range n {
		var diff []string
		for _, p := range parts(i) {
			if count[p] < n {
				diff = append(diff, p)
			}
		}
		s := "-" + shortSuffix(diff)
		seen[s]++
		if seen[s] > 1 {
			s += fmt.Sprintf("-%d", seen[s])
		}
		out[i] = s
	}
	return out
}

// shortSuffix turns differing settings ("objective=linear", "obj.a=1",
// "dist.mu=-0.5") into a short file-name part ("linear", "mum0p5"): names
// of objectives and families stand alone, and their parameters are left
// out when the objective or family itself differs.
func shortSuffix(diff []string) string {
	objDiffers, distDiffers := false, false
	for _, p := range diff {
		objDiffers = objDiffers || strings.HasPrefix(p, "objective=")
		distDiffers = distDiffers || strings.HasPrefix(p, "distribution=")
	}
	var out []string
	for _, p := range diff {
		name, value, _ := strings.Cut(p, "=")
		switch {
		case name == "objective" || name == "distribution" || name == "estimator":
			out = append(out, value)
		case strings.HasPrefix(name, "obj.") && objDiffers, strings.HasPrefix(name, "dist.") && distDiffers:
		default:
			name = strings.TrimPrefix(strings.TrimPrefix(name, "obj."), "dist.")
			out = append(out, name+strings.NewReplacer("-", "m", ".", "p").Replace(value))
		}
	}
	return sanitize(strings.Join(out, "-"))
}

// sanitize keeps file names portable.
func sanitize(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// exactPoints is the number of points of an exact curve over a continuous
// x column.
const exactPoints = 121

// exactCurve evaluates exact along the x range of pts (a dense grid, or the
// data's own x values where they are all integers).
func exactCurve(exact ExactFunc, pts []*store.Row, rec spec.Plot, m metric) (Series, error) {
	s := Series{Label: pts[0].Estimator, Kind: Curve}
	var xs []float64
	for _, r := range pts {
		x, _ := xValue(r, rec.X)
		xs = append(xs, x)
	}
	grid := xs
	integers := !slices.ContainsFunc(xs, func(x float64) bool { return x != math.Trunc(x) })
	// An integer column (n, a dimension, a class count) gets the exact
	// values at the data's own x only: between them it has no meaning.
	if !integers && rec.X != "n" && rec.X != "replications" && len(xs) > 1 && xs[0] < xs[len(xs)-1] {
		lo, hi := xs[0], xs[len(xs)-1]
		grid = make([]float64, exactPoints)
		for i := range grid {
			t := float64(i) / float64(exactPoints-1)
			if rec.LogX && lo > 0 {
				grid[i] = lo * math.Pow(hi/lo, t)
			} else {
				grid[i] = lo + t*(hi-lo)
			}
		}
		// Include the data's x values so that the curve passes through
		// every Monte Carlo point's abscissa.
		grid = append(grid, xs...)
		slices.Sort(grid)
		grid = slices.Compact(grid)
	}
	// The first point alone (where exact has nothing for this estimator it
	// says so at once), then the others on every core: a point is a
	// quadrature. The values and the first error, in the grid's order, are
	// those of a loop over the grid.
	tmpl := *pts[0]
	vals, errs := make([]float64, len(grid)), make([]error, len(grid))
	at := func(i int) {
		vals[i], errs[i] = exact(setX(tmpl, rec.X, grid[i]))
	}
	if at(0); errs[0] == nil {
		var next atomic.Int64
		next.Store(1)
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(grid)-1) {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(grid); i = int(next.Add(1) - 1) {
					at(i)
				}
			})
		}
		wg.Wait()
	}
	for i, x := range grid {
		if errs[i] != nil {
			return s, errs[i]
		}
		r := setX(tmpl, rec.X, x)
		s.X = append(s.X, x)
		s.Y = append(s.Y, vals[i]*m.exactScale(&r))
	}
	return s, nil
}

// short formats v with at most four significant digits, for titles.
func short(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
