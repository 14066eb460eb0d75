package cli

import (
	"io"
	"os"

	"github.com/gradbench/gradbench/experiments/claims"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

func init() {
	register(&command{
		name:    "claims",
		args:    "[-results DIR] [-format text|markdown|latex|csv] [-width N] [-tests]",
		summary: "print the table of the seed text's claims, each with what its experiments measured, its test and its verdict",
		run:     runClaims,
	})
}

func runClaims(stdout, stderr io.Writer, args []string) error {
	c := commands["claims"]
	fs := newFlagSet(c.name, c.args, c.summary+`.
It reads the results of claims-continuous, claims-step, fig2-quadratic,
fig3-gaussian and fig3-cos under the results folder, and, each row when
its results exist: claim (e) from discrete-categorical, discrete-bernoulli3,
discrete-bernoulli-tau and discrete-toy-variance, (f) from vae-gaussian,
(g) from blr, and (h) from
vae-bernoulli-linear and vae-bernoulli-nonlinear. Every verdict comes from
the tests of one Holm family (family-wise error rate 5%); -tests lists them.
Text is one block per claim, wrapped to the width of the terminal;
-width 0 prints the full-width table, one line per claim.`, stderr)
	dir := fs.String("results", store.DefaultResultsDir, "the results `folder` holding the experiments' folders")
	format := fs.String("format", string(table.DefaultFormat), "output `format`: text, markdown, latex or csv")
	width := fs.Int("width", widthAuto, widthUsage)
	tests := fs.Bool("tests", false, "print the family of tests (hypothesis, test, p-value, Holm-adjusted p-value, outcome) instead of the claims")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("claims takes no arguments, got %q", fs.Args())
	}
	f, err := table.ParseFormat(*format)
	if err != nil {
		return &UsageError{Err: err}
	}
	if _, err := os.Stat(*dir); err != nil {
		return usagef("claims: %v", err)
	}
	res, err := claims.Evaluate(*dir)
	if err != nil {
		return &UsageError{Err: err}
	}
	if *tests {
		if f == table.Text {
			return res.TestsTable().WriteText(stdout, textWidth(stdout, *width))
		}
		return res.TestsTable().Write(stdout, f)
	}
	return res.Write(stdout, f, textWidth(stdout, *width))
}
