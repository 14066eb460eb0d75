package cli

import (
	"io"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/table"
)

func init() {
	register(&command{
		name:    "provenance",
		args:    "[-format text|markdown|latex|csv] [-width N] RESULTS...",
		summary: "print the metadata of results folders: spec hash, seed, profile, commit, Go version, platform",
		run: func(stdout, stderr io.Writer, args []string) error {
			c := commands["provenance"]
			fs := newFlagSet(c.name, c.args, c.summary, stderr)
			format := fs.String("format", string(table.DefaultFormat), "output `format`: text, markdown, latex or csv")
			width := fs.Int("width", widthAuto, widthUsage)
			if help, err := parseFlags(fs, args); help || err != nil {
				return err
			}
			if fs.NArg() == 0 {
				fs.Usage()
				return usagef("provenance needs at least one RESULTS folder")
			}
			f, err := table.ParseFormat(*format)
			if err != nil {
				return &UsageError{Err: err}
			}
			t, err := report.Provenance(fs.Args())
			if err != nil {
				return &UsageError{Err: err}
			}
			if f == table.Text {
				return t.WriteText(stdout, textWidth(stdout, *width))
			}
			return t.Write(stdout, f)
		},
	})
}
