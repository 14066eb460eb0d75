// Package sweep runs the sweep section of an experiment spec: for every cell
// (estimator × distribution × objective × n) it draws R replications of the
// n-sample gradient estimate and writes one row of statistics per gradient
// component to cells.csv.
//
// # Determinism
//
// A cell's replications are split into blocks of spec.Sweep.Block; block b
// of the cell with key K draws from rand.New(rand.NewPCG(seed, h)), h the
// FNV-1a hash of K and b, with a fresh estimator state (estimators.Resetter)
// at the block start. Workers take whole blocks and the block statistics
// are merged in block order, so results are bit-identical whatever the
// number of workers, the shard split, the order or a resume. Only the timing
// columns (store.TimingColumns) vary.
//
// # Results folder
//
// Run writes DIR/cells.csv and DIR/meta.json atomically when every cell of
// its shard is done. While it runs, each finished cell is appended to the
// journal DIR/.journal (one line per cell, synced to disk at most every
// 200 ms and at the end); Options.Resume continues from it and redoes no
// finished cell. A complete run removes the journal. Run holds the
// folder's lock (store.Lock: the file DIR/.lock, removed at the end) from
// before it looks into the folder to the end, so a second run or resume
// into a folder being written fails at once, having done nothing; the
// kernel drops the lock of a killed run, and the next run takes over the
// .lock file it leaves. Merge combines the folders of the shards of one
// spec into one folder whose cells.csv is the same as an unsharded run's.
//
// # Failed cells
//
// An estimator that panics on a cell (in its factory, Info or Supports
// while Run plans the cell, or in any replication block) fails that cell
// only: Run recovers the panic in the worker, stops running the
// cell's later blocks, records the cell as one row whose skipped column
// begins with FailedPrefix (IsFailed), runs every other cell, writes the
// folder, and returns the Result with a *FailedError naming each failed
// estimator and cell. Failed cells are not journaled, so a resumed run
// (Options.Resume) reruns them, and only them. The rows of the other cells
// are bit-identical to those of a run without the failure, whatever the
// number of workers.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
)

// ErrConflict is wrapped by the errors Run and Merge return when the output
// folder cannot be used as asked: it already holds results and Resume is
// not set, it holds a different run, or another run is writing it (then
// the error wraps store.ErrLocked too). It is store.ErrConflict.
var ErrConflict = store.ErrConflict

// Options control a run.
type Options struct {
	// Dir is the results folder; "" runs without writing anything.
	Dir string
	// Workers is the number of goroutines (≤ 0: GOMAXPROCS).
	Workers int
	// Shard and Shards select the cells whose index mod Shards is Shard
	// (Shards ≤ 1: every cell).
	Shard, Shards int
	// Resume continues the run recorded in Dir's journal.
	Resume bool
	// Progress, if not nil, is called after every finished replication
	// block with the replications done and the total of the run (resumed
	// and skipped cells left out), from the workers' goroutines: it must
	// be safe for concurrent use and quick. The command-line tool renders
	// it on a terminal.
	Progress func(done, total int64)
}

// Result summarises a run.
type Result struct {
	// Rows are the rows of the run's cells, in cell order.
	Rows []store.Row
	// Cells is the number of cells of the shard, Resumed of them were read
	// from the journal, Skipped could not be run by their estimator and
	// Failed panicked (see FailedError).
	Cells, Resumed, Skipped, Failed int
	// Warnings lists reference gradients that could not be computed
	// (their rows have a NaN reference and method "none").
	Warnings []string
	Elapsed  time.Duration
}

// Summary returns a one-line summary of the result.
func (r *Result) Summary(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d cells", name, r.Cells)
	if r.Skipped > 0 {
		fmt.Fprintf(&b, " (%d skipped)", r.Skipped)
	}
	if r.Failed > 0 {
		fmt.Fprintf(&b, " (%d FAILED)", r.Failed)
	}
	if r.Resumed > 0 {
		fmt.Fprintf(&b, ", %d resumed", r.Resumed)
	}
	fmt.Fprintf(&b, ", %d rows in %s", len(r.Rows), r.Elapsed.Round(time.Millisecond))
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "; %d reference warnings", len(r.Warnings))
	}
	return b.String()
}

// cellJob is a cell to run, prepared by the dispatcher.
type cellJob struct {
	cell    spec.Cell
	p       dist.Distribution
	f       objective.Objective
	info    estimators.Info
	ref     *refEntry
	pending atomic.Int64 // blocks not yet finished

	// failed is the panic of the lowest-indexed block that panicked so far
	// (nil: none); blocks after it are not run. Blocks before it still
	// run, so the block reported is the same whatever the workers.
	failMu sync.Mutex
	failed *PanicError

	// Finished blocks are merged in block order as soon as every earlier
	// block is merged; early ones wait in waiting (at most about one per
	// worker), so memory does not grow with the number of blocks.
	mu                sync.Mutex
	next              int
	waiting           map[int]blockResult
	mom               []stats.Moments
	blockVar          [][]float64 // per component, the variance of each block, up to maxBlockVariances
	blockMean         [][]float64 // per component, the mean of each block, likewise
	evalsF, evalsGrad int64
	ns                int64
}

// maxBlockVariances caps the per-block variances and means a cell keeps
// (the first ones, for the regression check's rank and batch-means tests),
// so memory stays bounded as R grows.
const maxBlockVariances = 1000

// fail records the panic of a block; it keeps the lowest block's.
func (j *cellJob) fail(e *PanicError) {
	j.failMu.Lock()
	defer j.failMu.Unlock()
	if j.failed == nil || e.Block < j.failed.Block {
		j.failed = e
	}
}

// failure returns the recorded panic, or nil.
func (j *cellJob) failure() *PanicError {
	j.failMu.Lock()
	defer j.failMu.Unlock()
	return j.failed
}

// skip reports whether block b need not run: an earlier block panicked.
func (j *cellJob) skip(b int) bool {
	f := j.failure()
	return f != nil && f.Block < b
}

// add merges a finished block, in block order. It keeps br.mom only if
// the block has to wait for earlier ones (then it copies it).
func (j *cellJob) add(b int, br blockResult) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if b != j.next {
		br.mom = slices.Clone(br.mom)
	}
	j.waiting[b] = br
	for {
		br, ok := j.waiting[j.next]
		if !ok {
			return
		}
		delete(j.waiting, j.next)
		stats.MergeVec(j.mom, br.mom)
		if j.blockVar == nil {
			j.blockVar = make([][]float64, len(br.mom))
			j.blockMean = make([][]float64, len(br.mom))
		}
		// Only full blocks are kept: the rank and batch-means tests compare
		// blocks as exchangeable draws, which a shorter last block is not.
		for k := range br.mom {
			if br.full && len(j.blockVar[k]) < maxBlockVariances {
				j.blockVar[k] = append(j.blockVar[k], br.mom[k].Variance())
				j.blockMean[k] = append(j.blockMean[k], br.mom[k].Mean())
			}
		}
		j.evalsF += br.evalsF
		j.evalsGrad += br.evalsGrad
		j.ns += br.ns
		j.next++
	}
}

type blockResult struct {
	mom               []stats.Moments
	full              bool // the block has the spec's full block size
	evalsF, evalsGrad int64
	ns                int64
}

type unit struct {
	job   *cellJob
	block int
}

// refEntry is a reference gradient shared by the cells of one problem.
type refEntry struct {
	once sync.Once
	res  reference.Result
	err  error
}

// Run runs the sweep of s (which must have a Sweep) and returns its rows. It
// returns an error if s has no sweep, the shard is invalid, every cell is
// skipped, an estimator returns an error on a cell it accepted, ctx is
// cancelled, the folder cannot be written, or another process (or Run) is
// writing it (wrapping ErrConflict and store.ErrLocked); cells finished
// before the error stay in the journal. An estimator that panics fails
// only its cell: Run finishes and writes the others and returns the
// Result together with a *FailedError (see the package documentation).
//
// Run plans (the shard's cells, each built once, with what its estimator
// can handle, and the journal), dispatches the replication blocks to the
// workers, and finishes (rows in cell order, the files).
func Run(ctx context.Context, s *spec.Spec, opts Options) (*Result, error) {
	r, err := plan(s, opts)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.dispatch(ctx); err != nil {
		return nil, err
	}
	return r.finish()
}

// runner is one run of a sweep: its plan, then its state while the
// workers run.
type runner struct {
	s       *spec.Spec
	sw      *spec.Sweep
	opts    Options
	workers int
	start   time.Time
	idx     []int             // the shard's cells
	cells   map[int]*cellPlan // the cells to run, built once
	todo    []int             // the cells to run, in order
	total   int64             // their replications
	res     *Result
	meta    store.Meta
	lock    *store.DirLock
	jr      *journal

	mu       sync.Mutex
	done     map[int][]store.Row // rows by cell: resumed, skipped, failed and finished cells
	failures map[int]*PanicError // failed cells, not journaled (a resumed run reruns them)
	warnings map[string]bool     // reference warnings
	firstErr error
}

// cellPlan is a cell with its family, objective and (configured)
// estimator's Info, built once when the run is planned, or the reason it
// is skipped (skip, with unbiased from the estimator's Info when it could
// be built).
type cellPlan struct {
	cell     spec.Cell
	p        dist.Distribution
	f        objective.Objective
	info     estimators.Info
	skip     string
	unbiased bool
}

// plan checks the options, builds the shard's cells, decides which ones
// the estimators can handle (estimators.Supports: nothing is written if
// none can), locks the folder and opens the journal.
func plan(s *spec.Spec, opts Options) (*runner, error) {
	sw := s.Sweep
	if sw == nil {
		return nil, fmt.Errorf("spec %s has no [sweep] section", s.File)
	}
	shards := max(opts.Shards, 1)
	if opts.Shard < 0 || opts.Shard >= shards {
		return nil, fmt.Errorf("shard %d/%d: want 0 ≤ i < n", opts.Shard, shards)
	}
	r := &runner{s: s, sw: sw, opts: opts, workers: opts.Workers, start: time.Now(), cells: map[int]*cellPlan{},
		done: map[int][]store.Row{}, failures: map[int]*PanicError{}, warnings: map[string]bool{}}
	if r.workers <= 0 {
		r.workers = runtime.GOMAXPROCS(0)
	}
	for i := opts.Shard; i < sw.NumCells(); i += shards {
		r.idx = append(r.idx, i)
	}
	skipped := map[int]*cellPlan{} // with the reason in skip
	planFailed := map[int]*PanicError{}
	for _, i := range r.idx {
		pl, perr := planCell(sw.Cell(i))
		switch {
		case perr != nil:
			planFailed[i] = perr
		case pl.skip != "":
			skipped[i] = pl
		default:
			r.cells[i] = pl
		}
	}
	if len(skipped) == len(r.idx) && shards == 1 {
		c := sw.Cell(r.idx[0])
		return nil, fmt.Errorf("%s: every cell is skipped: no estimator can handle its distribution and objective (e.g. %s: %s)", s.File, c.Key, skipped[r.idx[0]].skip)
	}

	r.res = &Result{Cells: len(r.idx), Skipped: len(skipped)}
	r.meta = store.NewMeta()
	m := &r.meta
	m.Experiment, m.SpecFile, m.SpecSHA256, m.Spec = s.Name, s.File, s.SHA256, s.Text
	m.Seed, m.Profile, m.Workers, m.Shard, m.Start = s.Seed, s.Profile, r.workers, store.ShardString(opts.Shard, shards), r.start
	if opts.Dir != "" {
		// One writer per folder: lock it before reading or writing
		// anything in it, and hold the lock to the end.
		lk, err := store.Lock(opts.Dir)
		if err != nil {
			if errors.Is(err, store.ErrLocked) {
				return nil, fmt.Errorf("%w: %w", ErrConflict, err)
			}
			return nil, err
		}
		r.lock = lk
		id := journalID{SpecSHA256: s.SHA256, Profile: s.Profile, Shard: m.Shard, Cells: sw.NumCells()}
		jr, done, err := openJournal(opts.Dir, id, opts.Resume, func() *matcher { return newMatcher(sw) })
		if err != nil {
			lk.Unlock()
			return nil, err
		}
		r.jr, r.done = jr, done
		r.res.Resumed = len(done)
	}

	for _, i := range r.idx {
		if _, ok := r.done[i]; ok {
			continue
		}
		if perr, ok := planFailed[i]; ok {
			r.failures[i] = perr
			info, _ := estimators.Describe(sw.Cell(i).Estimator.Name) // its own Info panicked
			r.done[i] = failedRows(s, sw.Cell(i), info.Unbiased, perr)
			continue
		}
		if pl, ok := skipped[i]; ok {
			r.done[i] = skipRows(s, pl.cell, pl.unbiased, pl.skip)
			if r.jr != nil {
				if err := r.jr.Append(i, r.done[i]); err != nil {
					r.close()
					return nil, err
				}
			}
			continue
		}
		r.todo = append(r.todo, i)
		r.total += int64(sw.Replications)
	}
	return r, nil
}

// close closes the journal and unlocks the folder.
func (r *runner) close() {
	if r.jr != nil {
		r.jr.Close()
		r.jr = nil
	}
	if r.lock != nil {
		r.lock.Unlock()
		r.lock = nil
	}
}

// fail records the first error of the run.
func (r *runner) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// cellDone records a cell whose blocks are all done: its rows (journaled),
// or its failure.
func (r *runner) cellDone(job *cellJob) error {
	if perr := job.failure(); perr != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.failures[job.cell.Index] = perr
		r.done[job.cell.Index] = failedRows(r.s, job.cell, job.info.Unbiased, perr)
		return nil
	}
	rows, warn, err := job.rows(r.s)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if warn != "" {
		r.warnings[warn] = true
	}
	r.done[job.cell.Index] = rows
	if r.jr != nil {
		return r.jr.Append(job.cell.Index, rows)
	}
	return nil
}

// dispatch runs the planned cells' replication blocks on the workers, cell
// after cell (the cells of one problem, consecutive, share a reference),
// and returns the first error.
func (r *runner) dispatch(ctx context.Context) error {
	var done atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		r.fail(err)
		cancel()
	}
	units := make(chan unit)
	var wg sync.WaitGroup
	for range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{seed: r.s.Seed, sw: r.sw, est: map[string]estimators.Estimator{}}
			for u := range units {
				if ctx.Err() != nil {
					continue
				}
				if !u.job.skip(u.block) {
					var perr *PanicError
					if err := w.run(u); errors.As(err, &perr) {
						// The estimator may be left in any state:
						// the worker builds a fresh one.
						delete(w.est, u.job.cell.Estimator.Label)
						u.job.fail(perr)
					} else if err != nil {
						fail(err)
						continue
					}
				}
				d := done.Add(int64(u.job.blockLen(u.block, r.sw)))
				if r.opts.Progress != nil {
					r.opts.Progress(d, r.total)
				}
				if u.job.pending.Add(-1) == 0 {
					if err := r.cellDone(u.job); err != nil {
						fail(err)
					}
				}
			}
		}()
	}
	refs := map[int]*refEntry{}
	for _, i := range r.todo {
		pl := r.cells[i]
		if e := refs[pl.cell.Problem]; e == nil {
			refs = map[int]*refEntry{pl.cell.Problem: {}} // earlier problems are done with
		}
		job := newJob(pl, refs[pl.cell.Problem])
		nb := (r.sw.Replications + r.sw.Block - 1) / r.sw.Block
		job.pending.Store(int64(nb))
		for b := range nb {
			select {
			case units <- unit{job, b}:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(units)
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil && ctx.Err() != nil {
		r.firstErr = ctx.Err()
	}
	return r.firstErr
}

// finish collects the rows in cell order and writes the folder.
func (r *runner) finish() (*Result, error) {
	res := r.res
	for _, i := range r.idx {
		res.Rows = append(res.Rows, r.done[i]...)
	}
	res.Failed = len(r.failures)
	res.Warnings = slices.Sorted(maps.Keys(r.warnings))
	res.Elapsed = time.Since(r.start)
	if r.opts.Dir != "" {
		r.meta.End = time.Now()
		if err := store.SaveCells(r.opts.Dir, res.Rows); err != nil {
			return nil, err
		}
		if err := store.SaveMeta(r.opts.Dir, r.meta); err != nil {
			return nil, err
		}
		if err := r.jr.Remove(); err != nil {
			return nil, err
		}
	}
	if len(r.failures) > 0 {
		fe := &FailedError{File: r.s.File, Cells: len(r.idx), Traceback: traceback()}
		for _, i := range slices.Sorted(maps.Keys(r.failures)) {
			fe.Failures = append(fe.Failures, r.failures[i])
		}
		return res, fe
	}
	return res, nil
}

func (j *cellJob) blockLen(b int, sw *spec.Sweep) int {
	return min(sw.Block, sw.Replications-b*sw.Block)
}

// planCell builds the cell's family, objective and estimator and returns
// them, or the reason the cell is skipped (a build error, or
// estimators.Supports), or the estimator's panic (in its factory, Info or
// Supports).
func planCell(c spec.Cell) (pl *cellPlan, perr *PanicError) {
	pl = &cellPlan{cell: c}
	p, f, err := build(c)
	if err != nil {
		pl.skip, pl.unbiased = err.Error(), unbiased(c)
		return pl, nil
	}
	defer func() {
		if v := recover(); v != nil {
			pl, perr = nil, recovered(&c, planBlock, v)
		}
	}()
	est, err := estimators.New(c.Estimator.Name, c.Estimator.Options)
	if err != nil {
		pl.skip = err.Error()
		return pl, nil
	}
	pl.info = est.Info()
	pl.unbiased = pl.info.Unbiased
	if err := estimators.Supports(est, p, f, c.N); err != nil {
		pl.skip = err.Error()
		return pl, nil
	}
	pl.p, pl.f = p, f
	return pl, nil
}

func build(c spec.Cell) (dist.Distribution, objective.Objective, error) {
	p, err := dist.New(c.Dist.Name, c.Dist.Map())
	if err != nil {
		return nil, nil, err
	}
	f, err := objective.New(c.Obj.Name, c.Obj.Map())
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

func newJob(pl *cellPlan, ref *refEntry) *cellJob {
	return &cellJob{cell: pl.cell, p: pl.p, f: pl.f, info: pl.info, ref: ref,
		waiting: map[int]blockResult{}, mom: make([]stats.Moments, pl.p.NumParams())}
}

// worker runs replication blocks with its own estimator instances.
type worker struct {
	seed uint64
	sw   *spec.Sweep
	est  map[string]estimators.Estimator // by label
	acc  *accumulator
	pcg  *rand.PCG
	rng  *rand.Rand
	mom  []stats.Moments
}

// run runs one block and merges it into its cell. A panic of the
// estimator (its factory included) is returned as a *PanicError.
func (w *worker) run(u unit) (err error) {
	job := u.job
	c := &job.cell
	defer func() {
		if v := recover(); v != nil {
			err = recovered(c, u.block, v)
		}
	}()
	est, ok := w.est[c.Estimator.Label]
	if !ok {
		var err error
		if est, err = estimators.New(c.Estimator.Name, c.Estimator.Options); err != nil {
			return err
		}
		w.est[c.Estimator.Label] = est
	}
	if r, ok := est.(estimators.Resetter); ok {
		r.Reset()
	}
	np := job.p.NumParams()
	if w.acc == nil {
		w.acc = newAccumulator(np)
	} else {
		w.acc.resize(np)
	}
	if w.rng == nil {
		w.pcg = rand.NewPCG(0, 0)
		w.rng = rand.New(w.pcg)
	}
	w.pcg.Seed(w.seed, streamID(c.Key, u.block)) // as rand.New(rand.NewPCG(seed, streamID(key, block)))
	t0 := time.Now()
	if err := w.acc.run(est, job.p, job.f, c.N, job.blockLen(u.block, w.sw), w.rng); err != nil {
		return fmt.Errorf("cell %s: block %d: %w", c.Key, u.block, err)
	}
	ns := time.Since(t0).Nanoseconds()
	if cap(w.mom) < np {
		w.mom = make([]stats.Moments, np)
	}
	br := blockResult{mom: w.mom[:np], evalsF: w.acc.evalsF, evalsGrad: w.acc.evalsGrad, ns: ns,
		full: job.blockLen(u.block, w.sw) == w.sw.Block}
	if err := w.acc.moments(br.mom); err != nil {
		return fmt.Errorf("cell %s: block %d: %w (estimates too large to accumulate)", c.Key, u.block, err)
	}
	job.add(u.block, br)
	return nil
}

// referenceSeed is the Monte Carlo reference seed of a problem.
func referenceSeed(seed uint64, c spec.Cell) uint64 {
	return seed ^ streamID("reference|"+c.Dist.String()+"|"+c.Obj.String(), 0)
}

// rows merges the blocks in order and returns the cell's rows.
func (j *cellJob) rows(s *spec.Spec) (rows []store.Row, warning string, err error) {
	sw := s.Sweep
	j.ref.once.Do(func() {
		j.ref.res, j.ref.err = reference.Gradient(j.p, j.f, reference.Method(sw.Reference),
			reference.Options{Samples: sw.ReferenceSamples, Seed: referenceSeed(s.Seed, j.cell)})
	})
	ref, rerr := j.ref.res, j.ref.err
	method := string(ref.Method)
	if rerr != nil {
		warning = fmt.Sprintf("%s, %s: no %s reference: %v", j.cell.Dist, j.cell.Obj, sw.Reference, rerr)
		method = "none"
	}
	np := j.p.NumParams()
	mom, evalsF, evalsGrad, ns := j.mom, j.evalsF, j.evalsGrad, j.ns
	R := float64(sw.Replications)
	names := j.p.ParamNames()
	base := baseRow(s, j.cell, j.info.Unbiased)
	for k := range np {
		m := &mom[k]
		r := base
		r.Dist, r.Obj = slices.Clone(base.Dist), slices.Clone(base.Obj)
		r.Param = names[k]
		r.Mean = m.Mean()
		r.Reference, r.ReferenceSE, r.ReferenceMethod = store.NaN, store.NaN, method
		if rerr == nil {
			r.Reference, r.ReferenceSE = ref.Grad[k], ref.SE[k]
		}
		r.Bias = r.Mean - r.Reference
		r.Variance = m.Variance()
		if k < len(j.blockVar) {
			r.BlockVariances, r.BlockMeans = j.blockVar[k], j.blockMean[k]
		}
		r.VarianceLo, r.VarianceHi = stats.VarianceCI(*m, 0.95)
		r.SE = m.SE()
		r.MSE = r.Bias*r.Bias + r.Variance
		r.SNR = math.Abs(r.Mean) / math.Sqrt(r.Variance)
		r.Kurtosis = m.Kurtosis()
		r.EvalsF, r.EvalsGrad = float64(evalsF)/R, float64(evalsGrad)/R
		r.Evals = r.EvalsF + r.EvalsGrad
		r.NsPerEstimate = float64(ns) / R
		r.VarTimesEvals = r.Variance * r.Evals
		r.VarTimesNs = r.Variance * r.NsPerEstimate
		r.Nonfinite = m.NonFinite()
		rows = append(rows, r)
	}
	return rows, warning, nil
}

// baseRow returns the columns of a cell's rows that do not depend on the
// gradient component.
func baseRow(s *spec.Spec, c spec.Cell, unbiased bool) store.Row {
	r := store.Row{
		Experiment:   s.Name,
		Estimator:    c.Estimator.Label,
		Options:      optionsString(c.Estimator.Options),
		Unbiased:     unbiased,
		Distribution: c.Dist.Name,
		Objective:    c.Obj.Name,
		N:            c.N,
		Replications: s.Sweep.Replications,
	}
	for _, v := range c.Dist.Params {
		r.Dist = append(r.Dist, store.KV{Name: v.Name, Value: v.Value})
	}
	for _, v := range c.Obj.Params {
		r.Obj = append(r.Obj, store.KV{Name: v.Name, Value: v.Value})
	}
	return r
}

// skipRows returns the single row of a skipped cell: every statistic NaN;
// unbiased is what the cell's estimator declares.
func skipRows(s *spec.Spec, c spec.Cell, unbiased bool, reason string) []store.Row {
	r := baseRow(s, c, unbiased)
	nan := store.NaN
	r.Mean, r.Reference, r.ReferenceSE, r.Bias, r.Variance, r.VarianceLo, r.VarianceHi = nan, nan, nan, nan, nan, nan, nan
	r.SE, r.MSE, r.SNR, r.Kurtosis, r.EvalsF, r.EvalsGrad, r.Evals = nan, nan, nan, nan, nan, nan, nan
	r.NsPerEstimate, r.VarTimesEvals, r.VarTimesNs = nan, nan, nan
	r.Skipped = strings.ReplaceAll(reason, "\n", " ")
	return []store.Row{r}
}

// unbiased reports whether the cell's estimator, as configured, declares
// itself unbiased (false if it cannot be built): for a cell whose family or
// objective cannot be built, where planCell builds no estimator.
func unbiased(c spec.Cell) (u bool) {
	defer func() {
		if recover() != nil {
			u = false
		}
	}()
	est, err := estimators.New(c.Estimator.Name, c.Estimator.Options)
	return err == nil && est.Info().Unbiased
}

// optionsString formats options as "key=value;…", sorted by key.
func optionsString(opts map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		parts = append(parts, k+"="+opts[k])
	}
	return strings.Join(parts, ";")
}
