package table

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// summaryLike returns a table shaped like `gradbench table -layout summary`:
// the key columns (left-aligned; those in constant hold one value in every
// row), then nvalues right-aligned estimator columns of "v ± ci" cells.
func summaryLike(rows, nvalues int, keys []string, constant map[string]bool) *Table {
	t := &Table{Caption: "demo: variance ± 95% CI half-width"}
	for _, k := range keys {
		t.Header = append(t.Header, k)
		t.RightAlign = append(t.RightAlign, false)
	}
	for j := range nvalues {
		t.Header = append(t.Header, fmt.Sprintf("estimator-%02d", j))
		t.RightAlign = append(t.RightAlign, true)
	}
	for i := range rows {
		var r []string
		for _, k := range keys {
			if constant[k] {
				r = append(r, k+"-value")
			} else {
				r = append(r, fmt.Sprintf("%s%d", k, i))
			}
		}
		for j := range nvalues {
			r = append(r, fmt.Sprintf("0.0%d572 ± 9.7e-05", i*nvalues+j))
		}
		t.Append(r...)
	}
	return t
}

func latex(t *testing.T, tab *Table) string {
	t.Helper()
	var b bytes.Buffer
	if err := tab.Write(&b, LaTeX); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkLayout checks that every part of tab's LaTeX layout fits the default
// page, and that every header and cell of tab is in the output once per
// part it belongs to (no column lost).
func checkLayout(t *testing.T, tab *Table, out string) {
	t.Helper()
	_, parts, _ := tab.latexLayout(DefaultPage)
	for k, p := range parts {
		if p.spec == "" {
			if w := p.width(DefaultPage); w > DefaultPage.TextWidth {
				t.Errorf("part %d is %.0fpt wide, more than %.0fpt", k, w, DefaultPage.TextWidth)
			}
		}
	}
	for j, h := range tab.Header {
		if !strings.Contains(out, EscapeLaTeX(h)) {
			t.Errorf("column %d %q is missing:\n%s", j, h, out)
		}
	}
	for _, r := range tab.Rows {
		for _, c := range r {
			if !strings.Contains(out, EscapeLaTeX(c)) {
				t.Errorf("cell %q is missing:\n%s", c, out)
			}
		}
	}
}

func TestLaTeXNarrowUnchanged(t *testing.T) {
	t.Parallel()
	tab := summaryLike(3, 2, []string{"obj.k", "param"}, nil)
	want := "\\begin{table}[htbp]\n\\centering\n\\small\n\\caption{demo: variance $\\pm$ 95\\% CI half-width}\n\\begin{tabular}{llrr}\n\\toprule\n"
	if out := latex(t, tab); !strings.HasPrefix(out, want) || strings.Count(out, `\begin{tabular}`) != 1 {
		t.Errorf("a table that fits is not one tabular as it is:\n%s", out)
	}
}

// TestLaTeXTranspose is the discrete-toy-variance-cost table: six key
// columns, five of them constant, twelve estimator columns, two rows.
func TestLaTeXTranspose(t *testing.T) {
	t.Parallel()
	keys := []string{"distribution", "dist.logit", "objective", "obj.k", "n", "param"}
	tab := summaryLike(2, 12, keys, map[string]bool{"distribution": true, "dist.logit": true, "objective": true, "n": true, "param": true})
	out := latex(t, tab)
	checkLayout(t, tab, out)
	for _, want := range []string{
		`every row: distribution = distribution-value, dist.logit = dist.logit-value, objective = objective-value, n = n-value, param = param-value}`,
		"\\begin{tabular}{lrr}\n\\toprule\nobj.k & obj.k0 & obj.k1 \\\\",
		"estimator-00 & 0.00572 $\\pm$ 9.7e-05 & 0.012572 $\\pm$ 9.7e-05 \\\\",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "longtable") {
		t.Errorf("a short table is a longtable:\n%s", out)
	}
}

// TestLaTeXSplit: too many estimator columns for the page, even transposed
// (four rows of wide cells): groups of columns, each with the key columns,
// in one float.
func TestLaTeXSplit(t *testing.T) {
	t.Parallel()
	tab := summaryLike(4, 9, []string{"distribution", "dist.spread", "param"}, map[string]bool{"distribution": true})
	out := latex(t, tab)
	checkLayout(t, tab, out)
	n := strings.Count(out, `\begin{tabular}`)
	if n < 2 || strings.Count(out, `\begin{table}`) != 1 {
		t.Fatalf("%d tabulars in %d floats, want several in one:\n%s", n, strings.Count(out, `\begin{table}`), out)
	}
	if got := strings.Count(out, "dist.spread & param & "); got != n {
		t.Errorf("key header in %d of %d parts", got, n)
	}
	for j := range 9 {
		if got := strings.Count(out, fmt.Sprintf("estimator-%02d", j)); got != 1 {
			t.Errorf("estimator-%02d in %d parts, want 1", j, got)
		}
	}
	if strings.Contains(out, "distribution & ") {
		t.Errorf("the constant column is not in the caption:\n%s", out)
	}
}

// TestLaTeXLong: a table taller than the page is a longtable whose header
// repeats on every page; its column groups are longtables that continue the
// first's number.
func TestLaTeXLong(t *testing.T) {
	t.Parallel()
	tab := summaryLike(80, 11, []string{"dist.spread", "param"}, nil)
	tab.LaTeXLabel = "tab:long"
	out := latex(t, tab)
	checkLayout(t, tab, out)
	n := strings.Count(out, `\begin{longtable}`)
	if n < 2 || strings.Contains(out, `\begin{table}`) {
		t.Fatalf("%d longtables, want several and no float:\n%s", n, out)
	}
	for _, want := range []string{`\caption{demo: variance $\pm$ 95\% CI half-width}\label{tab:long}\\`, `\endfirsthead`, `\endhead`, `\caption*{\tablename~\thetable, continued}`, `\let\expandafter\refstepcounter\csname @gobble\endcsname`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(out, `\label{`) != 1 {
		t.Errorf("the label is not on the first part only")
	}
	short := summaryLike(3, 2, []string{"obj.k"}, nil)
	short.LongTable = true
	if out := latex(t, short); !strings.Contains(out, `\begin{longtable}{lrr}`) {
		t.Errorf("LongTable ignored:\n%s", out)
	}
}

// TestLaTeXMergeKeys: key columns wider than the page leave no room for a
// value column; they merge into one wrapped setting column.
func TestLaTeXMergeKeys(t *testing.T) {
	t.Parallel()
	keys := []string{"distribution", "dist.mu", "dist.sigma", "dist.dim", "dist.rate", "dist.scale", "dist.k", "dist.lambda", "objective", "obj.k", "n", "param"}
	tab := summaryLike(6, 2, keys, map[string]bool{"n": true})
	out := latex(t, tab)
	checkLayout(t, tab, out)
	if !regexp.MustCompile(`\\begin\{tabular\}\{>\{\\raggedright\\arraybackslash\}p\{[0-9.]+pt\}rr\}`).MatchString(out) {
		t.Errorf("no paragraph setting column:\n%s", out)
	}
	if !strings.Contains(out, "setting & estimator-00 & estimator-01") || !strings.Contains(out, "distribution = distribution0, dist.mu = dist.mu0,") {
		t.Errorf("setting column:\n%s", out)
	}
}

func TestLaTeXExplicitColumns(t *testing.T) {
	t.Parallel()
	tab := &Table{Header: []string{"claim", "verdict"}, LaTeXColumns: ">{\\raggedright\\arraybackslash}p{3cm}p{2cm}"}
	for range 3 {
		tab.Append(strings.Repeat("a long claim that wraps ", 4), "supported")
	}
	if out := latex(t, tab); !strings.Contains(out, `\begin{tabular}{`+tab.LaTeXColumns+`}`) {
		t.Errorf("explicit columns changed:\n%s", out)
	}
	// Rows of wrapped paragraphs: 60 rows of 5 lines do not fit a page.
	for range 57 {
		tab.Append(strings.Repeat("a long claim that wraps ", 4), "supported")
	}
	if out := latex(t, tab); !strings.Contains(out, `\begin{longtable}{`+tab.LaTeXColumns+`}`) {
		t.Errorf("tall table with paragraph columns is not a longtable:\n%s", out)
	}
}

func TestFixedWidths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec string
		want []float64
	}{
		{"lrr", []float64{0, 0, 0}},
		{">{\\raggedright\\arraybackslash}p{1in}|r@{}l", []float64{72.27, 0, 0}},
		{"p{10pt}m{1cm}", []float64{10, 72.27 / 2.54}},
		{"p{0.5\\linewidth}p{\\textwidth}p{2ex}", []float64{0.5 * DefaultPage.TextWidth, DefaultPage.TextWidth, 0}},
		{"p{1in", nil},
	} {
		got := fixedWidths(tc.spec, DefaultPage)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("fixedWidths(%q) = %v, want %v", tc.spec, got, tc.want)
		}
	}
}

func TestTextWidthEm(t *testing.T) {
	t.Parallel()
	// "0.5 ± 1": three digits (0.5 em each), a period, two spaces, ±.
	if got, want := textWidthEm("0.5 ± 1"), 3*0.5+0.2778+2*0.3333+0.7778; fmt.Sprintf("%.4f", got) != fmt.Sprintf("%.4f", want) {
		t.Errorf("textWidthEm = %v, want %v", got, want)
	}
}

func textLines(t *testing.T, tab *Table, width int) []string {
	t.Helper()
	var b bytes.Buffer
	if err := tab.WriteText(&b, width); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	tab := &Table{
		Caption: "Estimators, a caption long enough to need wrapping on a narrow terminal of forty columns",
		Header:  []string{"estimator", "unbiased", "cost per sample", "summary"},
	}
	tab.Append("arm", "yes", "2 f", "ARM (Yin & Zhou 2019): antithetic pair f(1[u>σ(−α)]) − f(1[u<σ(α)]) times (u − ½)")
	tab.Append("score+optimal", "yes", "1 f", "REINFORCE with per-component baseline E[f s²]/E[s²] from independent samples")
	tab.Append("x", "no", "1 f + 2 ∇f", "short")
	words := map[string]bool{}
	for _, r := range append([][]string{tab.Header}, tab.Rows...) {
		for _, c := range r {
			for _, w := range strings.Fields(c) {
				words[w] = true
			}
		}
	}
	var natural bytes.Buffer
	if err := tab.Write(&natural, Text); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{0, 200, 100, 80, 60, 40} {
		lines := textLines(t, tab, width)
		out := strings.Join(lines, "\n") + "\n"
		for i, l := range lines {
			if width > 0 && (twwidth.Width(l) > width || utf8.RuneCountInString(l) > width) {
				t.Errorf("width %d: line %d has %d columns: %q", width, i, utf8.RuneCountInString(l), l)
			}
		}
		for w := range words {
			if !strings.Contains(out, w) {
				t.Errorf("width %d: %q is missing:\n%s", width, w, out)
			}
		}
		if width == 0 || width >= tab.TextWidth() {
			if out != natural.String() {
				t.Errorf("width %d: not the natural layout:\n%s", width, out)
			}
		}
		if width == 40 && !strings.Contains(out, "\nestimator        score+optimal\n") {
			t.Errorf("width 40: not the vertical layout:\n%s", out)
		}
		if width == 100 && !strings.Contains(out, "\n┌") {
			t.Errorf("width 100: not a wrapped table:\n%s", out)
		}
	}
	if got, want := utf8.RuneCountInString(strings.Split(natural.String(), "\n")[1]), tab.TextWidth(); got != want {
		t.Errorf("TextWidth = %d, the rendered table is %d wide", want, got)
	}
}

func TestWrapCell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s     string
		width int
		want  []string
	}{
		{"", 5, nil},
		{"a bb ccc", 4, []string{"a bb", "ccc"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"x\ny z", 10, []string{"x", "y z"}},
		{"σ² ± ∇f", 4, []string{"σ² ±", "∇f"}},
	} {
		if got := wrapCell(tc.s, tc.width); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("wrapCell(%q, %d) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
	}
}
