package claims

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gradbench/gradbench/experiments/table"
)

// Caption is the title of the claims table.
const Caption = "The seed text's claims, as measured"

// Definitions defines the verdict words and the family, once, for every
// output format.
func (r *Result) Definitions() string {
	return fmt.Sprintf("Verdicts: %q, a test rejected its null hypothesis in the direction of the claim (equality only by an equivalence test within a stated margin) and none against it; %q, a test rejected against the claim; %q, no test decided (the reason says why). Every test of the table is in one Holm family: %d tests, family-wise error rate %g",
		Supported, NotSupported, Inconclusive, len(r.Tests), Alpha)
}

// Table returns the claims as a table, one row per claim: claim,
// experiments, measured, test and verdict (the Markdown and CSV layout, and
// the full-width text one).
func (r *Result) Table() *table.Table {
	t := &table.Table{
		Caption:    Caption + ". " + r.Definitions(),
		Header:     []string{"claim", "experiments", "measured", "test", "verdict"},
		LaTeXLabel: "tab:claims",
	}
	for _, c := range r.Claims {
		t.Append(c.Label+" "+c.Statement, strings.Join(c.Experiments, ", "), c.Measured, c.Test, c.Verdict.String())
	}
	return t
}

// TestsTable returns the family of tests, one row each: the claim, the
// question, the null hypothesis, the test, its p-value, the Holm-adjusted
// p-value and the decision (the verdict word of its side if rejected, "not
// rejected" otherwise).
func (r *Result) TestsTable() *table.Table {
	t := &table.Table{
		Caption:    fmt.Sprintf("The tests of the claims table: one Holm family of %d tests at family-wise error rate %g", len(r.Tests), Alpha),
		Header:     []string{"claim", "question", "H0", "test", "p", "Holm p", "decision"},
		RightAlign: []bool{false, false, false, false, true, true, false},
		LaTeXLabel: "tab:claims-tests",
	}
	for _, x := range r.Tests {
		t.Append(x.Claim, x.Question, x.H0, x.Method, pText(x.P), pText(x.Adjusted), x.decision())
	}
	return t
}

// Write renders the claims to w in format f. Text is laid out vertically,
// one block per claim, and wrapped to width columns (at least 40); width 0
// writes the full-width table, one line per claim. Markdown and CSV are the
// table of Table; LaTeX is one paragraph per claim, which breaks across
// pages.
func (r *Result) Write(w io.Writer, f table.Format, width int) error {
	switch f {
	case table.Text:
		if width <= 0 {
			return r.Table().Write(w, f)
		}
		return r.writeText(w, max(width, 40))
	case table.LaTeX:
		return r.writeLaTeX(w)
	}
	return r.Table().Write(w, f)
}

// fields are the labelled fields of a claim's block, in order.
func fields(c *Claim) [][2]string {
	return [][2]string{
		{"experiments", strings.Join(c.Experiments, ", ")},
		{"measured", c.Measured},
		{"test", c.Test},
		{"verdict", c.Verdict.String()},
	}
}

func (r *Result) writeText(w io.Writer, width int) error {
	var b strings.Builder
	for _, line := range wrap(Caption+". "+r.Definitions()+".", width, "") {
		b.WriteString(line + "\n")
	}
	const indent = "  "
	labelW := len("experiments: ")
	for _, c := range r.Claims {
		b.WriteString("\n")
		for _, line := range wrap(c.Label+" "+c.Statement, width, "    ") {
			b.WriteString(line + "\n")
		}
		pad := strings.Repeat(" ", len(indent)+labelW)
		for _, fl := range fields(c) {
			head := indent + fl[0] + ":" + strings.Repeat(" ", labelW-len(fl[0])-1)
			lines := wrap(fl[1], width-len(pad), "")
			for i, line := range lines {
				if i == 0 {
					b.WriteString(head + line + "\n")
				} else {
					b.WriteString(pad + line + "\n")
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// wrap breaks s into lines of at most width runes at spaces, the lines
// after the first prefixed with indent; a word longer than a line is cut.
func wrap(s string, width int, indent string) []string {
	var lines []string
	cur, empty := "", true
	for _, word := range strings.Fields(s) {
		for word != "" {
			if empty {
				cur = ""
				if len(lines) > 0 {
					cur = indent
				}
			}
			n, wl := utf8.RuneCountInString(cur), utf8.RuneCountInString(word)
			sep := 1
			if empty {
				sep = 0
			}
			switch {
			case n+sep+wl <= width:
				if !empty {
					cur += " "
				}
				cur, word, empty = cur+word, "", false
			case !empty:
				lines, empty = append(lines, cur), true
			default:
				// The word alone is too long for a line: cut it.
				room := max(width-n, 1)
				rs := []rune(word)
				lines, word, empty = append(lines, cur+string(rs[:room])), string(rs[room:]), true
			}
		}
	}
	if !empty || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// latexExtra escapes what table.EscapeLaTeX leaves as Unicode, so that the
// claims' LaTeX is plain ASCII whatever the document declares.
var latexExtra = strings.NewReplacer(
	"∂", `$\partial$`, "≈", `$\approx$`, "χ", `$\chi$`, "δ", `$\delta$`, "κ", `$\kappa$`,
	"φ", `$\phi$`, "η", `$\eta$`, "λ", `$\lambda$`, "Σ", `$\Sigma$`, "α", `$\alpha$`,
	"β", `$\beta$`, "–", "--", "—", "---", "⁴", `$^4$`, "½", `$\frac12$`, "…", `\ldots{}`,
	"→", `$\to$`, "≠", `$\ne$`, "·", `$\cdot$`, "∈", `$\in$`, "’", "'", "⁻", `$^-$`,
	"¹", `$^1$`, "³", `$^3$`, "⁶", `$^6$`, "≥", `$\ge$`, "≤", `$\le$`,
)

// escapeLaTeX escapes s for LaTeX text: quotes as “ and ”, then
// table.EscapeLaTeX, then latexExtra.
func escapeLaTeX(s string) string {
	var b strings.Builder
	open := true
	for _, r := range s {
		if r == '"' {
			if open {
				b.WriteString("``")
			} else {
				b.WriteString("''")
			}
			open = !open
			continue
		}
		b.WriteRune(r)
	}
	return latexExtra.Replace(table.EscapeLaTeX(b.String()))
}

// writeLaTeX writes the claims as a numbered table of paragraphs (it takes
// the table counter and the label tab:claims), so that it breaks across
// pages and needs no package beyond LaTeX's own.
func (r *Result) writeLaTeX(w io.Writer) error {
	var b strings.Builder
	b.WriteString("% Generated by gradbench claims -format latex.\n")
	b.WriteString("\\par\\medskip\\noindent\\refstepcounter{table}\\label{tab:claims}%\n")
	fmt.Fprintf(&b, "\\textbf{Table~\\thetable: %s.} %s.\\par\n", escapeLaTeX(Caption), escapeLaTeX(r.Definitions()))
	b.WriteString("{\\raggedright\n")
	for _, c := range r.Claims {
		fmt.Fprintf(&b, "\\par\\smallskip\\noindent\\textbf{%s %s}\\par\n", escapeLaTeX(c.Label), escapeLaTeX(c.Statement))
		for _, fl := range fields(c) {
			val := escapeLaTeX(fl[1])
			if fl[0] == "verdict" {
				word := escapeLaTeX(string(c.Verdict.Word))
				val = "\\textbf{" + word + "}" + strings.TrimPrefix(val, word)
			}
			fmt.Fprintf(&b, "\\noindent\\hangindent=1.5em\\textit{%s:} %s\\par\n", fl[0], val)
		}
	}
	b.WriteString("\\par}\\medskip\n")
	_, err := io.WriteString(w, b.String())
	return err
}
