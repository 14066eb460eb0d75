package cli

import (
	"strings"
	"testing"
)

func TestTableCommand(t *testing.T) {
	t.Parallel()
	dir := writeResults(t)
	stdout, stderr, st := run("table", "-format", "markdown", dir)
	if st != 0 {
		t.Fatalf("status %d: %s", st, stderr)
	}
	if !strings.Contains(stdout, "| estimator") || !strings.Contains(stdout, "normal(mu=1, sigma=1) / quadratic(k=-3)") {
		t.Errorf("full table:\n%s", stdout)
	}
	stdout, stderr, st = run("table", "-layout", "summary", "-baseline", "pathwise", "-by", "obj.k,param", "-format", "csv", dir)
	if st != 0 {
		t.Fatalf("status %d: %s", st, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if lines[0] != "obj.k,param,score,score/pathwise,pathwise,mvd,mvd/pathwise,score-copy,score-copy/pathwise" {
		t.Errorf("header %q", lines[0])
	}
	if len(lines) != 1+7*2 {
		t.Errorf("%d lines, want 15:\n%s", len(lines), stdout)
	}
}

func TestTableErrors(t *testing.T) {
	t.Parallel()
	dir := writeResults(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"table"}, "one results folder"},
		{[]string{"table", "-format", "html", dir}, `unknown table format "html"`},
		{[]string{"table", "-layout", "wide", dir}, `unknown layout "wide"`},
		{[]string{"table", "-baseline", "score", dir}, "apply to -layout summary"},
		{[]string{"table", "-layout", "summary", "-baseline", "nope", dir}, `baseline estimator "nope"`},
		{[]string{"table", "-layout", "summary", "-by", "param", dir}, "several rows in the group"},
		{[]string{"table", empty}, "has no meta.json"},
		{[]string{"table", "-bogus", dir}, "flag provided but not defined"},
		{[]string{"table", "-layout", "metrics", dir}, "-layout metrics applies to model experiments"},
		{[]string{"table", "-metrics", "elbo", dir}, "apply to -layout metrics"},
		{[]string{"table", "-published", "a=1", dir}, "apply to -layout metrics"},
		{[]string{"table", "-layout", "metrics", "-published", "a=x", dir}, `"a=x" is not estimator=number`},
	} {
		_, stderr, st := run(tc.args...)
		if st != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: status %d, stderr %q; want 2 and %q", tc.args, st, stderr, tc.want)
		}
	}
}

// TestTableMetrics: -layout metrics on a model folder gives one row per
// estimator with the chosen metrics at the last step, and the published
// columns; an unrecorded metric is a usage error.
func TestTableMetrics(t *testing.T) {
	t.Parallel()
	dir := writeModelResults(t, "vae-bernoulli", "fixture")
	stdout, stderr, st := run("table", "-layout", "metrics", "-metrics", "test_iw,train_elbo", "-published", "disarm=-100", "-format", "csv", dir)
	if st != 0 {
		t.Fatalf("status %d: %s", st, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	// At step 100 the fixture's value is −90 − 500/101 − 3·(estimator) −
	// seed: arm −95.45 (seeds −94.95, −95.95), disarm 3 lower.
	want := []string{"estimator,seeds,test_iw ± se [95% ci],train_elbo ± se [95% ci],published test_iw,difference", "arm,2,", "disarm,2,"}
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), stdout)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d %q, want prefix %q", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[1], "-95.45 ± 0.50") || !strings.HasSuffix(lines[2], ",-100,1.55") {
		t.Errorf("values:\n%s", stdout)
	}
	if _, stderr, st := run("table", "-layout", "metrics", "-metrics", "nope", dir); st != 2 || !strings.Contains(stderr, `records no metric "nope"`) {
		t.Errorf("unknown metric: status %d, %q", st, stderr)
	}
}
