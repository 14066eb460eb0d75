package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// sweepProgress renders a sweep's progress (sweep.Options.Progress) on a
// terminal: "done/total replications (percent), elapsed, ETA", rewritten in
// place at most every 200 ms and erased by stop.
type sweepProgress struct {
	w     io.Writer
	start time.Time
	every time.Duration
	mu    sync.Mutex
	last  time.Time // when the line was last written (zero: never)
}

func newSweepProgress(w io.Writer) *sweepProgress {
	return &sweepProgress{w: w, start: time.Now(), every: 200 * time.Millisecond}
}

// update is the sweep's progress callback; it is safe for concurrent use.
func (p *sweepProgress) update(done, total int64) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if total <= 0 || (!p.last.IsZero() && now.Sub(p.last) < p.every) {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "\r\033[K%s", progressLine(done, total, now.Sub(p.start)))
}

// stop erases the progress line, if one was written.
func (p *sweepProgress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.last.IsZero() {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// progressLine is "done/total replications (percent), elapsed, ETA".
func progressLine(done, total int64, elapsed time.Duration) string {
	eta := "?"
	if done > 0 {
		eta = roundDuration(time.Duration(float64(elapsed) * float64(total-done) / float64(done))).String()
	}
	return fmt.Sprintf("%d/%d replications (%.1f%%), %s elapsed, ETA %s",
		done, total, 100*float64(done)/float64(total), roundDuration(elapsed), eta)
}

// roundDuration rounds d to 0.1 s below 10 s and to seconds above.
func roundDuration(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
