package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

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
		args:    "[-o DIR] [-formats png,svg,pdf] [-recipe SPEC] RESULTS",
		summary: "render the figures of a results folder by the plot recipe of its spec",
		run:     runPlot,
	})
}

const plotHelp = `.
The figures are named after the experiment (NAME, from meta.json) and
written as NAME.png, NAME.svg and NAME.pdf (one file per format):

  sweep (a [plot] recipe)  NAME, or NAME-<value> per value of the recipe's
                           split key
  training ([train])       NAME: objective and gradient variance vs step
  model ([model], a folder with metrics.csv; panels chosen from the
  metrics present, lines the mean over seeds, bands smallest to largest):
    NAME           blr: ELBO and training accuracy vs step;
                   vae-*: test importance-weighted bound vs step and vs
                   evaluations, training ELBO vs step
    NAME-variance  blr: variance of the μ and log s gradients vs step;
                   vae-bernoulli: encoder-gradient variance vs step
                   (log axes; only when the run measured variances)

What a panel cannot show as given (points off a fixed y range, values
of 0 on a log axis, which are marked on its x axis, clipped bands) is
noted under that panel and printed to stderr as "NAME: note: PANEL: ...".
-recipe SPEC draws a sweep or training experiment by the [plot] section
of SPEC, the same experiment with an edited recipe, without rerunning it.

Nothing is written unless every figure renders. Bad results (no meta.json,
a missing or malformed metrics.csv or cells.csv, no drawable metric) exit
with status 2. PDFs carry the date of SOURCE_DATE_EPOCH, so that the
output is byte-for-byte reproducible`

func runPlot(stdout, stderr io.Writer, args []string) error {
	c := commands["plot"]
	fset := newFlagSet(c.name, c.args, c.summary+plotHelp, stderr)
	out := fset.String("o", "", "output `folder` (default: the results folder)")
	formats := fset.String("formats", figure.DefaultFormats, "comma-separated figure `formats`: png, svg, pdf")
	recipe := fset.String("recipe", "", "draw by the [plot] recipe of `SPEC` (a spec of the same experiment) instead of the spec recorded in the results")
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
	sp, specErr := spec.Parse(filepath.Join(dir, store.MetaFile)+" (spec "+meta.SpecFile+")", []byte(meta.Spec))
	kind, err := store.KindOf(dir)
	if err != nil {
		return err
	}
	var figs []*figure.Figure
	var notes []string
	switch {
	case kind == store.KindModel:
		// A model experiment's figures need only its metrics; the spec
		// adds to the title when it parses.
		if *recipe != "" {
			return usagef("-recipe: %s is a model experiment, whose figures follow no [plot] recipe", dir)
		}
		figs, notes, err = ModelPlotFigures(dir, meta.Experiment, sp)
	case specErr != nil:
		return &UsageError{Err: fmt.Errorf("the spec recorded in the results does not parse: %w", specErr)}
	default:
		if *recipe != "" {
			if sp, err = withRecipe(sp, *recipe); err != nil {
				return err
			}
		}
		figs, err = PlotFigures(dir, sp)
	}
	if err != nil {
		return err
	}
	// Render everything before writing anything.
	type file struct {
		path string
		data []byte
	}
	outDir := *out
	if outDir == "" {
		outDir = dir
	}
	var files []file
	for _, f := range figs {
		if f.Name == "" {
			return fmt.Errorf("figure has no name")
		}
		for _, format := range fmts {
			var buf bytes.Buffer
			if err := f.WriteTo(&buf, format); err != nil {
				return fmt.Errorf("figure %s: %w", f.Name, err)
			}
			files = append(files, file{filepath.Join(outDir, f.Name+"."+format), buf.Bytes()})
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for _, fl := range files {
		if err := store.WriteFileAtomic(fl.path, fl.data); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(stdout, fl.path); err != nil {
			return err
		}
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "%s: note: %s\n", meta.Experiment, n)
	}
	for _, f := range figs {
		all, err := f.AllNotes()
		if err != nil {
			return err
		}
		for _, n := range all {
			fmt.Fprintf(stderr, "%s: note: %s\n", f.Name, n)
		}
	}
	return nil
}

// withRecipe returns a copy of sp with the plot recipe of the spec file
// path, which must be a spec of the same name (the results' own spec with
// a changed [plot] section, say): figures can follow an edited recipe
// without rerunning the experiment.
func withRecipe(sp *spec.Spec, path string) (*spec.Spec, error) {
	rs, err := spec.Load(path)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if rs.Name != sp.Name {
		return nil, usagef("-recipe %s: the spec is %q, the results are %q", path, rs.Name, sp.Name)
	}
	if rs.Plot == nil {
		return nil, usagef("-recipe %s: the spec has no [plot] recipe", path)
	}
	cp := *sp
	cp.Plot = rs.Plot
	return &cp, nil
}

// modelTitles describes each model kind in the figures' titles.
var modelTitles = map[string]string{
	"blr":           "Bayesian logistic regression",
	"vae-gaussian":  "Gaussian VAE on MNIST",
	"vae-bernoulli": "Bernoulli VAE on MNIST",
}

// ModelPlotFigures returns the figures of the model experiment in dir (see
// figure.ModelFigures) and notes on metrics it does not draw. Figures are
// named after the experiment name; sp, if not nil, adds the kind of model
// to the titles. A missing or malformed metrics.csv, or one without a
// drawable metric, is a *UsageError.
func ModelPlotFigures(dir, name string, sp *spec.Spec) ([]*figure.Figure, []string, error) {
	ms, err := store.LoadMetrics(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, usagef("%s has no %s (the model run did not finish?)", dir, store.MetricsFile)
	} else if err != nil {
		return nil, nil, usagef("%v", err)
	}
	if name == "" {
		return nil, nil, usagef("%s: meta.json names no experiment", dir)
	}
	title := name
	if sp != nil && sp.Model != nil {
		if d, ok := modelTitles[sp.Model.Kind]; ok {
			if sp.Model.Layers != "" {
				d += ", " + sp.Model.Layers
			}
			title += ": " + d
		}
	}
	figs, notes, err := figure.ModelFigures(name, title, ms)
	if err != nil {
		return nil, nil, usagef("%s: %v", filepath.Join(dir, store.MetricsFile), err)
	}
	return figs, notes, nil
}

// PlotFigures returns the figures of the results in dir by the recipe of
// sp: training curves for a training spec (or the recipe "curves"), else
// the line plots of sp.Plot, with exact curves where the recipe asks for
// them. A sweep spec without a plot recipe is a *UsageError.
func PlotFigures(dir string, sp *spec.Spec) ([]*figure.Figure, error) {
	rec := sp.Plot
	if sp.Train != nil || (rec != nil && rec.Recipe == "curves") {
		pts, err := loadCurvePoints(dir)
		if err != nil {
			return nil, err
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
// key: "" for none, or one of reference.ExactCurves ("persample", alias
// "normal-persample"): the exact
// variance of a one-sample estimate divided by n, by quadrature under the
// univariate normal (reference.PerSampleVariance), per component under
// the diagonal normal (reference.MVNPerSampleVariance), or over the uniform
// behind the sample for other one-dimensional families whose noise is a
// function of uniforms (reference.ImplicitPerSampleVariance).
//
// Each quadrature gives every component of a setting at once, and a
// figure asks for the components one curve at a time, so the function
// keeps the components of each setting (estimator, family and objective
// with their parameters) it has computed.
func plotExact(sp *spec.Spec, name string) (figure.ExactFunc, error) {
	if name == "" {
		return nil, nil
	}
	if !slices.Contains(reference.ExactCurves, name) {
		return nil, usagef("unknown exact curves %q in the plot recipe (want one of %s)", name, strings.Join(reference.ExactCurves, ", "))
	}
	ests := map[string]spec.Estimator{}
	if sp.Sweep != nil {
		for _, e := range sp.Sweep.Estimators {
			ests[e.Label] = e
		}
	}
	type setting struct {
		comps []float64 // per-sample variances, in the family's parameter order
		names []string  // the components' names, as in a row's Param
		err   error
	}
	var mu sync.Mutex // figure.Lines calls from several goroutines
	memo := map[string]setting{}
	return func(r store.Row) (float64, error) {
		e, ok := ests[r.Estimator]
		if !ok || !slices.Contains(reference.PerSampleEstimators, e.Name) || r.N < 1 {
			return 0, figure.ErrNoExact
		}
		key := fmt.Sprint(r.Estimator, r.Distribution, r.Dist, r.Objective, r.Obj)
		mu.Lock()
		s, done := memo[key]
		mu.Unlock()
		if !done {
			s.comps, s.names, s.err = exactComponents(e, r)
			mu.Lock()
			memo[key] = s
			mu.Unlock()
		}
		switch j := slices.Index(s.names, r.Param); {
		case s.err != nil:
			return 0, s.err
		case j < 0:
			return 0, figure.ErrNoExact
		default:
			return s.comps[j] / float64(r.N), nil
		}
	}, nil
}

// exactComponents returns the exact per-sample variance of every component
// of the setting of row r under estimator e, with the components' names,
// or figure.ErrNoExact where none is known.
func exactComponents(e spec.Estimator, r store.Row) ([]float64, []string, error) {
	switch r.Distribution {
	case "mvn":
		return mvnExact(e, r)
	case "normal":
	default:
		return implicitExact(e, r)
	}
	coupled, err := coupledOption(e)
	if err != nil {
		return nil, nil, err
	}
	mu, _ := r.Get("dist.mu")
	sigma, ok := r.Get("dist.sigma")
	if !ok {
		return nil, nil, figure.ErrNoExact
	}
	p, err := dist.NewNormal(mu, sigma)
	if err != nil {
		return nil, nil, err
	}
	f, err := rowObjective(r)
	if err != nil {
		return nil, nil, err
	}
	vmu, vsigma, err := reference.PerSampleVariance(e.Name, p, f, coupled)
	if err != nil {
		return nil, nil, err
	}
	return []float64{vmu, vsigma}, []string{"mu", "sigma"}, nil
}

// coupledOption returns estimator e's option coupled (default true).
func coupledOption(e spec.Estimator) (bool, error) {
	s, ok := e.Options["coupled"]
	if !ok {
		return true, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("option coupled = %q: %v", s, err)
	}
	return v, nil
}

// rowFamily returns the family of row r at its parameters.
func rowFamily(r store.Row) (dist.Distribution, error) {
	params := map[string]float64{}
	for _, kv := range r.Dist {
		params[kv.Name] = kv.Value
	}
	return dist.New(r.Distribution, params)
}

// rowObjective returns the objective of row r at its parameters.
func rowObjective(r store.Row) (objective.Objective, error) {
	params := map[string]float64{}
	for _, kv := range r.Obj {
		params[kv.Name] = kv.Value
	}
	return objective.New(r.Objective, params)
}

// implicitExact returns the exact per-sample variances of the setting of
// row r, a cell of a one-dimensional family whose noise is a function of
// uniforms (the Gamma, the Beta, …), by reference.ImplicitPerSampleVariance,
// or figure.ErrNoExact where it does not apply or its quadrature does not
// converge (very small shapes).
func implicitExact(e spec.Estimator, r store.Row) ([]float64, []string, error) {
	if e.Name == "mvd" {
		return nil, nil, figure.ErrNoExact
	}
	d, err := rowFamily(r)
	if err != nil {
		return nil, nil, err
	}
	f, err := rowObjective(r)
	if err != nil {
		return nil, nil, err
	}
	v, err := reference.ImplicitPerSampleVariance(e.Name, d, f)
	if err != nil {
		return nil, nil, figure.ErrNoExact
	}
	return v, d.ParamNames(), nil
}

// mvnExact returns the exact per-component variances of the setting of row
// r, a cell of the diagonal normal family (components mu[j], then
// sigma[j]), or figure.ErrNoExact where none is known.
func mvnExact(e spec.Estimator, r store.Row) ([]float64, []string, error) {
	coupled, err := coupledOption(e)
	if err != nil {
		return nil, nil, err
	}
	params := map[string]float64{}
	for _, kv := range r.Dist {
		params[kv.Name] = kv.Value
	}
	d, err := dist.New("mvn", params)
	if err != nil {
		return nil, nil, err
	}
	f, err := rowObjective(r)
	if err != nil {
		return nil, nil, err
	}
	vmu, vsigma, err := reference.MVNPerSampleVariance(e.Name, d.(dist.MVNDiag), f, coupled)
	if errors.Is(err, reference.ErrNotApplicable) {
		return nil, nil, figure.ErrNoExact
	} else if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, c := range []string{"mu", "sigma"} {
		for j := range vmu {
			names = append(names, fmt.Sprintf("%s[%d]", c, j))
		}
	}
	return append(slices.Clone(vmu), vsigma...), names, nil
}
