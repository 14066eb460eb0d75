// Package models runs the model experiments of specs with a [model]
// section: Bayesian logistic regression (package blr), the Gaussian VAE
// (package vae) and the Bernoulli VAE (package bvae) on MNIST, trained with
// every estimator of the spec over several seeds. Results go to curves.csv
// (store.CurvePoint; Objective is the full-data ELBO for blr and the
// held-out importance-weighted bound for the VAEs) and to metrics.csv, one row per (estimator, seed, step, metric),
// with every measured metric; meta.json carries the provenance.
//
// Each run (estimator label × seed) has two random streams derived from the
// spec seed, the label and the seed index: one drives training, the other
// every measurement, so measuring never changes a trajectory and the results
// do not depend on the number of workers (except the seconds column).
package models

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/models/blr"
	"github.com/gradbench/gradbench/experiments/models/bvae"
	"github.com/gradbench/gradbench/experiments/models/mnist"
	"github.com/gradbench/gradbench/experiments/models/vae"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/train"
)

// MetricsFile is the name of the per-metric results file.
const MetricsFile = "metrics.csv"

// Metric is one measured quantity of one run at one step.
type Metric struct {
	Estimator string
	Seed      int
	Step      int
	Evals     float64
	Name      string // e.g. "elbo", "accuracy", "var_mu", "var_logs", "train_elbo", "test_iw"
	Value     float64
}

// Options tunes how a model experiment runs; none of it changes the
// results but the timing column.
type Options struct {
	Workers  int       // parallel runs; 0: GOMAXPROCS
	Progress io.Writer // one line per finished run, if not nil
}

func newRNG(specSeed uint64, label string, run int, stream string) *rand.Rand {
	h := fnv.New64a()
	var b [8]byte
	h.Write([]byte("gradbench/models\x00"))
	binary.LittleEndian.PutUint64(b[:], specSeed)
	h.Write(b[:])
	h.Write([]byte(label + "\x00" + stream))
	binary.LittleEndian.PutUint64(b[:], uint64(run))
	h.Write(b[:])
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// run is what one training run records.
type result struct {
	points  []store.CurvePoint
	metrics []Metric
}

// Run runs the model experiment s and writes curves.csv, metrics.csv and
// meta.json into outDir. Nothing is written if a run fails.
func Run(ctx context.Context, s *spec.Spec, outDir string, opts Options) error {
	if s == nil || s.Model == nil {
		return fmt.Errorf("models: the spec has no [model] section")
	}
	m := s.Model
	meta := store.NewMeta()
	meta.Start = time.Now().UTC()
	runner, err := newRunner(s)
	if err != nil {
		return err
	}
	type job struct {
		e    spec.Estimator
		seed int
	}
	var jobs []job
	for _, e := range m.Estimators {
		for seed := range m.Seeds {
			jobs = append(jobs, job{e, seed})
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]result, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := make(chan int)
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				results[i], errs[i] = runner(ctx, jobs[i].e, jobs[i].seed)
				if opts.Progress != nil && errs[i] == nil {
					mu.Lock()
					last := results[i].points[len(results[i].points)-1]
					fmt.Fprintf(opts.Progress, "%s: %s seed %d: objective %.4g after %d steps (%.1fs)\n",
						s.Name, jobs[i].e.Label, jobs[i].seed, last.Objective, last.Step, time.Since(start).Seconds())
					mu.Unlock()
				}
			}
		}()
	}
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var points []store.CurvePoint
	var metrics []Metric
	for i, r := range results {
		if errs[i] != nil {
			return fmt.Errorf("models: %s: %s seed %d: %w", s.Name, jobs[i].e.Label, jobs[i].seed, errs[i])
		}
		for k := range r.points {
			r.points[k].Experiment = s.Name
		}
		points = append(points, r.points...)
		metrics = append(metrics, r.metrics...)
	}
	meta.End = time.Now().UTC()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if err := SaveMetrics(outDir, s.Name, metrics); err != nil {
		return err
	}
	if err := store.SaveCurves(outDir, points); err != nil {
		return err
	}
	meta.Experiment, meta.SpecFile, meta.SpecSHA256, meta.Spec = s.Name, s.File, s.SHA256, s.Text
	meta.Seed, meta.Profile, meta.Workers = s.Seed, s.Profile, workers
	return store.SaveMeta(outDir, meta)
}

// SaveMetrics writes metrics.csv atomically into dir.
func SaveMetrics(dir, experiment string, metrics []Metric) error {
	var b bytesBuffer
	w := csv.NewWriter(&b)
	w.Write([]string{"experiment", "estimator", "seed", "step", "evals", "metric", "value"})
	for _, m := range metrics {
		w.Write([]string{experiment, m.Estimator, strconv.Itoa(m.Seed), strconv.Itoa(m.Step),
			store.FormatFloat(m.Evals), m.Name, store.FormatFloat(m.Value)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return store.WriteFileAtomic(filepath.Join(dir, MetricsFile), b.data)
}

type bytesBuffer struct{ data []byte }

func (b *bytesBuffer) Write(p []byte) (int, error) { b.data = append(b.data, p...); return len(p), nil }

type runFunc func(ctx context.Context, e spec.Estimator, seed int) (result, error)

// newRunner validates the model spec and loads its data.
func newRunner(s *spec.Spec) (runFunc, error) {
	m := s.Model
	fail := func(format string, args ...any) (runFunc, error) {
		return nil, fmt.Errorf("models: %s: %s", s.Name, fmt.Sprintf(format, args...))
	}
	if _, err := train.NewOptimizer(m.Optimizer, 0); err != nil {
		return fail("%v", err)
	}
	if _, err := train.NewSchedule(m.Schedule, m.LearningRate, m.Steps); err != nil {
		return fail("%v", err)
	}
	labels := map[string]bool{}
	for _, e := range m.Estimators {
		if labels[e.Label] {
			return fail("estimator label %q is used twice", e.Label)
		}
		labels[e.Label] = true
		if _, err := estimators.New(e.Name, e.Options); err != nil {
			return fail("%v", err)
		}
	}
	if len(m.Estimators) == 0 {
		return fail("no estimators")
	}
	switch m.Kind {
	case "blr":
		path := m.Data
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(s.File), path)
		}
		d, err := blr.LoadCSV(path)
		if err != nil {
			return fail("%v", err)
		}
		if m.Batch > d.N {
			return fail("batch %d: the data has %d examples", m.Batch, d.N)
		}
		return func(ctx context.Context, e spec.Estimator, seed int) (result, error) {
			return runBLR(ctx, s, d, e, seed)
		}, nil
	case "vae-gaussian", "vae-bernoulli":
		tr, te, err := mnist.LoadDefault()
		if err != nil {
			return fail("%v", err)
		}
		if m.Batch > tr.Len() {
			return fail("batch %d: MNIST has %d training images", m.Batch, tr.Len())
		}
		if m.Kind == "vae-bernoulli" {
			return func(ctx context.Context, e spec.Estimator, seed int) (result, error) {
				return runBernoulliVAE(ctx, s, tr, te, e, seed)
			}, nil
		}
		return func(ctx context.Context, e spec.Estimator, seed int) (result, error) {
			return runVAE(ctx, s, tr, te, e, seed)
		}, nil
	}
	return fail("unknown model kind %q", m.Kind)
}

// measuring returns the estimator the variance is measured with: a frozen
// clone of an adaptive training estimator, else a reset fresh one.
func measuring(training, fresh estimators.Estimator) estimators.Estimator {
	if a, ok := training.(estimators.Adaptive); ok {
		c := a.Clone()
		if ca, ok := c.(estimators.Adaptive); ok {
			ca.SetFrozen(true)
		}
		return c
	}
	if r, ok := fresh.(estimators.Resetter); ok {
		r.Reset()
	}
	return fresh
}

func isEval(step, every, steps int) bool { return step == 0 || step == steps || step%every == 0 }

func runBLR(ctx context.Context, s *spec.Spec, d *blr.Data, e spec.Estimator, seed int) (result, error) {
	m := s.Model
	est, _ := estimators.New(e.Name, e.Options)
	fresh, _ := estimators.New(e.Name, e.Options)
	opt, _ := train.NewOptimizer(m.Optimizer, 0)
	sched, _ := train.NewSchedule(m.Schedule, m.LearningRate, m.Steps)
	tr, err := blr.NewTrainer(d, m.Batch, samples(m, e), m.InitSigma)
	if err != nil {
		return result{}, err
	}
	rng, mrng := newRNG(s.Seed, e.Label, seed, "train"), newRNG(s.Seed, e.Label, seed, "measure")
	// The variance is measured on the same minibatches for every estimator.
	brng := newRNG(s.Seed, "", seed, "variance-batches")
	var res result
	var evals, evalsF, evalsG, secs float64
	record := func(step int) error {
		mu, sd := tr.MuS()
		elbo, se, acc := blr.Evaluate(d, mu, sd, m.ObjectiveSamples, mrng)
		pt := store.CurvePoint{Estimator: e.Label, Seed: seed, Step: step, EvalsF: evalsF, EvalsGrad: evalsG,
			Evals: evals, Seconds: secs, Objective: elbo, ObjectiveSE: se, ObjectiveMethod: "montecarlo",
			GradVariance: math.NaN(), Status: store.StatusOK}
		add := func(name string, v float64) {
			res.metrics = append(res.metrics, Metric{e.Label, seed, step, evals, name, v})
		}
		add("elbo", elbo)
		add("elbo_se", se)
		add("accuracy", acc)
		if m.VarianceDraws >= 2 {
			vm, vl, nf, err := tr.GradVariance(measuring(est, fresh), m.VarianceDraws, brng, mrng)
			if err != nil {
				return err
			}
			pt.GradVariance, pt.GradNonfinite = (vm+vl)/2, nf
			add("var_mu", vm)
			add("var_logs", vl)
		}
		res.points = append(res.points, pt)
		return nil
	}
	if err := record(0); err != nil {
		return res, err
	}
	for step := 1; step <= m.Steps; step++ {
		if step%64 == 0 && ctx.Err() != nil {
			return res, ctx.Err()
		}
		t0 := time.Now()
		c, err := tr.Step(est, rng)
		if err != nil {
			return res, err
		}
		opt.Step(tr.Params, tr.Grad, sched(step-1))
		secs += time.Since(t0).Seconds()
		evalsF += float64(c.F)
		evalsG += float64(c.Grad)
		evals = evalsF + evalsG
		if !finite(tr.Params) {
			res.points = append(res.points, stopped(e.Label, seed, step, evalsF, evalsG, secs, "parameters not finite (diverged)"))
			return res, nil
		}
		if isEval(step, m.EvalEvery, m.Steps) {
			if err := record(step); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

func runVAE(ctx context.Context, s *spec.Spec, trainSet, testSet *mnist.Set, e spec.Estimator, seed int) (result, error) {
	m := s.Model
	est, _ := estimators.New(e.Name, e.Options)
	opt, _ := train.NewOptimizer(m.Optimizer, 0)
	sched, _ := train.NewSchedule(m.Schedule, m.LearningRate, m.Steps)
	rng, mrng := newRNG(s.Seed, e.Label, seed, "train"), newRNG(s.Seed, e.Label, seed, "measure")
	// The same initial weights for every estimator of a seed.
	model, err := vae.New(vae.Config{Hidden: m.Hidden, Latent: m.Latent, Batch: m.Batch, Samples: samples(m, e)},
		newRNG(s.Seed, "init", seed, "weights"))
	if err != nil {
		return result{}, err
	}
	P := mnist.Pixels
	nTrain, nTest := min(m.TrainImages, trainSet.Len()), min(m.TestImages, testSet.Len())
	batches := newBatcher(trainSet, rng)
	batch := make([]float64, m.Batch*P)
	var res result
	var evals, evalsF, evalsG, secs, lastTrain float64
	record := func(step int) {
		trElbo, _ := model.Bounds(trainSet.X[:nTrain*P], 1, mrng)
		_, iw := model.Bounds(testSet.X[:nTest*P], m.ObjectiveSamples, mrng)
		res.points = append(res.points, store.CurvePoint{Estimator: e.Label, Seed: seed, Step: step,
			EvalsF: evalsF, EvalsGrad: evalsG, Evals: evals, Seconds: secs, Objective: iw,
			ObjectiveMethod: "montecarlo", GradVariance: math.NaN(), Status: store.StatusOK})
		for _, kv := range []struct {
			n string
			v float64
		}{{"train_elbo", trElbo}, {"test_iw", iw}, {"minibatch_elbo", lastTrain}} {
			res.metrics = append(res.metrics, Metric{e.Label, seed, step, evals, kv.n, kv.v})
		}
	}
	record(0)
	for step := 1; step <= m.Steps; step++ {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		t0 := time.Now()
		batches.next(batch, rng)
		c, elbo, err := model.Step(batch, est, rng)
		if err != nil {
			return res, err
		}
		opt.Step(model.Params, model.Grad, sched(step-1))
		secs += time.Since(t0).Seconds()
		lastTrain = elbo
		evalsF += float64(c.F)
		evalsG += float64(c.Grad)
		evals = evalsF + evalsG
		if !finite(model.Params) {
			res.points = append(res.points, stopped(e.Label, seed, step, evalsF, evalsG, secs, "parameters not finite (diverged)"))
			return res, nil
		}
		if isEval(step, m.EvalEvery, m.Steps) {
			record(step)
		}
	}
	return res, nil
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// stopped is the last curve point of a run that diverged.
func stopped(label string, seed, step int, evalsF, evalsG, secs float64, why string) store.CurvePoint {
	return store.CurvePoint{Estimator: label, Seed: seed, Step: step, EvalsF: evalsF, EvalsGrad: evalsG,
		Evals: evalsF + evalsG, Seconds: secs, Objective: math.NaN(), ObjectiveSE: math.NaN(),
		GradVariance: math.NaN(), Status: fmt.Sprintf("%sstep %d: %s", store.StoppedPrefix, step, why)}
}

// samples returns the estimator's samples per estimate: its own n if the
// spec gives one, else model.n.
func samples(m *spec.Model, e spec.Estimator) int {
	if e.N > 0 {
		return e.N
	}
	return m.N
}

// batcher draws minibatches of training images in epochs of a random
// permutation.
type batcher struct {
	set  *mnist.Set
	perm []int
	pos  int
}

func newBatcher(set *mnist.Set, rng *rand.Rand) *batcher {
	return &batcher{set: set, perm: rng.Perm(set.Len())}
}

// next fills batch (a multiple of 784 values) with the next images.
func (b *batcher) next(batch []float64, rng *rand.Rand) {
	P := mnist.Pixels
	for k := range len(batch) / P {
		if b.pos == len(b.perm) {
			rng.Shuffle(len(b.perm), func(i, j int) { b.perm[i], b.perm[j] = b.perm[j], b.perm[i] })
			b.pos = 0
		}
		copy(batch[k*P:(k+1)*P], b.set.Image(b.perm[b.pos]))
		b.pos++
	}
}

// runBernoulliVAE trains the Bernoulli VAE with one estimator: Adam (or
// the spec's optimizer) on the networks, SGD at prior_learning_rate on the
// prior's logits. At every evaluation it records train_elbo, test_iw,
// minibatch_elbo and, with variance_draws ≥ 2, var_enc: the encoder
// gradient's variance on a minibatch shared by every estimator of the seed.
func runBernoulliVAE(ctx context.Context, s *spec.Spec, trainSet, testSet *mnist.Set, e spec.Estimator, seed int) (result, error) {
	m := s.Model
	est, _ := estimators.New(e.Name, e.Options)
	fresh, _ := estimators.New(e.Name, e.Options)
	opt, _ := train.NewOptimizer(m.Optimizer, 0)
	sched, _ := train.NewSchedule(m.Schedule, m.LearningRate, m.Steps)
	rng, mrng := newRNG(s.Seed, e.Label, seed, "train"), newRNG(s.Seed, e.Label, seed, "measure")
	brng := newRNG(s.Seed, "", seed, "variance-batches")
	// The same initial weights for every estimator of a seed.
	model, err := bvae.New(bvae.Config{Nonlinear: m.Layers == "nonlinear", Hidden: m.Hidden, Latent: m.Latent,
		Batch: m.Batch, Samples: samples(m, e)}, newRNG(s.Seed, "init", seed, "weights"))
	if err != nil {
		return result{}, err
	}
	P := mnist.Pixels
	nTrain, nTest := min(m.TrainImages, trainSet.Len()), min(m.TestImages, testSet.Len())
	batches := newBatcher(trainSet, rng)
	batch := make([]float64, m.Batch*P)
	vbatch := make([]float64, m.Batch*P)
	var res result
	var evals, evalsF, evalsG, secs, lastTrain float64
	record := func(step int) error {
		trElbo, _ := model.Bounds(trainSet.X[:nTrain*P], 1, mrng)
		_, iw := model.Bounds(testSet.X[:nTest*P], m.ObjectiveSamples, mrng)
		pt := store.CurvePoint{Estimator: e.Label, Seed: seed, Step: step,
			EvalsF: evalsF, EvalsGrad: evalsG, Evals: evals, Seconds: secs, Objective: iw,
			ObjectiveMethod: "montecarlo", GradVariance: math.NaN(), Status: store.StatusOK}
		add := func(name string, v float64) {
			res.metrics = append(res.metrics, Metric{e.Label, seed, step, evals, name, v})
		}
		add("train_elbo", trElbo)
		add("test_iw", iw)
		add("minibatch_elbo", lastTrain)
		if m.VarianceDraws >= 2 {
			for k := range m.Batch {
				copy(vbatch[k*P:(k+1)*P], trainSet.Image(brng.IntN(trainSet.Len())))
			}
			v, nf, err := model.EncoderGradVariance(vbatch, measuring(est, fresh), m.VarianceDraws, brng, mrng)
			if err != nil {
				return err
			}
			pt.GradVariance, pt.GradNonfinite = v, nf
			add("var_enc", v)
		}
		res.points = append(res.points, pt)
		return nil
	}
	if err := record(0); err != nil {
		return res, err
	}
	for step := 1; step <= m.Steps; step++ {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		t0 := time.Now()
		batches.next(batch, rng)
		c, elbo, err := model.Step(batch, est, rng)
		if err != nil {
			return res, err
		}
		opt.Step(model.Params, model.Grad, sched(step-1))
		for d, g := range model.PriorGrad {
			model.Prior[d] -= m.PriorLearningRate * g
		}
		secs += time.Since(t0).Seconds()
		lastTrain = elbo
		evalsF += float64(c.F)
		evalsG += float64(c.Grad)
		evals = evalsF + evalsG
		if !finite(model.Params) || !finite(model.Prior) {
			res.points = append(res.points, stopped(e.Label, seed, step, evalsF, evalsG, secs, "parameters not finite (diverged)"))
			return res, nil
		}
		if isEval(step, m.EvalEvery, m.Steps) {
			if err := record(step); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
