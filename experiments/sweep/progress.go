package sweep

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress prints "done/total replications, percent, ETA" to a terminal.
type progress struct {
	w     io.Writer
	total int64
	done  atomic.Int64
	start time.Time
	quit  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(w io.Writer, total int64, start time.Time) *progress {
	p := &progress{w: w, total: total, start: start, quit: make(chan struct{})}
	if w == nil || total == 0 {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
				p.print()
			}
		}
	}()
	return p
}

func (p *progress) add(n int64) { p.done.Add(n) }

func (p *progress) print() {
	done := p.done.Load()
	el := time.Since(p.start)
	eta := "?"
	if done > 0 {
		eta = round(time.Duration(float64(el) * float64(p.total-done) / float64(done))).String()
	}
	fmt.Fprintf(p.w, "\r\033[K%d/%d replications (%.1f%%), %s elapsed, ETA %s",
		done, p.total, 100*float64(done)/float64(p.total), round(el), eta)
}

// round rounds d to 0.1 s below 10 s and to seconds above.
func round(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func (p *progress) stop() {
	if p.w == nil || p.total == 0 {
		return
	}
	close(p.quit)
	p.wg.Wait()
}
