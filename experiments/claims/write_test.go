package claims

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

var update = flag.Bool("update", false, "rewrite the golden files and the synthetic results in testdata")

// syntheticDir is the synthetic results folder of the golden tests (and of
// the gradbench claims command's tests), written by syntheticResults.
var syntheticDir = filepath.Join("testdata", "results")

// TestSyntheticResults checks that testdata/results is what
// syntheticResults writes (go test -update rewrites it).
func TestSyntheticResults(t *testing.T) {
	cells, ms := syntheticResults()
	if *update {
		if err := os.RemoveAll(syntheticDir); err != nil {
			t.Fatal(err)
		}
		writeResults(t, syntheticDir, cells, ms)
	}
	fresh := t.TempDir()
	writeResults(t, fresh, cells, ms)
	for name := range cells {
		sameFile(t, filepath.Join(fresh, name, store.CellsFile), filepath.Join(syntheticDir, name, store.CellsFile))
	}
	for name := range ms {
		sameFile(t, filepath.Join(fresh, name, store.MetricsFile), filepath.Join(syntheticDir, name, store.MetricsFile))
	}
}

func sameFile(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("%s differs from what syntheticResults writes (run go test -update)", want)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func evaluateSynthetic(t *testing.T) *Result {
	t.Helper()
	res, err := Evaluate(syntheticDir)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func render(t *testing.T, res *Result, f table.Format, width int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := res.Write(&buf, f, width); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGolden: the claims of the synthetic results in every format, and the
// family of tests.
func TestGolden(t *testing.T) {
	res := evaluateSynthetic(t)
	if len(res.Claims) != 8 {
		t.Fatalf("%d claims, want (a)–(h)", len(res.Claims))
	}
	golden(t, "claims.text", render(t, res, table.Text, 100))
	golden(t, "claims.markdown", render(t, res, table.Markdown, 0))
	golden(t, "claims.latex", render(t, res, table.LaTeX, 0))
	var buf bytes.Buffer
	if err := res.TestsTable().Write(&buf, table.CSV); err != nil {
		t.Fatal(err)
	}
	golden(t, "tests.csv", buf.Bytes())
	n := 0
	for _, c := range res.Claims {
		n += len(c.Tests)
	}
	if n != len(res.Tests) {
		t.Errorf("the family has %d tests, the claims %d", len(res.Tests), n)
	}
}

// TestTextWidth: the text layout fits the width it is given, and -wide's
// table does not.
func TestTextWidth(t *testing.T) {
	t.Parallel()
	res := evaluateSynthetic(t)
	for _, w := range []int{40, 80, 100, 132} {
		for i, line := range strings.Split(string(render(t, res, table.Text, w)), "\n") {
			if n := utf8.RuneCountInString(line); n > w {
				t.Errorf("width %d: line %d has %d characters: %q", w, i+1, n, line)
			}
		}
	}
	longest := 0
	for _, line := range strings.Split(string(render(t, res, table.Text, 0)), "\n") {
		longest = max(longest, utf8.RuneCountInString(line))
	}
	if longest <= 1000 {
		t.Errorf("the full-width table's longest line is %d characters; want one line per claim", longest)
	}
}

// TestLaTeXASCII: the LaTeX output is plain ASCII, so it compiles whatever
// Unicode characters the document declares, and every claim is there.
func TestLaTeXASCII(t *testing.T) {
	t.Parallel()
	res := evaluateSynthetic(t)
	out := render(t, res, table.LaTeX, 0)
	for i, r := range string(out) {
		if r > 127 {
			t.Fatalf("non-ASCII %q at byte %d: %q", r, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	for _, l := range []string{"(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)", "(h)"} {
		if !bytes.Contains(out, []byte(`\textbf{`+l+" ")) {
			t.Errorf("LaTeX lacks claim %s", l)
		}
	}
}

// TestLaTeXCompiles typesets the LaTeX output in the paper's page layout
// (article, 11pt, 2.5 cm margins) and fails on any error or overfull box
// wider than 1 pt. It needs pdflatex.
func TestLaTeXCompiles(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("typesetting in -short mode")
	}
	bin, err := exec.LookPath("pdflatex")
	if err != nil {
		t.Skip("no pdflatex")
	}
	dir := t.TempDir()
	doc := `\documentclass[11pt]{article}
\usepackage[margin=2.5cm]{geometry}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{array}
\begin{document}
See Table~\ref{tab:claims}.
{\footnotesize
\input{claims.tex}
}
\end{document}
`
	if err := os.WriteFile(filepath.Join(dir, "doc.tex"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "claims.tex"), render(t, evaluateSynthetic(t), table.LaTeX, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-interaction=nonstopmode", "-halt-on-error", "doc.tex")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdflatex: %v\n%s", err, out)
	}
	log, err := os.ReadFile(filepath.Join(dir, "doc.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(log), "\n") {
		if strings.HasPrefix(line, "Overfull \\hbox") {
			t.Errorf("%s", line)
		}
	}
}
