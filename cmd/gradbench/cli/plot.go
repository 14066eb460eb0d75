package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/figure"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

func init() {
	register(&command{
		name:    "plot",
		args:    "[-o DIR] [-formats png,svg,pdf] RESULTS",
		summary: "render the figures of a results folder by the plot recipe of its spec",
		run:     runPlot,
	})
}

func runPlot(stdout, stderr io.Writer, args []string) error {
	c := commands["plot"]
	fset := newFlagSet(c.name, c.args, c.summary, stderr)
	out := fset.String("o", "", "output `folder` (default: the results folder)")
	formats := fset.String("formats", "png,svg,pdf", "comma-separated figure `formats`: png, svg, pdf")
	if help, err := parseFlags(fset, args); help || err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return usagef("plot takes one results folder, got %d arguments", fset.NArg())
	}
	fmts, err := figure.ParseFormats(*formats)
	if err != nil {
		return &UsageError{Err: err}
	}
	dir := fset.Arg(0)
	if err := resultsFolderCheck(dir); err != nil {
		return err
	}
	if !haveFile(filepath.Join(dir, store.MetaFile)) {
		return usagef("%s has no %s (not a results folder?)", dir, store.MetaFile)
	}
	meta, err := store.LoadMeta(dir)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("%s: %w", filepath.Join(dir, store.MetaFile), err)}
	}
	sp, err := spec.Parse(filepath.Join(dir, store.MetaFile)+" (spec "+meta.SpecFile+")", []byte(meta.Spec))
	if err != nil {
		return &UsageError{Err: fmt.Errorf("the spec recorded in the results does not parse: %w", err)}
	}
	figs, err := PlotFigures(dir, sp)
	if err != nil {
		return err
	}
	outDir := *out
	if outDir == "" {
		outDir = dir
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for _, f := range figs {
		paths, err := f.Save(outDir, fmts)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		for _, n := range f.Notes {
			fmt.Fprintf(stderr, "%s: note: %s\n", f.Name, n)
		}
	}
	return nil
}

// PlotFigures returns the figures of the results in dir by the recipe of
// sp: training curves for a training spec (or the recipe "curves"), else
// the line plots of sp.Plot, with exact curves where the recipe asks for
// them. A sweep spec without a plot recipe is a *UsageError.
func PlotFigures(dir string, sp *spec.Spec) ([]*figure.Figure, error) {
	rec := sp.Plot
	if sp.Train != nil || (rec != nil && rec.Recipe == "curves") {
		pts, err := store.LoadCurves(dir)
		if err != nil {
			return nil, &UsageError{Err: err}
		}
		title := sp.Name
		if rec != nil && rec.Title != "" {
			title = rec.Title
		}
		f, err := figure.Curves(sp.Name, title, pts)
		if err != nil {
			return nil, err
		}
		return []*figure.Figure{f}, nil
	}
	if rec == nil {
		return nil, usagef("the spec of %s has no [plot] recipe", dir)
	}
	exact, err := plotExact(sp, rec.Exact)
	if err != nil {
		return nil, err
	}
	rows, err := store.LoadCells(dir)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	figs, err := figure.Lines(sp.Name, rows, *rec, exact)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("plot recipe of %s: %w", dir, err)}
	}
	return figs, nil
}

// plotExact returns the exact-curve function named by a recipe's exact
// key: "" for none, or "persample" (alias "normal-persample"): the exact
// variance of a one-sample estimate divided by n, by quadrature under the
// univariate normal (reference.PerSampleVariance) or per component under
// the diagonal normal (reference.MVNPerSampleVariance).
func plotExact(sp *spec.Spec, name string) (figure.ExactFunc, error) {
	switch name {
	case "":
		return nil, nil
	case "persample", "normal-persample":
	default:
		return nil, usagef("unknown exact curves %q in the plot recipe (want persample)", name)
	}
	ests := map[string]spec.Estimator{}
	if sp.Sweep != nil {
		for _, e := range sp.Sweep.Estimators {
			ests[e.Label] = e
		}
	}
	return func(r store.Row) (float64, error) {
		e, ok := ests[r.Estimator]
		if !ok || !slices.Contains(reference.PerSampleEstimators, e.Name) || r.N < 1 {
			return 0, figure.ErrNoExact
		}
		if r.Distribution == "mvn" {
			return mvnExact(e, r)
		}
		if r.Distribution != "normal" {
			return 0, figure.ErrNoExact
		}
		coupled := true
		if s, ok := e.Options["coupled"]; ok {
			v, err := strconv.ParseBool(s)
			if err != nil {
				return 0, fmt.Errorf("option coupled = %q: %v", s, err)
			}
			coupled = v
		}
		mu, _ := r.Get("dist.mu")
		sigma, ok := r.Get("dist.sigma")
		if !ok {
			return 0, figure.ErrNoExact
		}
		p, err := dist.NewNormal(mu, sigma)
		if err != nil {
			return 0, err
		}
		params := map[string]float64{}
		for _, kv := range r.Obj {
			params[kv.Name] = kv.Value
		}
		f, err := objective.New(r.Objective, params)
		if err != nil {
			return 0, err
		}
		vmu, vsigma, err := reference.PerSampleVariance(e.Name, p, f, coupled)
		if err != nil {
			return 0, err
		}
		switch r.Param {
		case "mu":
			return vmu / float64(r.N), nil
		case "sigma":
			return vsigma / float64(r.N), nil
		}
		return 0, figure.ErrNoExact
	}, nil
}

// mvnExact returns the exact per-component variance of row r, a cell of the
// diagonal normal family, or figure.ErrNoExact where none is known.
func mvnExact(e spec.Estimator, r store.Row) (float64, error) {
	coupled := true
	if s, ok := e.Options["coupled"]; ok {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return 0, fmt.Errorf("option coupled = %q: %v", s, err)
		}
		coupled = v
	}
	params := map[string]float64{}
	for _, kv := range r.Dist {
		params[kv.Name] = kv.Value
	}
	d, err := dist.New("mvn", params)
	if err != nil {
		return 0, err
	}
	params = map[string]float64{}
	for _, kv := range r.Obj {
		params[kv.Name] = kv.Value
	}
	f, err := objective.New(r.Objective, params)
	if err != nil {
		return 0, err
	}
	vmu, vsigma, err := reference.MVNPerSampleVariance(e.Name, d.(dist.MVNDiag), f, coupled)
	if errors.Is(err, reference.ErrNotApplicable) {
		return 0, figure.ErrNoExact
	} else if err != nil {
		return 0, err
	}
	var j int
	if _, err := fmt.Sscanf(r.Param, "mu[%d]", &j); err == nil && j >= 0 && j < len(vmu) {
		return vmu[j] / float64(r.N), nil
	}
	if _, err := fmt.Sscanf(r.Param, "sigma[%d]", &j); err == nil && j >= 0 && j < len(vsigma) {
		return vsigma[j] / float64(r.N), nil
	}
	return 0, figure.ErrNoExact
}
