package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// Experiment is a validated training experiment: the runs of a [train] or
// [model] spec and everything they share (data, the initial parameters'
// recipe), built once by Prepare.
type Experiment struct {
	Spec *spec.Spec
	// Kind is store.KindTrain or store.KindModel.
	Kind string
	// Runs are every run of the experiment (estimator × seed), in spec
	// order: estimators in the order given, seeds 0, 1, … for each.
	Runs []RunID

	steps, evalEvery int
	checkpoint       spec.Checkpoint
	// newModel builds the model of one run at its initial parameters.
	newModel func(e spec.Estimator, seed int) (Model, error)
	// summary describes the experiment in one line (the CLI's summary).
	summary string
	// probes, if not empty, are measured at every evaluation of the first
	// estimator's runs (see spec.Model.ProbeDraws).
	probes     []probe
	probeDraws int
}

// probe is an estimator compared at the reference trajectory's parameters.
type probe struct {
	label string
	name  string
	opts  map[string]string
	n     int
}

// prober is implemented by models that measure an estimator's gradient
// variance at their current parameters for a probe: draws estimates in
// blocks independent of each other, on a minibatch drawn from data and
// shared by every probe of the step; est draws from rng.
type prober interface {
	probe(est estimators.Estimator, n, draws, blocks int, data, rng func() *rand.Rand) (v, lo, hi float64, nonfinite int, err error)
}

// RunID names one run of an experiment.
type RunID struct {
	Index     int // position in Experiment.Runs
	Estimator spec.Estimator
	Seed      int
}

func (id RunID) String() string { return fmt.Sprintf("%s seed %d", id.Estimator.Label, id.Seed) }

// Prepare validates a [train] or [model] spec and builds what its runs
// share: it loads the data, checks every estimator against the model, and
// builds the first run's model, so that a spec error surfaces before any
// run starts.
func Prepare(s *spec.Spec) (*Experiment, error) {
	var x *Experiment
	var err error
	switch {
	case s == nil:
		return nil, fmt.Errorf("train: no spec")
	case s.Train != nil:
		x, err = prepareToy(s)
	case s.Model != nil:
		x, err = prepareModel(s)
	default:
		return nil, fmt.Errorf("train: %s has neither a [train] nor a [model] section", s.Name)
	}
	if err != nil {
		return nil, err
	}
	if len(x.Runs) == 0 {
		return nil, fmt.Errorf("train: %s: no runs", s.Name)
	}
	if _, err := x.newModel(x.Runs[0].Estimator, 0); err != nil {
		return nil, fmt.Errorf("train: %s: %w", s.Name, err)
	}
	return x, nil
}

// runs lists estimator × seed in spec order, checking labels are unique
// and every estimator exists.
func runs(name string, es []spec.Estimator, seeds int) ([]RunID, error) {
	if len(es) == 0 {
		return nil, fmt.Errorf("train: %s: no estimators", name)
	}
	if seeds < 1 {
		return nil, fmt.Errorf("train: %s: seeds = %d, want ≥ 1", name, seeds)
	}
	labels := map[string]bool{}
	var out []RunID
	for _, e := range es {
		if labels[e.Label] {
			return nil, fmt.Errorf("train: %s: estimator label %q is used twice", name, e.Label)
		}
		labels[e.Label] = true
		if _, err := estimators.New(e.Name, e.Options); err != nil {
			return nil, fmt.Errorf("train: %s: %w", name, err)
		}
		for seed := range seeds {
			out = append(out, RunID{Index: len(out), Estimator: e, Seed: seed})
		}
	}
	return out, nil
}

// RunResult is what one finished run recorded.
type RunResult struct {
	ID      RunID
	Points  []store.CurvePoint
	Metrics []store.Metric
	// Steps is the number of steps this process ran (0 for a run restored
	// finished from a checkpoint).
	Steps int
}

// Options tunes how an experiment runs; none of it changes the results
// except the timing column seconds.
type Options struct {
	// Dir is the results folder (Run only).
	Dir string
	// Workers is the number of runs executed in parallel; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Shard and Shards select the runs whose index mod Shards is Shard
	// (0 ≤ Shard < Shards; Shards 0 or 1: every run).
	Shard, Shards int
	// Resume continues an interrupted run in Dir from its checkpoints.
	Resume bool
	// Progress, if not nil, receives progress: a live status line when
	// Terminal, else one line per finished run.
	Progress io.Writer
	Terminal bool
}

func (o *Options) workers(n int) int {
	w := o.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, n))
}

// Curves runs every run of the training experiment s in memory (no
// folder, no checkpoints) and returns the curve points, ordered by
// estimator (in spec order), seed and step.
func Curves(ctx context.Context, s *spec.Spec, opts Options) ([]store.CurvePoint, error) {
	x, err := Prepare(s)
	if err != nil {
		return nil, err
	}
	res, err := x.execute(ctx, x.Runs, nil, opts)
	if err != nil {
		return nil, err
	}
	var points []store.CurvePoint
	for _, r := range res {
		points = append(points, r.Points...)
	}
	return points, nil
}

// execute runs the given runs with a pool of workers and returns their
// results in the order given. The first failure cancels the runs still
// going (each saves a checkpoint first when ck is not nil) and is returned.
func (x *Experiment) execute(ctx context.Context, ids []RunID, ck *checkpointer, opts Options) ([]RunResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	prog := newProgress(x, ids, opts)
	defer prog.stop()
	results := make([]RunResult, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range opts.workers(len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := x.run(ctx, ids[i], ck, prog)
				if err != nil {
					cancel(fmt.Errorf("%s: %s: %w", x.Spec.Name, ids[i], err))
					continue
				}
				results[i] = r
				prog.finished(r)
			}
		}()
	}
feed:
	for i := range ids {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

// runState is the progress of one run: everything a checkpoint holds
// besides the model, optimizers, estimator and streams.
type runState struct {
	Step              int
	EvalsF, EvalsGrad float64
	Seconds           float64
	Objective         float64 // the last evaluation's objective
	Done              bool
	Points            []store.CurvePoint
	Metrics           []store.Metric
}

// runProbes measures every probe estimator at the model's current
// parameters and appends probe_var_enc with its 95% interval
// (probe_var_enc_lo, probe_var_enc_hi) and probe_nonfinite to metrics, under
// the probe's label. Its random streams depend only on (spec seed, seed,
// step, probe label), so probes need no checkpoint state.
func (x *Experiment) runProbes(model Model, id RunID, step int, evals float64, metrics *[]store.Metric) error {
	pm, ok := model.(prober)
	if !ok {
		return fmt.Errorf("the model has no probes")
	}
	tag := fmt.Sprintf("@%d", step)
	for _, p := range x.probes {
		est, err := estimators.New(p.name, p.opts)
		if err != nil {
			return err
		}
		data := func() *rand.Rand { return rand.New(newPCG(x.Spec.Seed, "", id.Seed, "probe-data"+tag)) }
		rng := func() *rand.Rand { return rand.New(newPCG(x.Spec.Seed, p.label, id.Seed, "probe"+tag)) }
		// A fresh estimator, frozen: stateful ones (REBAR, RELAX) are
		// compared in their initial state.
		v, lo, hi, nf, err := pm.probe(estimators.Snapshot(est), p.n, x.probeDraws, spec.ProbeBlocks, data, rng)
		if err != nil {
			return fmt.Errorf("%s: %w", p.label, err)
		}
		for _, kv := range []store.KV{{Name: "probe_var_enc", Value: v}, {Name: "probe_var_enc_lo", Value: lo},
			{Name: "probe_var_enc_hi", Value: hi}, {Name: "probe_nonfinite", Value: float64(nf)}} {
			*metrics = append(*metrics, store.Metric{Experiment: x.Spec.Name, Estimator: p.label, Seed: id.Seed,
				Step: step, Evals: evals, Name: kv.Name, Value: kv.Value})
		}
	}
	return nil
}

// stepHook, if not nil, is called after every Step (tests).
var stepHook func(id RunID, step int, m Model)

// afterSave, if not nil, is called after every checkpoint save (tests).
var afterSave func(id RunID, step int)

func isEval(step, every, steps int) bool { return step == 0 || step == steps || step%every == 0 }

// run trains one run, from its checkpoint if ck has one.
func (x *Experiment) run(ctx context.Context, id RunID, ck *checkpointer, prog *progress) (RunResult, error) {
	e := id.Estimator
	est, err := estimators.New(e.Name, e.Options)
	if err != nil {
		return RunResult{}, err
	}
	if r, ok := est.(estimators.Resetter); ok {
		r.Reset()
	}
	model, err := x.newModel(e, id.Seed)
	if err != nil {
		return RunResult{}, err
	}
	r := newStreams(x.Spec.Seed, e.Label, id.Seed)
	groups := model.Groups()
	st := &runState{Objective: math.NaN()}
	if ck != nil {
		restored, err := ck.load(id, st, model, groups, est, r)
		if err != nil {
			return RunResult{}, err
		}
		if restored && st.Done {
			return RunResult{ID: id, Points: st.Points, Metrics: st.Metrics}, nil
		}
		if restored {
			prog.resumed(id, st.Step)
		}
	}
	point := func(step int) store.CurvePoint {
		pt := store.CurvePoint{Experiment: x.Spec.Name, Estimator: e.Label, Seed: id.Seed, Step: step,
			EvalsF: st.EvalsF, EvalsGrad: st.EvalsGrad, Evals: st.EvalsF + st.EvalsGrad, Seconds: st.Seconds,
			Objective: math.NaN(), ObjectiveSE: math.NaN(), GradVariance: math.NaN(), Status: store.StatusOK}
		if t, ok := model.(thetaer); ok {
			pt.Theta = t.Theta()
		}
		return pt
	}
	stop := func(step int, format string, args ...any) {
		pt := point(step)
		pt.Status = store.StoppedPrefix + fmt.Sprintf("step %d: ", step) + fmt.Sprintf(format, args...)
		st.Points = append(st.Points, pt)
		st.Done = true
	}
	// record appends the evaluation of step; false if the run stops.
	record := func(step int) bool {
		ev, err := model.Evaluate(estimators.Snapshot(est), r)
		if err != nil {
			stop(step, "measuring: %v", err)
			return false
		}
		pt := point(step)
		pt.Objective, pt.ObjectiveSE, pt.ObjectiveMethod = ev.Objective, ev.ObjectiveSE, ev.ObjectiveMethod
		pt.GradVariance, pt.GradNonfinite = ev.GradVariance, ev.GradNonfinite
		st.Points = append(st.Points, pt)
		if f, ok := model.(finalEvaluator); ok && step == x.steps {
			ev.Metrics = append(ev.Metrics, f.EvaluateFinal(r)...)
		}
		for _, m := range ev.Metrics {
			st.Metrics = append(st.Metrics, store.Metric{Experiment: x.Spec.Name, Estimator: e.Label, Seed: id.Seed,
				Step: step, Evals: pt.Evals, Name: m.Name, Value: m.Value})
		}
		st.Objective = ev.Objective
		if len(x.probes) > 0 && e.Label == x.Runs[0].Estimator.Label {
			if err := x.runProbes(model, id, step, pt.Evals, &st.Metrics); err != nil {
				stop(step, "probing: %v", err)
				return false
			}
		}
		return true
	}
	first := st.Step
	saved := st.Step // the step of the last checkpoint
	save := func() error {
		err := ck.save(st.Step-saved, id, st, model, groups, est, r)
		saved = st.Step
		return err
	}
	if len(st.Points) == 0 && !record(0) {
		return x.finish(id, st, first, ck, save)
	}
	lastSave := time.Now()
	for st.Step < x.steps && !st.Done {
		if err := ctx.Err(); err != nil {
			if ck != nil && st.Step > saved {
				if err := save(); err != nil {
					return RunResult{}, err
				}
			}
			return RunResult{}, err
		}
		t := st.Step
		step := t + 1
		start := time.Now()
		c, objective, err := model.Step(est, r)
		if stepHook != nil {
			stepHook(id, step, model)
		}
		st.EvalsF += float64(c.F)
		st.EvalsGrad += float64(c.Grad)
		st.Step = step
		if err != nil {
			st.Seconds += time.Since(start).Seconds()
			stop(step, "gradient estimate: %v", err)
			break
		}
		if g := nonfiniteGroup(groups, true); g != "" {
			st.Seconds += time.Since(start).Seconds()
			stop(step, "non-finite gradient of %s", g)
			break
		}
		for _, g := range groups {
			g.Optimizer.Step(g.Params, g.Grad, g.Schedule(t))
		}
		err = model.Update()
		st.Seconds += time.Since(start).Seconds()
		if err != nil {
			stop(step, "invalid parameters after the update: %v", err)
			break
		}
		if g := nonfiniteGroup(groups, false); g != "" {
			stop(step, "parameters of %s not finite (diverged)", g)
			break
		}
		if isEval(step, x.evalEvery, x.steps) && !record(step) {
			break
		}
		prog.step(id, step, objective, st.Objective)
		if ck != nil && step < x.steps && ((x.checkpoint.Every > 0 && step%x.checkpoint.Every == 0) ||
			(x.checkpoint.Seconds > 0 && time.Since(lastSave).Seconds() >= x.checkpoint.Seconds)) {
			if err := save(); err != nil {
				return RunResult{}, err
			}
			lastSave = time.Now()
		}
	}
	return x.finish(id, st, first, ck, save)
}

// finish marks a run done and saves its final checkpoint (the record that
// it finished).
func (x *Experiment) finish(id RunID, st *runState, first int, ck *checkpointer, save func() error) (RunResult, error) {
	st.Done = true
	if ck != nil {
		if err := save(); err != nil {
			return RunResult{}, err
		}
	}
	return RunResult{ID: id, Points: st.Points, Metrics: st.Metrics, Steps: st.Step - first}, nil
}

// nonfiniteGroup returns the name of the first group whose gradient (or
// parameters) has a NaN or ±Inf, or "".
func nonfiniteGroup(groups []Group, grad bool) string {
	for _, g := range groups {
		v := g.Params
		if grad {
			v = g.Grad
		}
		if !allFinite(v) {
			return g.Name
		}
	}
	return ""
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// errInterrupted reports whether err comes from a cancelled context.
func errInterrupted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
