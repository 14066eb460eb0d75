package cli

import (
	"io"
	"os"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/table"
)

func init() {
	register(&command{
		name:    "claims",
		args:    "[-results DIR] [-format text|markdown|latex|csv]",
		summary: "print the table of the seed text's claims, each with what its experiments measured",
		run:     runClaims,
	})
}

func runClaims(stdout, stderr io.Writer, args []string) error {
	c := commands["claims"]
	fs := newFlagSet(c.name, c.args, c.summary+`.
It reads the results of claims-continuous, claims-step, fig2-quadratic,
fig3-gaussian and fig3-cos under the results folder, and, each row when
its results exist: claim (e) from discrete-categorical and
discrete-bernoulli3, (f) from vae-gaussian, (g) from blr, and (h) from
vae-bernoulli-linear and vae-bernoulli-nonlinear.`, stderr)
	dir := fs.String("results", "results", "the results `folder` holding the experiments' folders")
	format := fs.String("format", "text", "output `format`: text, markdown, latex or csv")
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
	t, err := report.Claims(*dir)
	if err != nil {
		return &UsageError{Err: err}
	}
	return t.Write(stdout, f)
}
