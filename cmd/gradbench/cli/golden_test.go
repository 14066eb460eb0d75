package cli

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

// goldenDir holds the golden files of TestGolden, one per case:
// testdata/golden/NAME.txt. Regenerate them with
//
//	go test ./cmd/gradbench/cli -run Golden -update
//
// (the -update flag is defined in list_test.go) and review the diff.
var goldenDir = filepath.Join("testdata", "golden")

// goldenColumns is the terminal width of the golden outputs ($COLUMNS):
// the common 80 columns. Text that fits the terminal (list, claims) is
// fitted to it whatever the terminal running the test.
const goldenColumns = "80"

// goldenCell returns a row of the synthetic regression suite of the check
// golden files: normal(mu=1, sigma=1), quadratic(k), n = 4, 4000
// replications in 10 blocks whose variances spread ±10% around v and
// whose means spread ±3 standard errors around the reference 1.
func goldenCell(est string, k float64, n int, param string, v float64) store.Row {
	r := store.Row{
		Experiment: "suite", Estimator: est, Unbiased: true, Distribution: "normal", Objective: "quadratic",
		Dist: []store.KV{{Name: "mu", Value: 1}, {Name: "sigma", Value: 1}}, Obj: []store.KV{{Name: "k", Value: k}},
		N: n, Replications: 4000, Param: param, Reference: 1, ReferenceMethod: "closed",
		Variance: v, VarianceLo: 0.9 * v, VarianceHi: 1.1 * v, SE: math.Sqrt(v / 4000), Kurtosis: 3,
		EvalsF: float64(n), Evals: float64(n), VarTimesEvals: v * float64(n),
	}
	for j := range 10 {
		f := float64(j-5) / 5 // −1 … 0.8
		r.BlockVariances = append(r.BlockVariances, v*(1+0.1*f))
		r.BlockMeans = append(r.BlockMeans, r.Reference+3*r.SE*f)
	}
	r.Mean = 0
	for _, m := range r.BlockMeans {
		r.Mean += m / 10
	}
	r.Bias = r.Mean - r.Reference
	r.MSE, r.SNR = r.Bias*r.Bias+v, math.Abs(r.Mean)/math.Sqrt(v)
	return r
}

// goldenSuite returns the baseline of the check golden files (pathwise
// and score at k = 0 and 3, ∂mu and ∂sigma), the same rows as a passing
// run, and a failing run: a variance regression (+50%), an improvement,
// a biased row, non-finite estimates, a removed and a new cell.
func goldenSuite() (base, pass, fail []store.Row) {
	for _, est := range []string{"pathwise", "score"} {
		for _, k := range []float64{0, 3} {
			for _, p := range []string{"mu", "sigma"} {
				v := 4.0
				if est == "score" {
					v = 40 * (1 + k)
				}
				base = append(base, goldenCell(est, k, 4, p, v))
			}
		}
	}
	pass = append(pass, base...)
	for _, r := range base {
		switch key := fmt.Sprintf("%s %g %s", r.Estimator, r.Obj[0].Value, r.Param); key {
		case "score 3 mu": // +50%: a regression
			r = goldenCell(r.Estimator, 3, 4, r.Param, 1.5*r.Variance)
		case "score 3 sigma": // +5%: within the noise of the blocks
			r = goldenCell(r.Estimator, 3, 4, r.Param, 1.05*r.Variance)
		case "pathwise 3 sigma": // −50%: better
			r = goldenCell(r.Estimator, 3, 4, r.Param, 0.5*r.Variance)
		case "pathwise 0 mu": // biased by 10 standard errors
			d := 10 * r.SE
			r.Mean, r.Bias = r.Mean+d, r.Bias+d
			for j := range r.BlockMeans {
				r.BlockMeans[j] += d
			}
		case "score 0 sigma": // non-finite estimates, where the baseline had none
			r.Nonfinite = 3
		case "score 0 mu": // removed
			continue
		}
		fail = append(fail, r)
	}
	fail = append(fail, goldenCell("pathwise", 0, 8, "mu", 2)) // new, unbiased: passes
	return base, pass, fail
}

// goldenCase is one command of TestGolden. In args, {base}, {pass},
// {fail} stand for the check fixtures' folders and {claims} for the
// claims package's synthetic results; the golden file shows them so.
type goldenCase struct {
	name string
	args []string
}

var goldenCases = []goldenCase{
	// The regression check, as make regress runs it.
	{"check-pass", []string{"check", "-baseline", "{base}", "{pass}"}},
	{"check-pass-all", []string{"check", "-all", "-baseline", "{base}", "{pass}"}},
	{"check-fail", []string{"check", "-baseline", "{base}", "{fail}"}},
	{"check-fail-markdown", []string{"check", "-format", "markdown", "-baseline", "{base}", "{fail}"}},
	// What a new user types first.
	{"list", []string{"list"}},
	{"claims", []string{"claims", "-results", "{claims}"}},
	{"claims-tests", []string{"claims", "-results", "{claims}", "-tests"}},
	{"help", []string{"help"}},
	{"help-check", []string{"help", "check"}},
	{"help-version", []string{"help", "version"}},
	// Usage errors.
	{"usage-no-command", []string{}},
	{"usage-unknown-command", []string{"bogus"}},
	{"usage-help-unknown-command", []string{"help", "bogus"}},
	{"usage-unknown-flag", []string{"check", "-bogus", "{pass}"}},
	{"usage-missing-argument", []string{"check"}},
	{"usage-missing-argument-table", []string{"table"}},
	{"usage-bad-flag-value", []string{"list", "-format", "html"}},
	{"usage-check-update", []string{"check", "-update", "{pass}"}},
}

// TestGolden compares the stdout, stderr and exit status of the commands
// whose text users read most (check passing and failing, list, claims,
// help, usage errors) with testdata/golden, byte for byte. Every input is
// fixed: synthetic results folders, the claims package's synthetic
// results, $COLUMNS = 80 (and stdout not a terminal), so the text is the
// same on every machine; a path of the temporary folder in the output is
// an error, not something to filter out.
func TestGolden(t *testing.T) {
	t.Setenv("COLUMNS", goldenColumns)
	dir := t.TempDir()
	base, pass, fail := goldenSuite()
	folders := map[string]string{"{claims}": claimsResults}
	for name, rows := range map[string][]store.Row{"{base}": base, "{pass}": pass, "{fail}": fail} {
		d := filepath.Join(dir, strings.Trim(name, "{}"))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := store.SaveCells(d, rows); err != nil {
			t.Fatal(err)
		}
		folders[name] = d
	}
	names := map[string]bool{}
	for _, tc := range goldenCases {
		names[tc.name+".txt"] = true
		t.Run(tc.name, func(t *testing.T) {
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				if d, ok := folders[a]; ok {
					a = d
				}
				args[i] = a
			}
			var stdout, stderr bytes.Buffer
			st := Status(Run(&stdout, &stderr, args), &stderr)
			got := fmt.Sprintf("# %s\n# COLUMNS=%s, exit status %d\n-- stdout --\n%s-- stderr --\n%s",
				strings.Join(append([]string{"gradbench"}, tc.args...), " "), goldenColumns, st, stdout.String(), stderr.String())
			if strings.Contains(got, dir) {
				t.Fatalf("the output names the temporary folder %s: make it deterministic\n%s", dir, got)
			}
			goldenCompare(t, filepath.Join(goldenDir, tc.name+".txt"), got)
		})
	}
	// No golden file is left over from a removed case.
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !names[e.Name()] {
			if *update {
				if err := os.Remove(filepath.Join(goldenDir, e.Name())); err != nil {
					t.Error(err)
				}
				continue
			}
			t.Errorf("%s belongs to no case of TestGolden (remove it, or run -update)", filepath.Join(goldenDir, e.Name()))
		}
	}
}

// goldenCompare compares got with the file at path byte for byte, or
// rewrites the file with -update.
func goldenCompare(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/gradbench/cli -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is meant, rerun with -run Golden -update and review the diff):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff returns the lines of want and got from the first one that
// differs, a few of each.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	excerpt := func(ls []string) string {
		if i >= len(ls) {
			return "(end of text)"
		}
		return strings.Join(ls[i:min(len(ls), i+6)], "\n")
	}
	return fmt.Sprintf("first difference at line %d\n--- want\n%s\n--- got\n%s", i+1, excerpt(w), excerpt(g))
}
