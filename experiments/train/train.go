// Package train runs training (convergence) experiments: for every
// estimator of a spec's [train] section and every seed, an optimizer (SGD or
// Adam, see Optimizer) moves the parameters θ of a distribution to minimise
// E_{x~p(x;θ)}[f(x)], using that estimator's gradient estimates. The
// objective, the cost so far and the variance of the gradient estimate are
// recorded against the step, giving the curves of curves.csv
// (store.CurvePoint); store.Aggregate turns them into bands over seeds.
//
// # Randomness and determinism
//
// Each run (estimator label × seed) has two random streams derived from the
// spec seed, the label, the seed index and the stream's name (see newRNG):
// one drives the gradient estimates that move θ, the other every
// measurement (Monte Carlo objectives, variance draws). Measuring therefore
// never changes the trajectory, and the curves are identical whatever the
// number of workers, except for the timing column seconds.
//
// # Parameters that must stay valid
//
// The optimizer works on θ itself. A step that leaves the family's valid
// set (σ ≤ 0, a non-finite value) is not clamped: the run stops there and
// its last curve point has a Status starting with store.StoppedPrefix that
// gives the step, the rejected θ (in its theta columns) and the family's
// error. Options.LogParams optimises chosen positive components on the log
// scale instead, θ_j = exp(u_j), with the chain rule ∂/∂u_j = θ_j ∂/∂θ_j
// applied to the estimate. It changes the curves and is not recorded in
// meta.json, so callers must keep it with the experiment's definition.
package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// Options tunes how a training experiment runs; none of it changes the
// curves except LogParams (and the timing column).
type Options struct {
	// Workers is the number of runs executed in parallel; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Progress, if not nil, receives one line per finished run.
	Progress io.Writer
	// LogParams names components of θ (as in the family's ParamNames, e.g.
	// "sigma" or "sigma[0]") that the optimizer moves on the log scale. Each
	// must be positive initially.
	LogParams []string
}

// setup is a validated training experiment.
type setup struct {
	spec   *spec.Spec
	tr     *spec.Train
	p0     dist.Distribution
	f      objective.Objective
	names  []string // θ component names
	logIdx []int    // indices of θ optimised on the log scale
	sched  Schedule
	method string // objective method
}

// componentParams returns the single value of every parameter of c.
func componentParams(c spec.Component, what string) (map[string]float64, error) {
	m := make(map[string]float64, len(c.Params))
	for _, g := range c.Params {
		if len(g.Values) != 1 {
			return nil, fmt.Errorf("%s %s: parameter %s has %d values, want exactly one in a training run", what, c.Name, g.Name, len(g.Values))
		}
		m[g.Name] = g.Values[0]
	}
	return m, nil
}

// prepare validates s for training and builds what every run shares.
func prepare(s *spec.Spec, opts Options) (*setup, error) {
	if s == nil || s.Train == nil {
		return nil, fmt.Errorf("train: the spec has no [train] section")
	}
	tr := s.Train
	fail := func(format string, args ...any) (*setup, error) {
		return nil, fmt.Errorf("train: %s: %s", s.Name, fmt.Sprintf(format, args...))
	}
	dp, err := componentParams(tr.Distribution, "distribution")
	if err != nil {
		return fail("%v", err)
	}
	p0, err := dist.New(tr.Distribution.Name, dp)
	if err != nil {
		return fail("%v", err)
	}
	op, err := componentParams(tr.Objective, "objective")
	if err != nil {
		return fail("%v", err)
	}
	f, err := objective.New(tr.Objective.Name, op)
	if err != nil {
		return fail("%v", err)
	}
	switch {
	case tr.Steps < 1:
		return fail("steps = %d, want ≥ 1", tr.Steps)
	case tr.N < 1:
		return fail("n = %d, want ≥ 1", tr.N)
	case tr.EvalEvery < 1:
		return fail("eval_every = %d, want ≥ 1", tr.EvalEvery)
	case tr.Seeds < 1:
		return fail("seeds = %d, want ≥ 1", tr.Seeds)
	case tr.VarianceDraws < 0 || tr.VarianceDraws == 1:
		return fail("variance_draws = %d, want 0 (not measured) or ≥ 2", tr.VarianceDraws)
	case len(tr.Estimators) == 0:
		return fail("no estimators")
	}
	if _, err := NewOptimizer(tr.Optimizer, tr.Momentum); err != nil {
		return fail("%v", err)
	}
	sched, err := NewSchedule(tr.Schedule, tr.LearningRate, tr.Steps)
	if err != nil {
		return fail("%v", err)
	}
	st := &setup{spec: s, tr: tr, p0: p0, f: f, names: slices.Clone(p0.ParamNames()), sched: sched,
		method: objectiveMethod(p0, f)}
	if st.method == MethodMonteCarlo && tr.ObjectiveSamples < 1 {
		return fail("objective_samples = %d: the objective of %s under %s needs Monte Carlo samples", tr.ObjectiveSamples, f.Name(), p0.Name())
	}
	theta := p0.Params(nil)
	for _, name := range slices.Concat(tr.LogParams, opts.LogParams) {
		j := slices.Index(st.names, name)
		if j < 0 {
			return fail("log-scale parameter %q: family %s has parameters %s", name, p0.Name(), strings.Join(st.names, ", "))
		}
		if !(theta[j] > 0) {
			return fail("log-scale parameter %s = %v: want > 0", name, theta[j])
		}
		if !slices.Contains(st.logIdx, j) {
			st.logIdx = append(st.logIdx, j)
		}
	}
	labels := map[string]bool{}
	for _, e := range tr.Estimators {
		if labels[e.Label] {
			return fail("estimator label %q is used twice", e.Label)
		}
		labels[e.Label] = true
		est, err := estimators.New(e.Name, e.Options)
		if err != nil {
			return fail("%v", err)
		}
		if err := estimators.Check(est.Info(), p0, f, tr.N); err != nil {
			return fail("estimator %s: %v", e.Label, err)
		}
	}
	return st, nil
}

// Curves runs the training experiment s and returns its curve points,
// ordered by estimator (in spec order), seed and step. It returns an error,
// and no points, for an invalid spec (no [train] section, an unknown or
// unsupported estimator, an invalid setting) or if ctx is cancelled. A run
// whose θ becomes invalid is not an error: it is reported in its points.
func Curves(ctx context.Context, s *spec.Spec, opts Options) ([]store.CurvePoint, error) {
	st, err := prepare(s, opts)
	if err != nil {
		return nil, err
	}
	type job struct {
		e    spec.Estimator
		seed int
	}
	var jobs []job
	for _, e := range st.tr.Estimators {
		for seed := range st.tr.Seeds {
			jobs = append(jobs, job{e, seed})
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([][]store.CurvePoint, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var mu sync.Mutex // guards done and Progress
	done := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				results[i], errs[i] = st.run(ctx, j.e, j.seed)
				if errs[i] != nil {
					cancel()
					continue
				}
				mu.Lock()
				done++
				if opts.Progress != nil {
					fmt.Fprintln(opts.Progress, progressLine(s.Name, results[i], done, len(jobs)))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, e := range errs {
		if e != nil && !errors.Is(e, context.Canceled) && !errors.Is(e, context.DeadlineExceeded) {
			return nil, e
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var points []store.CurvePoint
	for _, r := range results {
		points = append(points, r...)
	}
	return points, nil
}

// progressLine describes a finished run from its curve points.
func progressLine(name string, pts []store.CurvePoint, done, total int) string {
	last := pts[len(pts)-1]
	state := fmt.Sprintf("objective %.6g", last.Objective)
	if last.Stopped() {
		state = last.Status
	}
	return fmt.Sprintf("train %s: %s seed %d: step %d, %s, %.0f evals, %.3gs [%d/%d]",
		name, last.Estimator, last.Seed, last.Step, state, last.Evals, last.Seconds, done, total)
}

// run performs one training run and returns its curve points.
func (st *setup) run(ctx context.Context, e spec.Estimator, seed int) ([]store.CurvePoint, error) {
	tr := st.tr
	est, err := estimators.New(e.Name, e.Options)
	if err != nil {
		return nil, err
	}
	if r, ok := est.(estimators.Resetter); ok {
		r.Reset()
	}
	m := &measurer{f: st.f, method: st.method, samples: tr.ObjectiveSamples, draws: tr.VarianceDraws, n: tr.N,
		rng: newRNG(st.spec.Seed, e.Label, seed, streamMeasure)}
	if m.draws > 0 {
		if m.est, err = estimators.New(e.Name, e.Options); err != nil {
			return nil, err
		}
	}
	rng := newRNG(st.spec.Seed, e.Label, seed, streamTrain)
	opt, err := NewOptimizer(tr.Optimizer, tr.Momentum)
	if err != nil {
		return nil, err
	}

	p := st.p0
	theta := p.Params(nil)
	u := slices.Clone(theta) // the optimizer's variables
	for _, j := range st.logIdx {
		u[j] = math.Log(theta[j])
	}
	g := make([]float64, len(theta))
	var evalsF, evalsGrad int
	var elapsed time.Duration
	points := make([]store.CurvePoint, 0, tr.Steps/tr.EvalEvery+2)

	point := func(step int) store.CurvePoint {
		pt := store.CurvePoint{
			Experiment: st.spec.Name, Estimator: e.Label, Seed: seed, Step: step,
			EvalsF: float64(evalsF), EvalsGrad: float64(evalsGrad), Evals: float64(evalsF + evalsGrad),
			Seconds:   elapsed.Seconds(),
			Objective: math.NaN(), ObjectiveSE: math.NaN(), GradVariance: math.NaN(),
			Theta:  make([]store.KV, len(theta)),
			Status: store.StatusOK,
		}
		for j, v := range theta {
			pt.Theta[j] = store.KV{Name: st.names[j], Value: v}
		}
		return pt
	}
	stop := func(step int, format string, args ...any) []store.CurvePoint {
		pt := point(step)
		pt.Status = store.StoppedPrefix + fmt.Sprintf("step %d: ", step) + fmt.Sprintf(format, args...)
		return append(points, pt)
	}
	// record appends the point of step and reports whether the run goes on.
	record := func(step int) bool {
		pt := point(step)
		var err error
		if pt.Objective, pt.ObjectiveSE, err = m.objective(p); err != nil {
			points = stop(step, "measuring the objective: %v", err)
			return false
		}
		pt.ObjectiveMethod = st.method
		if pt.GradVariance, pt.GradNonfinite, err = m.gradVariance(p, est); err != nil {
			points = stop(step, "measuring the gradient variance: %v", err)
			return false
		}
		points = append(points, pt)
		return true
	}

	if !record(0) {
		return points, nil
	}
	for t := range tr.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step := t + 1
		start := time.Now()
		c, err := est.Estimate(g, p, st.f, tr.N, rng)
		evalsF += c.F
		evalsGrad += c.Grad
		if err != nil {
			elapsed += time.Since(start)
			return stop(step, "gradient estimate: %v", err), nil
		}
		if !allFinite(g) {
			elapsed += time.Since(start)
			return stop(step, "non-finite gradient estimate %v", g), nil
		}
		for _, j := range st.logIdx {
			g[j] *= theta[j] // ∂/∂log θ_j = θ_j ∂/∂θ_j
		}
		opt.Step(u, g, st.sched(t))
		copy(theta, u)
		for _, j := range st.logIdx {
			theta[j] = math.Exp(u[j])
		}
		np, err := p.WithParams(theta)
		elapsed += time.Since(start)
		if err != nil {
			return stop(step, "invalid parameters after the update: %v", err), nil
		}
		p = np
		if step%tr.EvalEvery == 0 || step == tr.Steps {
			if !record(step) {
				return points, nil
			}
		}
	}
	return points, nil
}

// Run runs the training experiment s (see Curves) and writes its results
// to outDir, created if needed: curves.csv, then meta.json with the spec and
// its provenance. Nothing is written if Curves fails.
func Run(ctx context.Context, s *spec.Spec, outDir string, opts Options) error {
	meta := store.NewMeta()
	meta.Start = time.Now().UTC()
	points, err := Curves(ctx, s, opts)
	if err != nil {
		return err
	}
	meta.End = time.Now().UTC()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if err := store.SaveCurves(outDir, points); err != nil {
		return err
	}
	meta.Experiment, meta.SpecFile, meta.SpecSHA256, meta.Spec = s.Name, s.File, s.SHA256, s.Text
	meta.Seed, meta.Profile = s.Seed, s.Profile
	meta.Workers = opts.Workers
	if meta.Workers <= 0 {
		meta.Workers = runtime.GOMAXPROCS(0)
	}
	return store.SaveMeta(outDir, meta)
}
