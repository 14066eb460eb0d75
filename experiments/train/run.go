package train

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// ErrConflict is wrapped by the errors of Run and Merge about the results
// folder rather than the experiment: a folder that already holds results,
// one held by another writer, or checkpoints of another experiment. It is
// store.ErrConflict.
var ErrConflict = store.ErrConflict

// Result summarises a Run.
type Result struct {
	// Runs is the number of runs of this shard; Resumed of them were
	// restored from checkpoints (finished or not).
	Runs, Resumed int
	// Steps is the number of training steps this process ran.
	Steps   int
	Elapsed time.Duration
	// Finished reports that the folder was complete already (-resume of a
	// finished experiment) and nothing ran.
	Finished bool
}

// Summary is the one-line summary the CLI prints after a run.
func (r *Result) Summary(x *Experiment) string {
	if r.Finished {
		return fmt.Sprintf("%s: finished already", x.Spec.Name)
	}
	s := fmt.Sprintf("%s: %s, %d runs, %d steps in %.1fs", x.Spec.Name, x.summary, r.Runs, r.Steps, r.Elapsed.Seconds())
	if r.Resumed > 0 {
		s += fmt.Sprintf(" (%d resumed from checkpoints)", r.Resumed)
	}
	return s
}

// shardRuns returns the runs of shard i of n: those whose index mod n is i.
func shardRuns(all []RunID, i, n int) []RunID {
	if n <= 1 {
		return all
	}
	var out []RunID
	for _, id := range all {
		if id.Index%n == i {
			out = append(out, id)
		}
	}
	return out
}

// Run runs the experiment x (the runs of opts' shard) into opts.Dir.
//
// The folder is locked while Run writes it (store.Lock): a second writer
// fails at once. Each run saves a checkpoint (model, optimizers, every
// random stream, the estimator's state, the metrics so far) into
// Dir/.train as the spec's checkpoint keys say, and when it finishes; after
// an interruption (even SIGKILL), opts.Resume continues every unfinished
// run from its last checkpoint, and the results are bit-identical to an
// uninterrupted run's (the seconds column aside). Resume refuses a folder
// written by another spec, profile, shard or checkpoint format. When every
// run has finished, Run writes curves.csv, metrics.csv (model specs) and
// meta.json (with every segment of work), then removes Dir/.train.
func Run(ctx context.Context, x *Experiment, opts Options) (*Result, error) {
	dir := opts.Dir
	if dir == "" {
		return nil, fmt.Errorf("train: no results folder")
	}
	if opts.Shards > 1 && (opts.Shard < 0 || opts.Shard >= opts.Shards) {
		return nil, fmt.Errorf("train: shard %d/%d: want 0 ≤ i < n", opts.Shard, opts.Shards)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := store.Lock(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConflict, err)
	}
	defer lock.Unlock()
	start := time.Now()
	s := x.Spec
	shard := store.ShardString(opts.Shard, opts.Shards)
	id := identity{Format: checkpointFormat, Kind: x.Kind, SpecSHA256: s.SHA256, Profile: s.Profile, Shard: shard, Runs: len(x.Runs)}
	_, ckErr := os.Stat(filepath.Join(dir, CheckpointDir))
	if errors.Is(ckErr, fs.ErrNotExist) {
		// No checkpoints: a new folder, or a finished one.
		if m, err := store.LoadMeta(dir); err == nil {
			if !opts.Resume {
				return nil, fmt.Errorf("%w: %s already holds results; remove it, choose another -o, or pass -resume", ErrConflict, dir)
			}
			got := identity{Format: checkpointFormat, Kind: m.Kind, SpecSHA256: m.SpecSHA256, Profile: m.Profile, Shard: m.Shard, Runs: len(x.Runs)}
			if got.Kind == "" {
				got.Kind, _ = store.KindOf(dir)
			}
			if got != id {
				return nil, fmt.Errorf("%w: %s holds the results of %s; use another -o", ErrConflict, dir, describe(got, id))
			}
			return &Result{Finished: true}, nil
		}
		for _, f := range []string{store.CurvesFile, store.MetricsFile, store.CellsFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				return nil, fmt.Errorf("%w: %s holds %s but no meta.json; remove it or choose another -o", ErrConflict, dir, f)
			}
		}
	}
	ck, err := openCheckpoints(dir, id, opts.Resume)
	if err != nil {
		return nil, err
	}
	ids := shardRuns(x.Runs, opts.Shard, opts.Shards)
	res := &Result{Runs: len(ids)}
	for _, id := range ids {
		if _, err := os.Stat(ck.path(id)); err == nil {
			res.Resumed++
		}
	}
	results, err := x.execute(ctx, ids, ck, opts)
	if err != nil {
		return nil, err
	}
	var points []store.CurvePoint
	var metrics []store.Metric
	for _, r := range results {
		points = append(points, r.Points...)
		metrics = append(metrics, r.Metrics...)
		res.Steps += r.Steps
	}
	if err := ck.noteProgress(0); err != nil {
		return nil, err
	}
	if x.Kind == store.KindModel {
		if err := store.SaveMetrics(dir, metrics); err != nil {
			return nil, err
		}
	}
	if err := store.SaveCurves(dir, points); err != nil {
		return nil, err
	}
	meta := store.NewMeta()
	meta.Kind, meta.Experiment, meta.SpecFile, meta.SpecSHA256, meta.Spec = x.Kind, s.Name, s.File, s.SHA256, s.Text
	meta.Seed, meta.Profile, meta.Shard, meta.Workers = s.Seed, s.Profile, shard, opts.Workers
	if meta.Workers <= 0 {
		meta.Workers = runtime.GOMAXPROCS(0)
	}
	meta.Segments = slices.Clone(ck.segments)
	meta.Start, meta.End = meta.Segments[0].Start, time.Now().UTC()
	meta.Segments[len(meta.Segments)-1].End = meta.End
	if err := store.SaveMeta(dir, meta); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(ck.dir); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// RunSpec prepares the training spec s and runs it into opts.Dir (see
// Prepare and Run).
func RunSpec(ctx context.Context, s *spec.Spec, opts Options) (*Result, error) {
	x, err := Prepare(s)
	if err != nil {
		return nil, err
	}
	return Run(ctx, x, opts)
}
