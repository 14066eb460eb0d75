package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gradbench/gradbench/experiments/check"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// ErrBaselineRefused is returned by "gradbench baseline" when the results
// hold cells that may not enter a baseline and -force is not given; Main
// exits with status 1 for it.
var ErrBaselineRefused = errors.New("baseline refused")

func init() {
	register(&command{
		name:    "baseline",
		args:    "[-baseline DIR] [-force REASON] [-alpha A] [-bias-se K] RESULTS...",
		summary: "write the regression baseline from RESULTS, refusing biased, non-finite or failed cells",
		run:     runBaseline,
	})
}

const baselineHelp = `Copy RESULTS (results folders of the regression suites) into the baseline
that "gradbench check" compares with: RESULTS/cells.csv and meta.json go to
DIR/<experiment>/.

Before writing anything, every row of an estimator that declares itself
unbiased gets the bias test of "gradbench check" (a batch-means t-test of
the mean against the reference, the z-test with fewer than 5 blocks), all
rows of all RESULTS as one Holm family at family-wise -alpha: a row fails
when its bias is significant and larger than -bias-se standard errors.
Rows with non-finite estimates and cells whose estimator panicked fail too.
If any row fails, baseline lists them (estimator and cell), writes
nothing and exits with status 1.

-force REASON writes the baseline anyway and records the reason with the
refused cells in DIR/<experiment>/forced.json (reason, time, source
folder, the audit's alpha, bias threshold and number of tests, and each
refused cell with its verdict); "gradbench check" then prints the reason
when it compares with that folder. A baseline written without refusals
removes a forced.json left by an earlier -force.

This replaces "gradbench check -update". "make baseline" runs the
regression suites and calls it; the README's "Updating the baseline" says
when to.`

func runBaseline(stdout, stderr io.Writer, args []string) error {
	c := commands["baseline"]
	fs := newFlagSet(c.name, c.args, c.summary+"\n\n"+baselineHelp, stderr)
	opts := check.DefaultOptions()
	baseline := fs.String("baseline", check.DefaultBaselineDir, "baseline `folder`: RESULTS go to DIR/<experiment>")
	force := fs.String("force", "", "write the baseline although some cells are refused, recording `REASON` in forced.json")
	alpha := fs.Float64("alpha", opts.Alpha, "family-wise error rate of the bias tests (one Holm family)")
	biasSE := fs.Float64("bias-se", opts.BiasSE, "bias threshold in standard errors for unbiased estimators")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	forced := false
	fs.Visit(func(f *flag.Flag) { forced = forced || f.Name == "force" })
	if forced && strings.TrimSpace(*force) == "" {
		return usagef("baseline: -force needs a reason, e.g. -force \"the fix of score's sampler changes every stream\"")
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usagef("baseline needs at least one RESULTS folder")
	}
	opts.Alpha, opts.BiasSE = *alpha, *biasSE

	// Read everything first: nothing is written unless every folder is
	// readable and the audit passes (or -force).
	type folder struct {
		dir, dest string
		rows      []store.Row
		meta      []byte
	}
	var folders []folder
	var all []store.Row
	dests := map[string]string{}
	for _, dir := range fs.Args() {
		rows, err := store.LoadCells(dir)
		if err != nil {
			return usagef("baseline: %v", err)
		}
		if len(rows) == 0 {
			return usagef("baseline: %s has no rows", dir)
		}
		meta, err := os.ReadFile(filepath.Join(dir, store.MetaFile))
		if err != nil {
			return usagef("baseline: %v", err)
		}
		dest := filepath.Join(*baseline, rows[0].Experiment)
		if prev, dup := dests[dest]; dup {
			return usagef("baseline: %s and %s are both experiment %q", prev, dir, rows[0].Experiment)
		}
		dests[dest] = dir
		folders = append(folders, folder{dir, dest, rows, meta})
		all = append(all, rows...)
	}
	refused, tests, err := check.Audit(all, opts)
	if err != nil {
		return usagef("baseline: %v", err)
	}
	if len(refused) > 0 {
		t := check.AuditTable(refused)
		t.Caption = fmt.Sprintf("%d of %d rows refused (%d bias tests, one Holm family at family-wise α = %g, > %g SE)",
			len(refused), len(all), tests, opts.Alpha, opts.BiasSE)
		if err := t.Write(stdout, table.Text); err != nil {
			return err
		}
		if !forced {
			return fmt.Errorf("%w: %s; nothing written (fix the estimator, or pass -force REASON to write it anyway)",
				ErrBaselineRefused, describeRefused(refused))
		}
	}
	for _, f := range folders {
		if err := os.MkdirAll(f.dest, 0o755); err != nil {
			return err
		}
		var mine []check.ForcedCell
		for _, r := range refused {
			if r.New.Experiment == f.rows[0].Experiment {
				mine = append(mine, check.ForcedCell{Cell: r.Key, Verdict: r.Status, Note: r.Note})
			}
		}
		if len(mine) > 0 {
			rec := &check.Forced{Reason: *force, Written: time.Now().UTC().Truncate(time.Second), Source: f.dir,
				Alpha: opts.Alpha, BiasSE: opts.BiasSE, BiasTests: tests, Refused: mine}
			if err := check.WriteForced(f.dest, rec); err != nil {
				return err
			}
		} else if err := check.RemoveForced(f.dest); err != nil {
			return err
		}
		if err := store.SaveCells(f.dest, f.rows); err != nil {
			return err
		}
		if err := store.WriteFileAtomic(filepath.Join(f.dest, store.MetaFile), f.meta); err != nil {
			return err
		}
		note := ""
		if len(mine) > 0 {
			note = fmt.Sprintf("; FORCED with %d refused rows (%s): %q", len(mine), check.ForcedFile, *force)
		}
		if _, err := fmt.Fprintf(stdout, "baseline %s written from %s (%d rows)%s\n", f.dest, f.dir, len(f.rows), note); err != nil {
			return err
		}
	}
	if forced && len(refused) == 0 {
		fmt.Fprintln(stderr, "gradbench: baseline: nothing was refused; -force had no effect")
	}
	return nil
}

// describeRefused names the estimators of the refused rows and counts
// their rows, e.g. "2 rows of score-biased (BIASED), 1 of x (NONFINITE)".
func describeRefused(refused []check.Row) string {
	type key struct {
		est    string
		status check.Status
	}
	count := map[key]int{}
	var order []key
	for _, r := range refused {
		k := key{r.New.Estimator, r.Status}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	slices.SortStableFunc(order, func(a, b key) int { return strings.Compare(a.est, b.est) })
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d rows of estimator %s %s", count[k], k.est, k.status)
	}
	return strings.Join(parts, ", ")
}
