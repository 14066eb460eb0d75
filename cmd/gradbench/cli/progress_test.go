package cli

import (
	"strings"
	"testing"
	"time"
)

// TestSweepProgress: the progress line shows the replications done, the
// percentage and an ETA; updates closer than the interval are dropped;
// stop erases the line.
func TestSweepProgress(t *testing.T) {
	t.Parallel()
	if got := progressLine(25, 100, 2*time.Second); got != "25/100 replications (25.0%), 2s elapsed, ETA 6s" {
		t.Errorf("progressLine = %q", got)
	}
	var b strings.Builder
	p := newSweepProgress(&b)
	p.every = time.Hour
	p.update(10, 100)
	p.update(20, 100) // within the interval: dropped
	p.stop()
	if got := b.String(); strings.Count(got, "replications") != 1 || !strings.Contains(got, "10/100") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("progress output %q", got)
	}
	var quiet strings.Builder
	newSweepProgress(&quiet).stop()
	if quiet.Len() != 0 {
		t.Errorf("stop without an update wrote %q", quiet.String())
	}
}
