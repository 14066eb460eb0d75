package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
holds results is an error, and then nothing is written: bad shards exit
with status 2, a merged folder that cannot be written with status 1.`

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
		return usagef("merge: %s is not a finished results folder: %v", fs.Arg(0), err)
	}
	if kind == store.KindTrain || kind == store.KindModel {
		res, err := train.Merge(*out, fs.Args())
		if err != nil {
			return mergeError(err, *out)
		}
		if !*quiet {
			fmt.Fprintf(stderr, "merged %d folders: %d runs, %d curve points, %d metrics → %s\n", fs.NArg(), res.Runs, res.Points, res.Metrics, *out)
		}
		return nil
	}
	res, err := sweep.Merge(*out, fs.Args())
	if err != nil {
		return mergeError(err, *out)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "merged %d folders: %d cells (%d skipped), %d rows → %s\n", fs.NArg(), res.Cells, res.Skipped, len(res.Rows), *out)
	}
	return nil
}

// mergeError classifies an error of sweep.Merge or train.Merge by the exit
// status rule: a failure to write the merged folder out (a file-system
// error on out, on a path inside it or on a folder on the way to it) is a
// failure, status 1; anything else is about the shards given (unreadable,
// unfinished, of different specs or splits, overlapping, incomplete) or
// an out that already holds results, and is bad input: a *UsageError,
// status 2.
func mergeError(err error, out string) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe) && (inside(pe.Path, out) || inside(out, pe.Path)):
		return err
	case errors.As(err, &le) && inside(le.New, out):
		return err
	}
	return &UsageError{Err: err}
}

// inside reports whether path is dir or a path under it.
func inside(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
