package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/spec/spectest"
)

// runSpecs runs gradbench with args in the current directory and returns
// its exit status and stderr.
func runSpecs(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	return Status(Run(&stdout, &stderr, args), &stderr), stderr.String()
}

// writeSpecs writes name → text files into the current directory.
func writeSpecs(t *testing.T, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunChecksPlotFirst runs two specs, the second with a bad [plot] key:
// the run exits with status 2 naming the file (relative to the working
// directory), line and field, and nothing runs, not even the first spec.
func TestRunChecksPlotFirst(t *testing.T) {
	t.Chdir(t.TempDir())
	good := strings.Replace(spectest.Base, `name = "bad"`, `name = "first"`, 1)
	second := strings.Replace(spectest.Base, `name = "bad"`, `name = "second"`, 1) + "[plot]\n" // line 16
	for _, tc := range []struct{ plot, want string }{
		{"recipe = \"pie\"\nx = \"obj.k\"\n", `b.toml:17: plot.recipe: unknown plot recipe "pie"`},
		{"recipe = \"variance\"\nx = \"obj.q\"\n", `b.toml:18: plot.x: "obj.q": not a column of the sweep's cells`},
		{"recipe = \"variance\"\nx = \"obj.k\"\nmetric = \"median\"\n", `b.toml:19: plot.metric: unknown plot metric "median"`},
		{"recipe = \"variance\"\nx = \"obj.k\"\nexact = \"closed\"\n", `b.toml:19: plot.exact: "closed": want one of persample`},
		{"recipe = \"variance\"\nx = \"obj.k\"\nparams = [\"tau\"]\n", `b.toml:19: plot.params[0]: "tau": not a gradient component`},
		{"recipe = \"variance\"\nx = \"obj.k\"\ncolour = \"red\"\n", `b.toml:19: plot.colour: unknown key in [plot]`},
	} {
		writeSpecs(t, map[string]string{"a.toml": good, "b.toml": second + tc.plot})
		status, stderr := runSpecs(t, "run", "-q", "a.toml", "b.toml")
		if status != ExitUsageError || !strings.HasPrefix(stderr, "gradbench: "+tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: status %d, stderr %q; want 2 and one line starting %q", tc.plot, status, stderr, "gradbench: "+tc.want)
		}
		if _, err := os.Stat("results"); !os.IsNotExist(err) {
			t.Fatalf("%q: a results folder was written", tc.plot)
		}
	}
}

// TestRunDataChecked runs a sweep and a model spec whose data file is not
// a readable .csv file beside it: status 2, nothing runs, and no error
// shows the file's contents.
func TestRunDataChecked(t *testing.T) {
	t.Chdir(t.TempDir())
	const secret = "SECRET-2b7e first line of a private file"
	writeSpecs(t, map[string]string{"a.toml": strings.Replace(spectest.Base, `name = "bad"`, `name = "first"`, 1),
		"secret.txt": secret + "\n", "secret.csv": secret + "\n"})
	shadow, _ := os.ReadFile("/etc/shadow") // readable by root only
	for data, want := range map[string]string{
		"/etc/shadow": `m.toml:8: model.data: "/etc/shadow": want a .csv file`,
		"secret.txt":  `m.toml:8: model.data: "secret.txt": want a .csv file`,
		"missing.csv": `m.toml:8: model.data: "missing.csv": no such file or directory (relative to the spec's folder: missing.csv)`,
		".":           `m.toml:8: model.data: ".": want a .csv file`,
	} {
		writeSpecs(t, map[string]string{"m.toml": strings.Replace(spectest.ModelWith(""), `"d.csv"`, `"`+data+`"`, 1)})
		status, stderr := runSpecs(t, "run", "-q", "a.toml", "m.toml")
		if status != ExitUsageError || !strings.HasPrefix(stderr, "gradbench: "+want) {
			t.Errorf("data = %q: status %d, stderr %q; want 2 and %q", data, status, stderr, want)
		}
		for _, line := range append(strings.Split(string(shadow), "\n"), secret) {
			if len(line) > 4 && strings.Contains(stderr, line) {
				t.Errorf("data = %q: stderr shows the file's contents: %q", data, stderr)
			}
		}
		if _, err := os.Stat("results"); !os.IsNotExist(err) {
			t.Fatalf("data = %q: a results folder was written", data)
		}
	}
}

// TestExactCurvesDrawn checks that gradbench plot draws every exact curve
// that specs may name (reference.ExactCurves, checked at parse time).
func TestExactCurvesDrawn(t *testing.T) {
	sp, err := spec.Parse("t.toml", []byte(plotTestSpec))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range reference.ExactCurves {
		if f, err := plotExact(sp, name); err != nil || f == nil {
			t.Errorf("exact = %q: %v", name, err)
		}
	}
}
