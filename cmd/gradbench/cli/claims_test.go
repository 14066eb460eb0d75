package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// claimsResults is the claims package's synthetic results folder (all of
// (a)–(h)); tests never read the mutable results/.
var claimsResults = filepath.Join("..", "..", "..", "experiments", "claims", "testdata", "results")

// claimsLongest returns the length in characters of the longest line of s.
func claimsLongest(s string) (int, string) {
	n, line := 0, ""
	for _, l := range strings.Split(s, "\n") {
		if c := utf8.RuneCountInString(l); c > n {
			n, line = c, l
		}
	}
	return n, line
}

// TestClaimsWidth: with COLUMNS=100 no line of `gradbench claims` (or of
// its -tests list) is longer than 100 characters; -width sets another
// width; -width 0 is the full-width table, one line per claim.
func TestClaimsWidth(t *testing.T) {
	t.Setenv("COLUMNS", "100")
	for _, args := range [][]string{{}, {"-tests"}} {
		out, stderr, st := run(append([]string{"claims", "-results", claimsResults}, args...)...)
		if st != 0 {
			t.Fatalf("claims %q: status %d: %s", args, st, stderr)
		}
		if n, line := claimsLongest(out); n > 100 {
			t.Errorf("claims %q, COLUMNS=100: a line of %d characters:\n%s", args, n, line)
		}
		for _, want := range []string{"(a)", "(d)", "(h)"} {
			if !strings.Contains(out, want) {
				t.Errorf("claims %q: output lacks %q", args, want)
			}
		}
	}
	out, _, st := run("claims", "-results", claimsResults, "-width", "60")
	if n, line := claimsLongest(out); st != 0 || n > 60 {
		t.Errorf("-width 60: status %d, a line of %d characters:\n%s", st, n, line)
	}
	out, _, st = run("claims", "-results", claimsResults, "-width", "0")
	if n, _ := claimsLongest(out); st != 0 || n < 1000 {
		t.Errorf("-width 0: status %d, longest line %d characters; want the full-width table", st, n)
	}
	if strings.Count(out, "\n(") != 0 || !strings.Contains(out, "│ (a) the pathwise estimator is unbiased") {
		t.Errorf("-width 0 should be the one-line-per-claim table:\n%.400s", out)
	}
}

// TestClaimsFormats: Markdown and CSV are the whole table whatever the
// terminal, LaTeX is ASCII paragraphs labelled tab:claims.
func TestClaimsFormats(t *testing.T) {
	t.Setenv("COLUMNS", "100")
	md, _, st := run("claims", "-results", claimsResults, "-format", "markdown")
	if n, _ := claimsLongest(md); st != 0 || n < 1000 || !strings.Contains(md, "| claim ") {
		t.Errorf("markdown: status %d, longest line %d", st, n)
	}
	tex, _, st := run("claims", "-results", claimsResults, "-format", "latex")
	if st != 0 || !strings.Contains(tex, `\label{tab:claims}`) || strings.Contains(tex, `\begin{tabular}`) {
		t.Errorf("latex: status %d:\n%.300s", st, tex)
	}
	for i, r := range tex {
		if r > 127 {
			t.Fatalf("latex: non-ASCII %q at byte %d", r, i)
		}
	}
}

func TestClaimsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-results", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{[]string{"-results", t.TempDir()}, "run experiments/claims-continuous.toml first"},
		{[]string{"-results", claimsResults, "-format", "pdf"}, "unknown table format"},
		{[]string{"-results", claimsResults, "extra"}, "claims takes no arguments"},
	} {
		_, stderr, st := run(append([]string{"claims"}, tc.args...)...)
		if st != ExitUsageError || !strings.Contains(stderr, tc.want) {
			t.Errorf("claims %q: status %d, stderr %q; want %d and %q", tc.args, st, stderr, ExitUsageError, tc.want)
		}
	}
}
