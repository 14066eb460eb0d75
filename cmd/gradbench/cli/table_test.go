package cli

import (
	"strings"
	"testing"
)

func TestTableCommand(t *testing.T) {
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
	} {
		_, stderr, st := run(tc.args...)
		if st != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: status %d, stderr %q; want 2 and %q", tc.args, st, stderr, tc.want)
		}
	}
}
