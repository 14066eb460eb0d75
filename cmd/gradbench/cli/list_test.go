package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/gradbench/cli -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is meant, rerun with -update):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func longest(s string) (int, string) {
	n, line := 0, ""
	for _, l := range strings.Split(s, "\n") {
		if c := utf8.RuneCountInString(l); c > n {
			n, line = c, l
		}
	}
	return n, line
}

// TestListWidth: with COLUMNS=100 (or -width) no line of `gradbench list` is
// longer than the terminal; -width 0 gives the full width, with the
// applicability matrix; the other formats ignore the terminal.
func TestListWidth(t *testing.T) {
	t.Setenv("COLUMNS", "100")
	out, stderr, st := run("list")
	if st != 0 {
		t.Fatalf("status %d: %s", st, stderr)
	}
	if n, line := longest(out); n > 100 {
		t.Errorf("COLUMNS=100: a line of %d characters:\n%s", n, line)
	}
	for _, want := range []string{"Estimators", "Distributions", "Objectives", "Applicability", "score+optimal", "bernoulli-vec", "quadratic-t"} {
		if !strings.Contains(out, want) {
			t.Errorf("COLUMNS=100: output lacks %q", want)
		}
	}
	for _, w := range []int{60, 80, 140} {
		out, _, _ := run("list", "-width", strconv.Itoa(w))
		if n, line := longest(out); n > w {
			t.Errorf("-width %d: a line of %d characters:\n%s", w, n, line)
		}
	}
	full, _, _ := run("list", "-width", "0")
	if n, _ := longest(full); n <= 100 {
		t.Errorf("-width 0: longest line %d, want the full width", n)
	}
	if !strings.Contains(full, "│ family        │ arm │") {
		t.Errorf("-width 0: no applicability matrix:\n%s", full)
	}
	for _, f := range []string{"markdown", "latex", "csv"} {
		narrow, _, _ := run("list", "-format", f)
		t.Setenv("COLUMNS", "")
		wide, _, _ := run("list", "-format", f)
		t.Setenv("COLUMNS", "100")
		if narrow != wide {
			t.Errorf("-format %s depends on COLUMNS", f)
		}
	}
	t.Setenv("COLUMNS", "")
	if unset, _, _ := run("list"); unset != full {
		t.Error("without COLUMNS and a terminal the output is not the full width")
	}
	if _, stderr, st := run("list", "-width", "x"); st != 2 || !strings.Contains(stderr, "invalid value") {
		t.Errorf("-width x: status %d, %q", st, stderr)
	}
}

// TestListGolden pins the text of `gradbench list` at 100 columns and at
// the full width (regenerate with -update when an estimator, family or
// objective is added).
func TestListGolden(t *testing.T) {
	for _, tc := range []struct{ width, file string }{{"100", "list-100.txt"}, {"0", "list-full.txt"}} {
		out, stderr, st := run("list", "-width", tc.width)
		if st != 0 {
			t.Fatalf("status %d: %s", st, stderr)
		}
		golden(t, tc.file, out)
	}
}

// TestProvenanceWidth: provenance's text fits -width, and keeps its full
// width with -width 0.
func TestProvenanceWidth(t *testing.T) {
	t.Parallel()
	dir := writeResults(t)
	for _, w := range []int{60, 100} {
		out, stderr, st := run("provenance", "-width", strconv.Itoa(w), dir, dir)
		if st != 0 {
			t.Fatalf("status %d: %s", st, stderr)
		}
		if n, line := longest(out); n > w {
			t.Errorf("-width %d: a line of %d characters:\n%s", w, n, line)
		}
		if !strings.Contains(out, "experiment") || !strings.Contains(out, "fig2-test") {
			t.Errorf("-width %d: no experiment:\n%s", w, out)
		}
	}
	full, _, _ := run("provenance", "-width", "0", dir)
	if !strings.Contains(full, "│ experiment") {
		t.Errorf("-width 0: not the table:\n%s", full)
	}
}
