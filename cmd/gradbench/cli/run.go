package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gradbench/gradbench/experiments/models"
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
is parsed and checked before anything runs: a spec error names the file,
line and field, exits with status 2 and writes nothing.

A sweep writes DIR/cells.csv (one row per cell and gradient component) and
DIR/meta.json, where DIR is results/<name> or -o. Results are the same, bit
for bit apart from the timing columns, whatever -workers and -shard. While
it runs, finished cells are kept in DIR/.journal: after an interruption,
run again with -resume to redo only the unfinished cells. -shard i/n runs
every n-th cell starting at i (0 ≤ i < n) into its own folder; combine the
n folders with "gradbench merge".

Progress with an ETA is shown when stderr is a terminal; a one-line summary
follows each spec unless -q.`

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
	shard, shards, err := parseShard(*shardFlag)
	if err != nil {
		return &UsageError{Err: err}
	}
	if *out != "" && fs.NArg() > 1 {
		return usagef("run: -o names the folder of one spec, but %d specs were given", fs.NArg())
	}

	// Parse and check every spec before running any.
	var specs []*spec.Spec
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
			dir = filepath.Join("results", s.Name)
		}
		if prev, dup := dirs[filepath.Clean(dir)]; dup {
			return usagef("run: %s and %s both write to %s", prev, path, dir)
		}
		dirs[filepath.Clean(dir)] = path
		specs = append(specs, s)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, s := range specs {
		dir := *out
		if dir == "" {
			dir = filepath.Join("results", s.Name)
		}
		if s.Model != nil {
			if err := runModel(ctx, stderr, s, dir, *workers, *quiet, *resume); err != nil {
				return err
			}
			continue
		}
		if s.Train != nil {
			if err := runTrain(ctx, stderr, s, dir, *workers, *quiet, *resume); err != nil {
				return err
			}
			continue
		}
		res, err := sweep.Run(ctx, s, sweep.Options{
			Dir: dir, Workers: *workers, Shard: shard, Shards: shards, Resume: *resume,
			Progress: sweep.ProgressWriter(stderr, *quiet),
		})
		if errors.Is(err, sweep.ErrConflict) {
			return &UsageError{Err: err}
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted; finished cells are kept: run again with -resume to continue", s.File)
			}
			return err
		}
		if !*quiet {
			fmt.Fprintf(stderr, "%s → %s\n", res.Summary(s.Name), dir)
			for _, w := range res.Warnings {
				fmt.Fprintf(stderr, "  warning: %s\n", w)
			}
		}
	}
	return nil
}

// parseShard parses "i/n" (0 ≤ i < n); "" is the whole run (0, 1).
func parseShard(s string) (shard, shards int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("run: -shard %q: want i/n with 0 ≤ i < n, e.g. 0/3", s)
	}
	return i, n, nil
}

// runTrain runs a training spec into dir. Training runs are short and write
// nothing until they finish, so -resume reruns an unfinished one.
func runTrain(ctx context.Context, stderr io.Writer, s *spec.Spec, dir string, workers int, quiet, resume bool) error {
	if _, err := os.Stat(filepath.Join(dir, store.CurvesFile)); err == nil && !resume {
		return usagef("run: %s already holds results; remove it, choose another -o, or pass -resume", dir)
	} else if err == nil && resume {
		if !quiet {
			fmt.Fprintf(stderr, "%s: finished already in %s\n", s.Name, dir)
		}
		return nil
	}
	var progress io.Writer
	if !quiet {
		progress = stderr
	}
	start := time.Now()
	if err := train.Run(ctx, s, dir, train.Options{Workers: workers, Progress: progress}); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: interrupted; nothing was written", s.File)
		}
		return err
	}
	if !quiet {
		fmt.Fprintf(stderr, "%s: %d estimators × %d seeds × %d steps in %.1fs → %s\n", s.Name, len(s.Train.Estimators), s.Train.Seeds, s.Train.Steps, time.Since(start).Seconds(), dir)
	}
	return nil
}

// runModel runs a model spec into dir; like training runs, an unfinished
// one is rerun by -resume.
func runModel(ctx context.Context, stderr io.Writer, s *spec.Spec, dir string, workers int, quiet, resume bool) error {
	if _, err := os.Stat(filepath.Join(dir, store.CurvesFile)); err == nil && !resume {
		return usagef("run: %s already holds results; remove it, choose another -o, or pass -resume", dir)
	} else if err == nil && resume {
		return nil
	}
	var progress io.Writer
	if !quiet {
		progress = stderr
	}
	start := time.Now()
	if err := models.Run(ctx, s, dir, models.Options{Workers: workers, Progress: progress}); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: interrupted; nothing was written", s.File)
		}
		return err
	}
	if !quiet {
		fmt.Fprintf(stderr, "%s: %s model, %d estimators × %d seeds × %d steps in %.1fs → %s\n", s.Name, s.Model.Kind, len(s.Model.Estimators), s.Model.Seeds, s.Model.Steps, time.Since(start).Seconds(), dir)
	}
	return nil
}
