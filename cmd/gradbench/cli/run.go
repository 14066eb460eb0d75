package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/sweep"
	"github.com/gradbench/gradbench/experiments/train"
)

func init() {
	register(&command{
		name:    "run",
		args:    "[-o DIR] [-workers N] [-resume] [-shard i/n] [-profile NAME] [-q] SPEC...",
		summary: "run experiment specs, writing results/<name>/cells.csv and meta.json",
		run:     runRun,
	})
}

const runHelp = `Each SPEC is a TOML experiment spec (see experiments/README.md). Every spec
is parsed and checked, and every training experiment prepared (its data
loaded, its estimators checked against the model), before anything runs: a
spec error names the file, line and field, exits with status 2 and writes
nothing.

A sweep writes DIR/cells.csv (one row per cell and gradient component) and
DIR/meta.json, where DIR is results/<name> or -o. A [train] spec writes
DIR/curves.csv, a [model] spec DIR/curves.csv and DIR/metrics.csv. Results
are the same, bit for bit apart from the timing columns, whatever -workers,
-shard and -resume.

While a sweep runs, finished cells are kept in DIR/.journal; while a
training experiment runs, each run (estimator × seed) saves checkpoints
into DIR/.train (every checkpoint_every steps and checkpoint_seconds
seconds, see the spec). After an interruption, even kill -9, run again with
-resume: finished cells and runs are kept and unfinished runs continue from
their last checkpoint. -resume refuses a folder written by another spec,
profile or shard. A folder has one writer: a second run into it exits with
status 2 naming the process that holds it.

-shard i/n runs every n-th cell (sweeps) or run (training; runs are
numbered estimator by estimator, seed by seed) starting at i (0 ≤ i < n)
into its own folder; combine the n folders with "gradbench merge".

Progress is shown on stderr unless -q: a live status line with an ETA when
stderr is a terminal; otherwise, for training, one line per finished run
(and one a minute while runs go on). A one-line summary follows each spec.`

func runRun(stdout, stderr io.Writer, args []string) error {
	c := commands["run"]
	fs := newFlagSet(c.name, c.args, c.summary+"\n\n"+runHelp, stderr)
	out := fs.String("o", "", "results `DIR` (default results/<name>; one SPEC only)")
	workers := fs.Int("workers", 0, "worker goroutines `N` (default GOMAXPROCS)")
	resume := fs.Bool("resume", false, "continue an interrupted run in the results folder")
	shardFlag := fs.String("shard", "", "run only shard `i/n`: the cells whose index mod n is i")
	profile := fs.String("profile", "", "apply the spec's [profile.`NAME`] overrides (e.g. quick)")
	quiet := fs.Bool("q", false, "quiet: no progress and no summary")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("run: no spec files given (usage: gradbench run %s)", c.args)
	}
	if *workers < 0 {
		return usagef("run: -workers %d: want 0 (GOMAXPROCS) or more", *workers)
	}
	shard, shards, err := store.ParseShard(*shardFlag)
	if err != nil {
		return usagef("run: -shard: %v", err)
	}
	if *out != "" && fs.NArg() > 1 {
		return usagef("run: -o names the folder of one spec, but %d specs were given", fs.NArg())
	}

	// Parse and check every spec, and prepare every training experiment
	// (its data loaded, its estimators checked), before running any.
	type job struct {
		s   *spec.Spec
		dir string
		run runner
	}
	var jobs []job
	dirs := map[string]string{}
	for _, path := range fs.Args() {
		s, err := spec.Load(path)
		if err != nil {
			return &UsageError{Err: err}
		}
		if err := s.ApplyProfile(*profile); err != nil {
			return &UsageError{Err: err}
		}
		dir := *out
		if dir == "" {
			dir = filepath.Join(store.DefaultResultsDir, s.Name)
		}
		if prev, dup := dirs[filepath.Clean(dir)]; dup {
			return usagef("run: %s and %s both write to %s", prev, path, dir)
		}
		dirs[filepath.Clean(dir)] = path
		r, err := newRunner(s)
		if err != nil {
			return &UsageError{Err: err}
		}
		jobs = append(jobs, job{s, dir, r})
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	terminal := isTerminal(stderr)
	var progress io.Writer
	if !*quiet {
		progress = stderr
	}
	for _, j := range jobs {
		summary, warnings, err := j.run(ctx, runOptions{Dir: j.dir, Workers: *workers, Shard: shard, Shards: shards,
			Resume: *resume, Progress: progress, Terminal: terminal})
		if errors.Is(err, store.ErrConflict) {
			return &UsageError{Err: err}
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted; finished work is kept: run again with -resume to continue", j.s.File)
			}
			return err
		}
		if !*quiet {
			fmt.Fprintf(stderr, "%s → %s\n", summary, j.dir)
			for _, w := range warnings {
				fmt.Fprintf(stderr, "  warning: %s\n", w)
			}
		}
	}
	return nil
}

// runOptions are the options of every kind of experiment.
type runOptions struct {
	Dir           string
	Workers       int
	Shard, Shards int
	Resume        bool
	Progress      io.Writer // nil: quiet
	Terminal      bool      // Progress is a terminal
}

// runner runs one prepared experiment of any kind and returns its one-line
// summary and warnings.
type runner func(ctx context.Context, o runOptions) (summary string, warnings []string, err error)

// newRunner checks s and returns the runner of its kind: a sweep, or a
// training experiment ([train] or [model]).
func newRunner(s *spec.Spec) (runner, error) {
	if s.Train == nil && s.Model == nil {
		return func(ctx context.Context, o runOptions) (string, []string, error) {
			opts := sweep.Options{Dir: o.Dir, Workers: o.Workers, Shard: o.Shard, Shards: o.Shards, Resume: o.Resume}
			if o.Terminal && o.Progress != nil {
				p := newSweepProgress(o.Progress)
				defer p.stop()
				opts.Progress = p.update
			}
			res, err := sweep.Run(ctx, s, opts)
			if err != nil {
				return "", nil, err
			}
			return res.Summary(s.Name), res.Warnings, nil
		}, nil
	}
	x, err := train.Prepare(s)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, o runOptions) (string, []string, error) {
		res, err := train.Run(ctx, x, train.Options{Dir: o.Dir, Workers: o.Workers, Shard: o.Shard, Shards: o.Shards,
			Resume: o.Resume, Progress: o.Progress, Terminal: o.Terminal})
		if err != nil {
			return "", nil, err
		}
		return res.Summary(x), nil, nil
	}, nil
}
