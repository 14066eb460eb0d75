package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gradbench/gradbench/experiments/check"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// ErrRegression is returned by "gradbench check" when the comparison fails;
// Main exits with status 1 for it.
var ErrRegression = errors.New("regression check failed")

func init() {
	register(&command{
		name:    "check",
		args:    "[-baseline DIR] [-alpha A] [-threshold T] [-bias-se K] [-format text|markdown] [-all] [-benchfmt FILE] RESULTS...",
		summary: "compare regression results with the committed baseline; exit 1 on a regression",
		run:     runCheck,
	})
}

const checkHelp = `Compare RESULTS (results folders of the regression suites) with a committed
baseline: DIR/<experiment> for each folder, or DIR itself for a single folder.
All tests that can fail the check form one Holm family: the variance tests
of the cells in both, and the bias tests of every row of an estimator that
declares itself unbiased, cells new to the baseline included. The check
fails (exit 1) when a variance increase is significant at family-wise α and
above the threshold, when an unbiased estimator is biased by more than
-bias-se standard errors (in a new cell too), when non-finite estimates
appear where the baseline had none (a new cell had none), or when an
estimator panicked on a cell. New cells that pass are listed as "new".

"gradbench baseline" writes the baseline (it replaces check -update).`

func runCheck(stdout, stderr io.Writer, args []string) error {
	c := commands["check"]
	fs := newFlagSet(c.name, c.args, checkHelp, stderr)
	def := check.DefaultOptions()
	baseline := fs.String("baseline", check.DefaultBaselineDir, "baseline `folder`: holds one folder per experiment, or is itself a results folder")
	alpha := fs.Float64("alpha", def.Alpha, "family-wise error rate of the tests that can fail the check (variance increases and bias, one Holm family)")
	threshold := fs.Float64("threshold", def.Threshold, "practical threshold: fail only on variance increases above this `fraction`")
	biasSE := fs.Float64("bias-se", def.BiasSE, "bias threshold in standard errors for unbiased estimators")
	format := fs.String("format", string(table.DefaultFormat), "table `format`: text or markdown")
	all := fs.Bool("all", false, "list unchanged rows too")
	benchfmt := fs.String("benchfmt", "", "also write RESULTS in Go benchmark format to `FILE` (for benchstat)")
	if removedUpdateFlag(args) {
		return usagef("check: -update is gone: write the baseline with \"gradbench baseline [-baseline DIR] RESULTS...\" (see gradbench help baseline)")
	}
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
		bdir := filepath.Join(*baseline, rows[0].Experiment)
		if _, err := os.Stat(filepath.Join(*baseline, store.CellsFile)); err == nil {
			if fs.NArg() > 1 {
				return usagef("check: %s is a single results folder; with several RESULTS, -baseline names a folder of one folder per experiment", *baseline)
			}
			bdir = *baseline
		}
		b, err := store.LoadCells(bdir)
		if err != nil {
			return usagef("check: baseline: %v (write it with gradbench baseline)", err)
		}
		if forced, err := check.LoadForced(bdir); err != nil {
			return usagef("check: baseline: %v", err)
		} else if forced != nil {
			fmt.Fprintf(stderr, "gradbench: note: baseline %s was written with -force %q, %d refused rows (%s)\n",
				bdir, forced.Reason, len(forced.Refused), filepath.Join(bdir, check.ForcedFile))
		}
		cur, base = append(cur, rows...), append(base, b...)
	}
	rep, err := check.Compare(base, cur, check.Options{Alpha: *alpha, Threshold: *threshold, BiasSE: *biasSE})
	if err != nil {
		return usagef("check: %v", err)
	}
	if rep.Compared() == 0 {
		return usagef("check: no cell of the results matches the baseline (%d new, %d removed): wrong -baseline, or a changed spec?", rep.Count(check.New), rep.Count(check.Removed))
	}
	// Bad input is found before anything is written.
	if *benchfmt != "" {
		if err := writeBenchfmt(*benchfmt, benchRows); err != nil {
			return err
		}
	}
	if t := rep.Table(*all); len(t.Rows) > 0 {
		if err := t.Write(stdout, f); err != nil {
			return err
		}
	} else if _, err := fmt.Fprintln(stdout, t.Caption); err != nil {
		return err
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

// removedUpdateFlag reports whether args (up to "--") hold the -update
// flag that "gradbench baseline" replaced.
func removedUpdateFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "update" {
			return true
		}
	}
	return false
}
