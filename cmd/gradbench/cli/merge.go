package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/gradbench/gradbench/experiments/sweep"
)

func init() {
	register(&command{
		name:    "merge",
		args:    "-o DIR SHARDDIR...",
		summary: "combine the results folders of the shards of one run (gradbench run -shard i/n)",
		run:     runMerge,
	})
}

const mergeHelp = `The folders must come from the same spec and profile. The merged
DIR/cells.csv lists every cell in spec order, the same as an unsharded run's
(timing columns aside). A cell found in two folders, a missing cell, or a
DIR that already holds results is an error, and then nothing is written.`

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
