package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

// TestHelpAndUnknown: every command has help (help NAME and NAME -h exit
// 0 and print a usage line; help NAME to stdout, as the help was asked
// for), an unknown command is one line of stderr that
// says where to look, with status 2, and the same empty input gives the
// same status in table and plot.
func TestHelpAndUnknown(t *testing.T) {
	t.Parallel()
	for name := range commands {
		for _, args := range [][]string{{"help", name}, {name, "-h"}} {
			stdout, stderr, st := run(args...)
			if st != 0 || !strings.Contains(stdout+stderr, "gradbench") {
				t.Errorf("%q: status %d, output %q", args, st, stdout+stderr)
			}
		}
		if stdout, stderr, _ := run("help", name); name != "help" && !strings.HasPrefix(stdout, "Usage: gradbench "+name) || stderr != "" {
			t.Errorf("help %s: stdout %.80q, stderr %.80q; want the help on stdout", name, stdout, stderr)
		}
	}
	for _, args := range [][]string{{"bogus"}, {"help", "bogus"}} {
		stdout, stderr, st := run(args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if st != 2 || stdout != "" || len(lines) != 1 || !strings.Contains(stderr, `run "gradbench help"`) {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 2 and one line", args, st, stdout, stderr)
		}
	}
	if _, stderr, st := run("help", "run", "table"); st != 2 || !strings.Contains(stderr, "one command name") {
		t.Errorf("help with two names: status %d, %q", st, stderr)
	}
	if stdout, _, st := run("help", "version"); st != 0 || !strings.HasPrefix(stdout, "Usage: gradbench version\n") {
		t.Errorf("help version: status %d, %q", st, stdout)
	}
}

// TestNoRowsSameStatus: a cells file with its header and no rows is bad
// input to table and plot alike (status 2).
func TestNoRowsSameStatus(t *testing.T) {
	t.Parallel()
	dir := writeResults(t)
	path := filepath.Join(dir, store.CellsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(path, []byte(header+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"table", dir}, {"plot", "-o", t.TempDir(), dir}} {
		if _, stderr, st := run(args...); st != 2 {
			t.Errorf("%q: status %d (%s), want 2", args, st, stderr)
		}
	}
}

// TestFlagsAfterArguments: flags may follow the positional arguments, and
// "--" makes what follows positional even when it starts with "-".
func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	dir := writeResults(t)
	before, _, st1 := run("table", "-format", "csv", dir)
	after, stderr, st2 := run("table", dir, "-format", "csv")
	if st1 != 0 || st2 != 0 || before != after || !strings.Contains(after, ",") {
		t.Errorf("table DIR -format csv: status %d/%d (%s), output differs: %v", st1, st2, stderr, before != after)
	}
	if _, stderr, st := run("table", "--", "-format"); st != 2 || !strings.Contains(stderr, "-format") || !strings.Contains(stderr, "does not exist") {
		t.Errorf(`table -- -format: status %d, %q; want 2 naming the folder "-format"`, st, stderr)
	}
}
