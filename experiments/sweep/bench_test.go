package sweep

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/stats"
)

// overheadCell is a cell of the cheapest kind: n = 1 on N(1, 1) and (x − 1)².
func overheadCell(t testing.TB, name string) *cellJob {
	p, err := dist.NewNormal(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := estimators.Describe(name)
	return &cellJob{
		cell: spec.Cell{Key: "estimator=" + name, Estimator: spec.Estimator{Name: name, Label: name}, N: 1},
		p:    p, f: objective.Quadratic{K: 1}, info: info,
		waiting: map[int]blockResult{}, mom: make([]stats.Moments, 2),
	}
}

// BenchmarkRunnerOverhead compares the runner's time per estimate (a block
// of 1000 replications run by a worker: generator, reset, estimates,
// accumulation, conversion to moments) with a bare loop calling Estimate
// 1000 times, for n = 1. The ratio metric is runner/bare; the runner's
// overhead is ratio − 1.
func BenchmarkRunnerOverhead(b *testing.B) {
	const block = 1000
	for _, name := range []string{"score", "pathwise", "mvd"} {
		b.Run(name, func(b *testing.B) {
			job := overheadCell(b, name)
			sw := &spec.Sweep{Replications: block, Block: block}
			w := &worker{seed: 1, sw: sw, est: map[string]estimators.Estimator{}}
			est, _ := estimators.New(name, nil)
			grad := make([]float64, 2)
			rng := rand.New(rand.NewPCG(1, 2))
			var bare, runner time.Duration
			bareLoop := func() {
				t0 := time.Now()
				for range block {
					if _, err := est.Estimate(grad, job.p, job.f, 1, rng); err != nil {
						b.Fatal(err)
					}
				}
				bare += time.Since(t0)
			}
			runLoop := func() {
				t0 := time.Now()
				job.next = 0
				if err := w.run(unit{job, 0}); err != nil {
					b.Fatal(err)
				}
				runner += time.Since(t0)
			}
			i := 0
			for b.Loop() {
				// Alternate the order to cancel its effects.
				if i++; i%2 == 0 {
					bareLoop()
					runLoop()
				} else {
					runLoop()
					bareLoop()
				}
			}
			n := float64(b.N * block)
			b.ReportMetric(float64(bare.Nanoseconds())/n, "bare-ns/est")
			b.ReportMetric(float64(runner.Nanoseconds())/n, "runner-ns/est")
			b.ReportMetric(float64(runner)/float64(bare), "ratio")
		})
	}
}

func TestAccumulatorAllocs(t *testing.T) {
	job := overheadCell(t, "score")
	est, _ := estimators.New("score", nil)
	acc := newAccumulator(2)
	rng := rand.New(rand.NewPCG(1, 2))
	if a := testing.AllocsPerRun(10, func() {
		if err := acc.run(est, job.p, job.f, 1, 100, rng); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%v allocations per block of estimates, want 0", a)
	}
}
