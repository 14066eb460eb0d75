package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gradbench/gradbench/experiments/check"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// ErrRegression is returned by "gradbench check" when the comparison fails;
// Main exits with status 1 for it.
var ErrRegression = errors.New("variance regression check failed")

func init() {
	register(&command{
		name: "check",
		args: "[-baseline DIR] [-alpha A] [-threshold T] [-format text|markdown] [-all] [-benchfmt FILE] [-update] RESULTS",
		summary: `compare RESULTS (a results folder of the regression suite) with a committed baseline:
fail (exit 1) when a variance increase is significant at family-wise α (Holm) and
above the threshold, when an unbiased estimator is biased by more than 4 SE
(Holm-corrected), or when non-finite estimates appear; -update rewrites the baseline`,
		run: runCheck,
	})
}

func runCheck(stdout, stderr io.Writer, args []string) error {
	c := commands["check"]
	fs := newFlagSet(c.name, c.args, c.summary, stderr)
	baseline := fs.String("baseline", filepath.Join("results", "baseline"), "baseline results `folder`")
	alpha := fs.Float64("alpha", 0.05, "family-wise error rate of each decision rule")
	threshold := fs.Float64("threshold", 0.10, "practical threshold: fail only on variance increases above this `fraction`")
	biasSE := fs.Float64("bias-se", 4, "bias threshold in standard errors for unbiased estimators")
	format := fs.String("format", "text", "table `format`: text or markdown")
	all := fs.Bool("all", false, "list unchanged rows too")
	benchfmt := fs.String("benchfmt", "", "also write RESULTS in Go benchmark format to `FILE` (for benchstat)")
	update := fs.Bool("update", false, "copy RESULTS into the baseline folder instead of comparing")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usagef("check needs exactly one RESULTS folder, got %d arguments", fs.NArg())
	}
	f, err := table.ParseFormat(*format)
	if err != nil || (f != table.Text && f != table.Markdown) {
		return usagef("check: -format %q: want text or markdown", *format)
	}
	dir := fs.Arg(0)
	cur, err := store.LoadCells(dir)
	if err != nil {
		return usagef("check: %v", err)
	}
	if *benchfmt != "" {
		if err := writeBenchfmt(*benchfmt, cur); err != nil {
			return err
		}
	}
	if *update {
		return updateBaseline(stdout, dir, *baseline, cur)
	}
	base, err := store.LoadCells(*baseline)
	if err != nil {
		return usagef("check: baseline: %v (create it with -update)", err)
	}
	rep, err := check.Compare(base, cur, check.Options{Alpha: *alpha, Threshold: *threshold, BiasSE: *biasSE})
	if err != nil {
		return usagef("check: %v", err)
	}
	if t := rep.Table(*all); len(t.Rows) > 0 {
		if err := t.Write(stdout, f); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, t.Caption)
	}
	if rep.Failed() {
		return ErrRegression
	}
	return nil
}

func writeBenchfmt(path string, rows []store.Row) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := check.WriteBenchfmt(fh, rows); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// updateBaseline copies the cells and metadata of dir into baseline.
func updateBaseline(stdout io.Writer, dir, baseline string, rows []store.Row) error {
	meta, err := os.ReadFile(filepath.Join(dir, store.MetaFile))
	if err != nil {
		return usagef("check -update: %v", err)
	}
	if err := os.MkdirAll(baseline, 0o755); err != nil {
		return err
	}
	if err := store.SaveCells(baseline, rows); err != nil {
		return err
	}
	if err := store.WriteFileAtomic(filepath.Join(baseline, store.MetaFile), meta); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "baseline %s updated from %s (%d rows)\n", baseline, dir, len(rows))
	return nil
}
