package train

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/gradbench/gradbench/experiments/store"
)

// progress reports the progress of an experiment's runs: on a terminal a
// status line redrawn twice a second (runs finished, the latest run's
// step, steps per second, ETA, last objective); otherwise one line per
// finished run, and a line at most once a minute while runs go on.
type progress struct {
	w        io.Writer
	terminal bool
	name     string
	total    int // steps of all runs
	runs     int
	start    time.Time

	mu          sync.Mutex
	done        int // steps taken (or restored), or skipped by stopped runs
	counted     map[int]int
	finishedN   int
	current     RunID
	currentStep int
	objective   float64
	lastLine    time.Time
	quit        chan struct{}
	wg          sync.WaitGroup
}

// heartbeat is how often a non-terminal progress writes a line while no
// run finishes.
const heartbeat = time.Minute

func newProgress(x *Experiment, ids []RunID, opts Options) *progress {
	p := &progress{w: opts.Progress, terminal: opts.Terminal, name: x.Spec.Name, total: len(ids) * x.steps,
		runs: len(ids), start: time.Now(), objective: math.NaN(), quit: make(chan struct{}), counted: map[int]int{}}
	p.lastLine = p.start
	if p.w == nil || !p.terminal {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
				p.mu.Lock()
				fmt.Fprint(p.w, "\r\033[K"+p.statusLocked())
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// statusLocked describes the state of the experiment in one line.
func (p *progress) statusLocked() string {
	el := time.Since(p.start)
	rate := float64(p.done) / el.Seconds()
	eta := "?"
	if p.done > 0 {
		eta = roundDuration(time.Duration(float64(el) * float64(p.total-p.done) / float64(p.done))).String()
	}
	s := fmt.Sprintf("%s: %d/%d runs done, %s step %d, %.0f steps/s, ETA %s", p.name, p.finishedN, p.runs,
		p.current, p.currentStep, rate, eta)
	if !math.IsNaN(p.objective) {
		s += fmt.Sprintf(", objective %.5g", p.objective)
	}
	return s
}

// roundDuration rounds d to 0.1 s below 10 s and to seconds above.
func roundDuration(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// resumed counts the steps of a run restored from a checkpoint.
func (p *progress) resumed(id RunID, step int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += step
	p.counted[id.Index] = step
	if p.w != nil && !p.terminal {
		fmt.Fprintf(p.w, "%s: %s: resumed at step %d\n", p.name, id, step)
	}
}

// step records that run id took a step (objective: the last evaluation's).
func (p *progress) step(id RunID, step int, _, objective float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.counted[id.Index]++
	p.current, p.currentStep, p.objective = id, step, objective
	if p.w != nil && !p.terminal && time.Since(p.lastLine) >= heartbeat {
		fmt.Fprintln(p.w, p.statusLocked())
		p.lastLine = time.Now()
	}
}

// finished reports a finished run.
func (p *progress) finished(r RunResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishedN++
	// Steps a stopped run did not take, or a finished run restored from
	// its checkpoint, count as done.
	p.done += max(0, p.total/p.runs-p.counted[r.ID.Index])
	p.counted[r.ID.Index] = p.total / p.runs
	if p.w == nil || len(r.Points) == 0 {
		return
	}
	last := r.Points[len(r.Points)-1]
	state := fmt.Sprintf("objective %.6g", last.Objective)
	if last.Status != store.StatusOK {
		state = last.Status
	}
	line := fmt.Sprintf("%s: %s: step %d, %s, %.0f evals, %.3gs [%d/%d]", p.name, r.ID, last.Step, state,
		last.Evals, last.Seconds, p.finishedN, p.runs)
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K"+line+"\n")
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.lastLine = time.Now()
}

func (p *progress) stop() {
	if p.w == nil || !p.terminal {
		return
	}
	close(p.quit)
	p.wg.Wait()
}
