package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/sweep"
	"github.com/gradbench/gradbench/experiments/train"
)

func init() {
	register(&command{
		name:    "merge",
		args:    "-o DIR [-q] SHARDDIR...",
		summary: "combine the results folders of the shards of one run (gradbench run -shard i/n)",
		run:     runMerge,
	})
}

const mergeHelp = `The folders must come from the same spec and profile: the shards of a sweep
or of a training experiment ([train] or [model]; meta.json says which). The
merged DIR/cells.csv (sweeps), or DIR/curves.csv and DIR/metrics.csv
(training), list every cell or run in spec order, the same as an unsharded
run's (timing columns aside). A cell or run found in two folders, a missing
one, an unfinished shard, shards of different splits, or a DIR that already
holds results is an error, and then nothing is written.`

func runMerge(stdout, stderr io.Writer, args []string) error {
	c := commands["merge"]
	fs := newFlagSet(c.name, c.args, c.summary+"\n\n"+mergeHelp, stderr)
	out := fs.String("o", "", "merged results `DIR` (required)")
	quiet := fs.Bool("q", false, "quiet: no summary")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" {
		return usagef("merge: -o DIR is required")
	}
	if fs.NArg() == 0 {
		return usagef("merge: no shard folders given")
	}
	kind, err := store.KindOf(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("merge: %s is not a finished results folder: %w", fs.Arg(0), err)
	}
	if kind == store.KindTrain || kind == store.KindModel {
		res, err := train.Merge(*out, fs.Args())
		if errors.Is(err, train.ErrConflict) {
			return &UsageError{Err: err}
		}
		if err != nil {
			return err
		}
		if !*quiet {
			fmt.Fprintf(stderr, "merged %d folders: %d runs, %d curve points, %d metrics → %s\n", fs.NArg(), res.Runs, res.Points, res.Metrics, *out)
		}
		return nil
	}
	res, err := sweep.Merge(*out, fs.Args())
	if errors.Is(err, sweep.ErrConflict) {
		return &UsageError{Err: err}
	}
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "merged %d folders: %d cells (%d skipped), %d rows → %s\n", fs.NArg(), res.Cells, res.Skipped, len(res.Rows), *out)
	}
	return nil
}
