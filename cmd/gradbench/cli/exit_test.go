package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec/spectest"
	"github.com/gradbench/gradbench/experiments/store"
)

// The kinds of outcome of TestExitStatus, one per exit status of the rule
// stated in README.md: 0 ok, 1 run or check failure, 2 usage error or bad
// input.
const (
	exitOK      = "ok"      // success: status 0
	exitUsage   = "usage"   // unknown flag, bad flag value, wrong number of arguments: status 2
	exitInput   = "input"   // a missing, malformed or conflicting input file or folder: status 2
	exitFailure = "failure" // the command ran and failed: status 1
)

// exitWant is the status of each kind of outcome.
var exitWant = map[string]int{exitOK: ExitOK, exitUsage: ExitUsageError, exitInput: ExitUsageError, exitFailure: ExitFailure}

// exitNotApplicable lists, per command, the kinds of outcome it cannot
// have, and why; every other kind must have a case in TestExitStatus.
var exitNotApplicable = map[string]map[string]string{
	"help":    {exitInput: "reads no file (an unknown command name is its usage error)"},
	"list":    {exitInput: "reads no file"},
	"version": {exitInput: "reads no file"},
}

// failingWriter is a stdout whose writes fail, as on a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// exitFixtures are the inputs of TestExitStatus, all under one temporary
// folder.
type exitFixtures struct {
	dir       string
	spec      string // a small sweep spec (the regression suite's shape)
	badSpec   string // a spec that does not parse
	results   string // the finished sweep of spec
	shards    [2]string
	trainSh0  string // shard 0/2 of a training experiment
	baseline  string // a baseline folder (one folder per experiment) written from results
	regressed string // results with every score variance × 10: a regression
	biased    string // results with every mean shifted by 10 standard errors
	plotted   string // a sweep with a [plot] recipe (writeResults)
	malformed string // meta.json and cells.csv that do not parse
	noRows    string // a cells.csv with its header only
	noCurves  string // a training folder whose curves.csv has its header only
	file      string // a regular file: nothing can be written under it
}

// newExitFixtures writes the fixtures through the CLI (run, baseline) and
// store: deterministic, a fraction of a second.
func newExitFixtures(t *testing.T) *exitFixtures {
	t.Helper()
	dir := t.TempDir()
	fx := &exitFixtures{dir: dir, spec: writeSuite(t, dir, "suite.toml", `"pathwise", "score"`)}
	mustRun := func(args ...string) {
		t.Helper()
		if st, stderr := runCLI(t, args...); st != ExitOK {
			t.Fatalf("fixture %q: status %d: %s", args, st, stderr)
		}
	}
	write := func(path, text string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fx.badSpec = write(filepath.Join(dir, "bad.toml"), "name = \"bad\"\n[sweep\n")
	fx.results = filepath.Join(dir, "results")
	mustRun("run", "-q", "-o", fx.results, fx.spec)
	for i := range fx.shards {
		fx.shards[i] = filepath.Join(dir, "shard"+string(rune('0'+i)))
		mustRun("run", "-q", "-shard", string(rune('0'+i))+"/2", "-o", fx.shards[i], fx.spec)
	}
	train := write(filepath.Join(dir, "train.toml"), spectest.TrainWith("seeds = 2\neval_every = 5\n"))
	fx.trainSh0 = filepath.Join(dir, "train0")
	mustRun("run", "-q", "-shard", "0/2", "-o", fx.trainSh0, train)
	fx.baseline = filepath.Join(dir, "baseline")
	mustRun("baseline", "-baseline", fx.baseline, fx.results)

	// Altered copies of the results: the variance of every score row ×
	// 10 (its blocks too), or every mean 10 standard errors off.
	rows, err := store.LoadCells(fx.results)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := os.ReadFile(filepath.Join(fx.results, store.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	alter := func(name string, f func(r *store.Row)) string {
		t.Helper()
		out := filepath.Join(dir, name)
		rs := slices.Clone(rows)
		for i := range rs {
			rs[i].BlockVariances, rs[i].BlockMeans = slices.Clone(rs[i].BlockVariances), slices.Clone(rs[i].BlockMeans)
			f(&rs[i])
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := store.SaveCells(out, rs); err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(out, store.MetaFile), string(meta))
		return out
	}
	fx.regressed = alter("regressed", func(r *store.Row) {
		if r.Estimator != "score" {
			return
		}
		r.Variance, r.VarianceLo, r.VarianceHi = 10*r.Variance, 10*r.VarianceLo, 10*r.VarianceHi
		for j := range r.BlockVariances {
			r.BlockVariances[j] *= 10
		}
	})
	fx.biased = alter("biased", func(r *store.Row) {
		d := 10 * r.SE
		r.Mean, r.Bias = r.Mean+d, r.Bias+d
		for j := range r.BlockMeans {
			r.BlockMeans[j] += d
		}
	})

	fx.plotted = writeResults(t)
	fx.malformed = filepath.Join(dir, "malformed")
	write(filepath.Join(fx.malformed, store.MetaFile), "{")
	write(filepath.Join(fx.malformed, store.CellsFile), "garbage\n")
	fx.noRows = filepath.Join(dir, "norows")
	write(filepath.Join(fx.noRows, store.MetaFile), string(meta))
	cells, err := os.ReadFile(filepath.Join(fx.results, store.CellsFile))
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(cells), "\n")
	write(filepath.Join(fx.noRows, store.CellsFile), header+"\n")
	fx.noCurves = filepath.Join(dir, "nocurves")
	trainMeta, err := os.ReadFile(filepath.Join(fx.trainSh0, store.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	curves, err := os.ReadFile(filepath.Join(fx.trainSh0, store.CurvesFile))
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ = strings.Cut(string(curves), "\n")
	write(filepath.Join(fx.noCurves, store.MetaFile), string(trainMeta))
	write(filepath.Join(fx.noCurves, store.CurvesFile), header+"\n")
	fx.file = write(filepath.Join(dir, "a-file"), "not a folder\n")
	return fx
}

// TestExitStatus is the table of the exit-status rule, command by command:
// 0 on success, 1 when the command ran and failed (a run with a failed
// cell, a check that finds a regression, a refused baseline, an output
// that cannot be written), 2 for a usage error (unknown flag, bad flag
// value, wrong number of arguments) or bad input (a missing, malformed or
// conflicting file or folder). Every command that Run dispatches must
// have a case of each kind that applies to it (exitNotApplicable lists
// the exceptions).
func TestExitStatus(t *testing.T) {
	t.Parallel()
	fx := newExitFixtures(t)
	out := func(name string) string { return filepath.Join(fx.dir, "out", name) }
	under := filepath.Join(fx.file, "x") // cannot be created
	missing := filepath.Join(fx.dir, "missing")
	claimsEmpty := t.TempDir()

	type exitCase struct {
		kind   string
		args   []string
		failIO bool   // stdout fails
		child  string // run in a child process with these test estimators (see childRun)
	}
	cases := []exitCase{
		// The tool itself.
		{kind: exitUsage, args: []string{}},
		{kind: exitUsage, args: []string{"bogus"}},
		{kind: exitUsage, args: []string{"-bogus"}},

		{kind: exitOK, args: []string{"help"}},
		{kind: exitOK, args: []string{"help", "check"}},
		{kind: exitOK, args: []string{"-h"}},
		{kind: exitUsage, args: []string{"help", "bogus"}},
		{kind: exitUsage, args: []string{"help", "run", "table"}},
		{kind: exitFailure, args: []string{"help"}, failIO: true},

		{kind: exitOK, args: []string{"version"}},
		{kind: exitOK, args: []string{"version", "-h"}},
		{kind: exitUsage, args: []string{"version", "extra"}},
		{kind: exitUsage, args: []string{"version", "-bogus"}},
		{kind: exitFailure, args: []string{"version"}, failIO: true},

		{kind: exitOK, args: []string{"list"}},
		{kind: exitOK, args: []string{"list", "-format", "csv"}},
		{kind: exitUsage, args: []string{"list", "-bogus"}},
		{kind: exitUsage, args: []string{"list", "extra"}},
		{kind: exitUsage, args: []string{"list", "-width", "x"}},
		{kind: exitUsage, args: []string{"list", "-format", "html"}},
		{kind: exitFailure, args: []string{"list"}, failIO: true},

		{kind: exitOK, args: []string{"run", "-q", "-o", out("run"), fx.spec}},
		{kind: exitUsage, args: []string{"run", "-bogus", fx.spec}},
		{kind: exitUsage, args: []string{"run"}},
		{kind: exitUsage, args: []string{"run", "-workers", "-1", fx.spec}},
		{kind: exitInput, args: []string{"run", "-q", "-o", out("run-missing"), missing + ".toml"}},
		{kind: exitInput, args: []string{"run", "-q", "-o", out("run-bad"), fx.badSpec}},
		{kind: exitInput, args: []string{"run", "-q", "-o", fx.results, fx.spec}}, // already holds results
		{kind: exitFailure, args: []string{"run", "-q", "-o", out("run-panics"), writeSuite(t, fx.dir, "panics.toml", `"pathwise", "test-panics"`)}, child: "test-panics"},
		{kind: exitFailure, args: []string{"run", "-q", "-o", under, fx.spec}},

		{kind: exitOK, args: []string{"merge", "-q", "-o", out("merged"), fx.shards[0], fx.shards[1]}},
		{kind: exitUsage, args: []string{"merge", "-bogus", "-o", out("m"), fx.shards[0]}},
		{kind: exitUsage, args: []string{"merge", "-o", out("m")}},
		{kind: exitUsage, args: []string{"merge", fx.shards[0]}},
		{kind: exitInput, args: []string{"merge", "-o", out("m1"), missing}},
		{kind: exitInput, args: []string{"merge", "-o", out("m2"), fx.malformed}},
		{kind: exitInput, args: []string{"merge", "-o", out("m3"), fx.shards[0]}},                // cells missing
		{kind: exitInput, args: []string{"merge", "-o", out("m4"), fx.shards[0], fx.shards[0]}},  // a cell twice
		{kind: exitInput, args: []string{"merge", "-o", out("m5"), fx.shards[0], fx.results}},    // a cell twice
		{kind: exitInput, args: []string{"merge", "-o", fx.results, fx.shards[0], fx.shards[1]}}, // already holds results
		{kind: exitInput, args: []string{"merge", "-o", out("m6"), fx.trainSh0}},                 // a training shard missing
		{kind: exitFailure, args: []string{"merge", "-q", "-o", under, fx.shards[0], fx.shards[1]}},

		{kind: exitOK, args: []string{"table", fx.results}},
		{kind: exitOK, args: []string{"table", "-layout", "summary", fx.plotted}},
		{kind: exitUsage, args: []string{"table", "-bogus", fx.results}},
		{kind: exitUsage, args: []string{"table"}},
		{kind: exitUsage, args: []string{"table", fx.results, fx.results}},
		{kind: exitUsage, args: []string{"table", "-layout", "wide", fx.results}},
		{kind: exitInput, args: []string{"table", missing}},
		{kind: exitInput, args: []string{"table", fx.malformed}},
		{kind: exitInput, args: []string{"table", fx.noRows}},
		{kind: exitInput, args: []string{"table", fx.noCurves}},
		{kind: exitFailure, args: []string{"table", fx.results}, failIO: true},

		{kind: exitOK, args: []string{"plot", "-o", out("plot"), "-formats", "svg", fx.plotted}},
		{kind: exitUsage, args: []string{"plot", "-bogus", fx.plotted}},
		{kind: exitUsage, args: []string{"plot"}},
		{kind: exitUsage, args: []string{"plot", "-formats", "gif", fx.plotted}},
		{kind: exitInput, args: []string{"plot", "-o", out("plot1"), missing}},
		{kind: exitInput, args: []string{"plot", "-o", out("plot2"), fx.malformed}},
		{kind: exitInput, args: []string{"plot", "-o", out("plot3"), fx.noRows}},
		{kind: exitInput, args: []string{"plot", "-o", out("plot4"), fx.noCurves}},
		{kind: exitInput, args: []string{"plot", "-o", out("plot5"), fx.results}}, // its spec has no [plot] recipe
		{kind: exitFailure, args: []string{"plot", "-formats", "svg", "-o", under, fx.plotted}},
		{kind: exitFailure, args: []string{"plot", "-formats", "svg", "-o", out("plot6"), fx.plotted}, failIO: true},

		{kind: exitOK, args: []string{"check", "-baseline", fx.baseline, fx.results}},
		{kind: exitOK, args: []string{"check", "-baseline", filepath.Join(fx.baseline, "suite"), "-all", "-format", "markdown", fx.results}},
		{kind: exitUsage, args: []string{"check", "-bogus", fx.results}},
		{kind: exitUsage, args: []string{"check", "-baseline", fx.baseline}},
		{kind: exitUsage, args: []string{"check", "-update", fx.results}},
		{kind: exitUsage, args: []string{"check", "-baseline", fx.baseline, "-format", "csv", fx.results}},
		{kind: exitInput, args: []string{"check", "-baseline", fx.baseline, missing}},
		{kind: exitInput, args: []string{"check", "-baseline", fx.baseline, fx.malformed}},
		{kind: exitInput, args: []string{"check", "-baseline", fx.baseline, fx.noRows}},
		{kind: exitInput, args: []string{"check", "-baseline", missing, fx.results}},
		{kind: exitInput, args: []string{"check", "-baseline", fx.malformed, fx.results}},
		{kind: exitInput, args: []string{"check", "-baseline", filepath.Join(fx.baseline, "suite"), "-benchfmt", out("bench-unwritten.txt"), fx.plotted}}, // no cell matches
		{kind: exitFailure, args: []string{"check", "-baseline", fx.baseline, fx.regressed}},
		{kind: exitFailure, args: []string{"check", "-baseline", fx.baseline, fx.biased}},
		{kind: exitFailure, args: []string{"check", "-baseline", fx.baseline, "-benchfmt", under, fx.results}},
		{kind: exitFailure, args: []string{"check", "-baseline", fx.baseline, fx.results}, failIO: true},

		{kind: exitOK, args: []string{"baseline", "-baseline", out("base"), fx.results}},
		{kind: exitOK, args: []string{"baseline", "-baseline", out("base-forced"), "-force", "a test", fx.biased}},
		{kind: exitUsage, args: []string{"baseline", "-bogus", fx.results}},
		{kind: exitUsage, args: []string{"baseline"}},
		{kind: exitUsage, args: []string{"baseline", "-force", " ", fx.results}},
		{kind: exitInput, args: []string{"baseline", "-baseline", out("base1"), missing}},
		{kind: exitInput, args: []string{"baseline", "-baseline", out("base2"), fx.malformed}},
		{kind: exitInput, args: []string{"baseline", "-baseline", out("base3"), fx.noRows}},
		{kind: exitInput, args: []string{"baseline", "-baseline", out("base4"), fx.results, fx.regressed}}, // one experiment twice
		{kind: exitFailure, args: []string{"baseline", "-baseline", out("base5"), fx.biased}},
		{kind: exitFailure, args: []string{"baseline", "-baseline", under, fx.results}},
		{kind: exitFailure, args: []string{"baseline", "-baseline", out("base6"), fx.results}, failIO: true},

		{kind: exitOK, args: []string{"claims", "-results", claimsResults}},
		{kind: exitOK, args: []string{"claims", "-results", claimsResults, "-tests", "-format", "csv"}},
		{kind: exitUsage, args: []string{"claims", "-bogus"}},
		{kind: exitUsage, args: []string{"claims", "extra"}},
		{kind: exitUsage, args: []string{"claims", "-format", "pdf"}},
		{kind: exitInput, args: []string{"claims", "-results", missing}},
		{kind: exitInput, args: []string{"claims", "-results", claimsEmpty}},
		{kind: exitFailure, args: []string{"claims", "-results", claimsResults}, failIO: true},

		{kind: exitOK, args: []string{"provenance", fx.results, fx.plotted}},
		{kind: exitUsage, args: []string{"provenance", "-bogus", fx.results}},
		{kind: exitUsage, args: []string{"provenance"}},
		{kind: exitUsage, args: []string{"provenance", "-format", "html", fx.results}},
		{kind: exitInput, args: []string{"provenance", missing}},
		{kind: exitInput, args: []string{"provenance", fx.malformed}},
		{kind: exitFailure, args: []string{"provenance", fx.results}, failIO: true},
	}

	// Every command has a case of every kind that applies to it.
	seen := map[string]map[string]bool{}
	for _, tc := range cases {
		name := "(none)"
		if len(tc.args) > 0 {
			name = tc.args[0]
		}
		if seen[name] == nil {
			seen[name] = map[string]bool{}
		}
		seen[name][tc.kind] = true
	}
	for name := range commands {
		for _, kind := range []string{exitOK, exitUsage, exitInput, exitFailure} {
			if _, na := exitNotApplicable[name][kind]; !na && !seen[name][kind] {
				t.Errorf("command %s has no %s case (want status %d): add one, or say in exitNotApplicable why it cannot happen", name, kind, exitWant[kind])
			}
		}
	}

	for _, tc := range cases {
		var st int
		var stdout, stderr string
		switch {
		case tc.child != "":
			st, stdout, stderr = childRun(t, tc.child, nil, tc.args...)
		default:
			var o, e bytes.Buffer
			var w interface{ Write([]byte) (int, error) } = &o
			if tc.failIO {
				w = failingWriter{}
			}
			st = Status(Run(w, &e, tc.args), &e)
			stdout, stderr = o.String(), e.String()
		}
		want := exitWant[tc.kind]
		if st != want {
			t.Errorf("%s: gradbench %s: status %d, want %d\nstdout: %.300s\nstderr: %.600s", tc.kind, strings.Join(tc.args, " "), st, want, stdout, stderr)
			continue
		}
		// Every error is reported on stderr, on a last line that starts
		// with "gradbench:", whatever usage text comes before it.
		if st != ExitOK {
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "gradbench: ") {
				t.Errorf("gradbench %s: status %d, but the last line of stderr is %q, not the error", strings.Join(tc.args, " "), st, last)
			}
		}
	}
	// Bad input writes nothing.
	for _, name := range []string{"run-missing", "run-bad", "m1", "m2", "m3", "m4", "m5", "m6", "plot1", "plot2", "plot3", "plot4", "plot5", "bench-unwritten.txt", "base1", "base2", "base3", "base4", "base5"} {
		if _, err := os.Stat(out(name)); err == nil {
			t.Errorf("%s was written by a command that exited with status 2 (or a refused baseline)", out(name))
		}
	}
}
