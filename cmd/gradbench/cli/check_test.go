package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckUpdateRemoved: check -update, replaced by gradbench baseline, is
// a usage error that says so, and writes nothing.
func TestCheckUpdateRemoved(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	for _, args := range [][]string{
		{"check", "-update", "-baseline", base, dir},
		{"check", "-baseline", base, "--update", dir},
		{"check", "-update=true", dir},
	} {
		_, stderr, st := run(args...)
		if st != ExitUsageError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "gradbench baseline") {
			t.Errorf("%v: status %d, stderr %q: want 2 and one line naming gradbench baseline", args, st, stderr)
		}
	}
	help, _, _ := run("help", "check")
	if strings.Contains(help, "  -update") || !strings.Contains(help, "gradbench baseline") {
		t.Errorf("help check still offers -update, or does not name gradbench baseline:\n%s", help)
	}
}
