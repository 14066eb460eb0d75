// Package table renders tables of results as terminal text, Markdown, LaTeX
// (booktabs) or CSV. Text and Markdown are rendered with tablewriter; LaTeX
// and CSV are written directly.
package table

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Text     Format = "text"
	Markdown Format = "markdown"
	LaTeX    Format = "latex"
	CSV      Format = "csv"
)

// DefaultFormat is the format commands print tables in unless told
// otherwise (-format): text, for a terminal.
const DefaultFormat = Text

// Formats lists the formats ParseFormat accepts.
var Formats = []Format{Text, Markdown, LaTeX, CSV}

// ParseFormat returns the format named s, or an error listing the choices.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown table format %q (want text, markdown, latex or csv)", s)
}

// Table is a rectangular table of strings with a header.
type Table struct {
	// Caption is printed above text tables, as a LaTeX \caption, and as a
	// bold line above Markdown tables; it may be empty.
	Caption string
	Header  []string
	Rows    [][]string
	// RightAlign marks the columns to align right (numbers); it may be
	// shorter than Header.
	RightAlign []bool
	// LaTeXColumns, if set, is the tabular column specification of the
	// LaTeX output (e.g. "p{3cm}lp{8cm}" for wrapped text columns).
	LaTeXColumns string
	// LaTeXLabel, if set, is the \label of the LaTeX table.
	LaTeXLabel string
	// KeyColumns is the number of leading columns that identify a row
	// (the setting, as opposed to the measured values), repeated in every
	// part when the LaTeX output is split; 0 means the leading
	// left-aligned columns, or the first column if all are left-aligned.
	KeyColumns int
	// LongTable sets the LaTeX output as a longtable, whose rows break
	// across pages, whatever its estimated height.
	LongTable bool
	// Page is the page the LaTeX output must fit; nil means DefaultPage.
	Page *Page
}

// Append adds a row.
func (t *Table) Append(row ...string) { t.Rows = append(t.Rows, row) }

// Write renders the table to w in format f. Text is at the table's natural
// width (see WriteText to fit a terminal). LaTeX fits the page (Page): a
// table too wide for it has its constant text columns moved into the caption,
// is transposed or is split into several tabulars, and a tall one is a
// longtable (see the layout rules in latex.go); Markdown and CSV are always
// the whole table as it is.
func (t *Table) Write(w io.Writer, f Format) error {
	switch f {
	case Text, Markdown:
		return t.writeTablewriter(w, f, t.Rows, t.Header)
	case LaTeX:
		return t.writeLaTeX(w)
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Header); err != nil {
			return err
		}
		if err := cw.WriteAll(t.Rows); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	return fmt.Errorf("unknown table format %q", f)
}

func (t *Table) alignments() tw.Alignment {
	al := make(tw.Alignment, len(t.Header))
	for i := range al {
		al[i] = tw.AlignLeft
		if i < len(t.RightAlign) && t.RightAlign[i] {
			al[i] = tw.AlignRight
		}
	}
	return al
}

// writeTablewriter renders t's caption and the given header and rows (t's
// own, or wrapped copies) with tablewriter.
func (t *Table) writeTablewriter(w io.Writer, f Format, rows [][]string, header []string) error {
	if t.Caption != "" {
		c := t.Caption
		if f == Markdown {
			c = "**" + c + "**\n"
		}
		if _, err := fmt.Fprintln(w, c); err != nil {
			return err
		}
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: t.alignments()}),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: t.alignments()}),
	}
	if f == Markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	tab := tablewriter.NewTable(w, opts...)
	tab.Header(toAny(header)...)
	for _, r := range rows {
		if err := tab.Append(toAny(r)...); err != nil {
			return err
		}
	}
	return tab.Render()
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// latexEscaper escapes LaTeX special characters in plain text cells.
var latexEscaper = strings.NewReplacer(
	`\`, `\textbackslash{}`, "&", `\&`, "%", `\%`, "$", `\$`, "#", `\#`,
	"_", `\_`, "{", `\{`, "}", `\}`, "~", `\textasciitilde{}`, "^", `\textasciicircum{}`,
	"±", `$\pm$`, "×", `$\times$`, "≤", `$\le$`, "≥", `$\ge$`, "∞", `$\infty$`,
	"σ", `$\sigma$`, "μ", `$\mu$`, "θ", `$\theta$`, "∇", `$\nabla$`, "τ", `$\tau$`,
	"−", "-", "²", `$^2$`, "√", `$\surd$`,
)

// EscapeLaTeX escapes s for use as text in a LaTeX document.
func EscapeLaTeX(s string) string { return latexEscaper.Replace(s) }
