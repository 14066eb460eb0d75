package cli

import (
	"bytes"
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
		name:    "check",
		args:    "[-baseline DIR] [-alpha A] [-threshold T] [-bias-se K] [-format text|markdown] [-all] [-benchfmt FILE] [-update] RESULTS...",
		summary: "compare regression results with the committed baseline; exit 1 on a regression",
		run:     runCheck,
	})
}

const checkHelp = `Compare RESULTS (results folders of the regression suites) with a committed
baseline: DIR/<experiment> for each folder, or DIR itself for a single folder.
All tests that can fail the check form one Holm family. The check fails
(exit 1) when a variance increase is significant at family-wise α and above
the threshold, when an unbiased estimator is biased by more than -bias-se
standard errors, or when non-finite estimates appear where the baseline had
none. -update copies RESULTS into the baseline instead.`

func runCheck(stdout, stderr io.Writer, args []string) error {
	c := commands["check"]
	fs := newFlagSet(c.name, c.args, checkHelp, stderr)
	baseline := fs.String("baseline", filepath.Join("results", "baseline"), "baseline `folder`: holds one folder per experiment, or is itself a results folder")
	alpha := fs.Float64("alpha", 0.05, "family-wise error rate of the tests that can fail the check (variance increases and bias, one Holm family)")
	threshold := fs.Float64("threshold", 0.10, "practical threshold: fail only on variance increases above this `fraction`")
	biasSE := fs.Float64("bias-se", 4, "bias threshold in standard errors for unbiased estimators")
	format := fs.String("format", "text", "table `format`: text or markdown")
	all := fs.Bool("all", false, "list unchanged rows too")
	benchfmt := fs.String("benchfmt", "", "also write RESULTS in Go benchmark format to `FILE` (for benchstat)")
	update := fs.Bool("update", false, "copy each RESULTS folder into the baseline (DIR/<experiment>) instead of comparing")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usagef("check needs at least one RESULTS folder")
	}
	f, err := table.ParseFormat(*format)
	if err != nil || (f != table.Text && f != table.Markdown) {
		return usagef("check: -format %q: want text or markdown", *format)
	}
	var cur, base []store.Row
	var benchRows []store.Row
	for _, dir := range fs.Args() {
		rows, err := store.LoadCells(dir)
		if err != nil {
			return usagef("check: %v", err)
		}
		if len(rows) == 0 {
			return usagef("check: %s has no rows", dir)
		}
		benchRows = append(benchRows, rows...)
		if *update {
			if err := updateBaseline(stdout, dir, filepath.Join(*baseline, rows[0].Experiment), rows); err != nil {
				return err
			}
			continue
		}
		bdir := filepath.Join(*baseline, rows[0].Experiment)
		if _, err := os.Stat(filepath.Join(*baseline, store.CellsFile)); err == nil {
			if fs.NArg() > 1 {
				return usagef("check: %s is a single results folder; with several RESULTS, -baseline names a folder of one folder per experiment", *baseline)
			}
			bdir = *baseline
		}
		b, err := store.LoadCells(bdir)
		if err != nil {
			return usagef("check: baseline: %v (create it with -update)", err)
		}
		cur, base = append(cur, rows...), append(base, b...)
	}
	if *benchfmt != "" {
		if err := writeBenchfmt(*benchfmt, benchRows); err != nil {
			return err
		}
	}
	if *update {
		return nil
	}
	rep, err := check.Compare(base, cur, check.Options{Alpha: *alpha, Threshold: *threshold, BiasSE: *biasSE})
	if err != nil {
		return usagef("check: %v", err)
	}
	if rep.Compared() == 0 {
		return usagef("check: no cell of the results matches the baseline (%d new, %d removed): wrong -baseline, or a changed spec?", rep.Count(check.New), rep.Count(check.Removed))
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
	var buf bytes.Buffer
	if err := check.WriteBenchfmt(&buf, rows); err != nil {
		return err
	}
	return store.WriteFileAtomic(path, buf.Bytes())
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
