package sweep

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
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

// handStats accumulates the shifted sums of a hand-written loop's
// estimates: per component Σy and Σy², y = estimate − the first estimate,
// enough for the mean and the variance the runner reports.
type handStats struct {
	shift, s1, s2 [2]float64
	n             int
}

func (h *handStats) add(g0, g1 float64) {
	if h.n == 0 {
		h.shift = [2]float64{g0, g1}
	}
	y0, y1 := g0-h.shift[0], g1-h.shift[1]
	h.s1[0] += y0
	h.s2[0] += y0 * y0
	h.s1[1] += y1
	h.s2[1] += y1 * y1
	h.n++
}

// handLoops are hand-written loops computing R n-sample estimates of the
// gradient of E (x − k)² under N(μ, σ²) with respect to (μ, σ), as the
// named estimators define them (the mean of n samples as the sum times
// 1/n, as the runner computes it), with their statistics: no interfaces, no
// buffers, everything inlined (μ, σ and k are arguments, as they are
// data to the runner, so that the compiler cannot fold them).
var handLoops = map[string]func(mu, sigma, k float64, n, R int, rng *rand.Rand) handStats{
	"pathwise": func(mu, sigma, k float64, n, R int, rng *rand.Rand) (h handStats) {
		inv := 1 / float64(n)
		for range R {
			var g0, g1 float64
			for range n {
				e := rng.NormFloat64()
				g := 2 * (mu + sigma*e - k)
				g0 += g
				g1 += g * e
			}
			h.add(g0*inv, g1*inv)
		}
		return h
	},
	"score": func(mu, sigma, k float64, n, R int, rng *rand.Rand) (h handStats) {
		inv := 1 / float64(n)
		for range R {
			var g0, g1 float64
			for range n {
				x := mu + sigma*rng.NormFloat64()
				f := (x - k) * (x - k)
				z := (x - mu) / sigma
				g0 += f * (z / sigma)
				g1 += f * ((z*z - 1) / sigma)
			}
			h.add(g0*inv, g1*inv)
		}
		return h
	},
	"mvd": func(mu, sigma, k float64, n, R int, rng *rand.Rand) (h handStats) {
		c0, c1, inv := 1/(sigma*math.Sqrt(2*math.Pi)), 1/sigma, 1/float64(n)
		f := func(x float64) float64 { return (x - k) * (x - k) }
		for range R {
			var g0, g1 float64
			for range n {
				// μ: mu ± sigma w, w Rayleigh, coupled.
				w := math.Sqrt(-2 * math.Log1p(-rng.Float64()))
				g0 += c0 * (f(mu+sigma*w) - f(mu-sigma*w))
				// σ: double-sided Maxwell m against m u, coupled.
				a, b, c := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
				m := math.Sqrt(a*a + b*b + c*c)
				if rng.Uint64()&1 == 0 {
					m = -m
				}
				g1 += c1 * (f(mu+sigma*m) - f(mu+sigma*m*rng.Float64()))
			}
			h.add(g0*inv, g1*inv)
		}
		return h
	},
}

// BenchmarkSweepLimit compares the runner's time per estimate (a
// replication block run by a worker: generator, reset, batched
// replications, the statistics of every estimate, moments) with a
// hand-written loop that computes the same estimates and accumulates their
// means and variances, for pathwise, score and mvd at n = 1, 10 and 1000
// on N(1, 1) and (x − 1)². The ratio metric is runner/hand; the budgets
// are 1.5 at n = 1 and 1.2 at n = 1000.
func BenchmarkSweepLimit(b *testing.B) {
	for _, name := range []string{"pathwise", "score", "mvd"} {
		for _, n := range []int{1, 10, 1000} {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				R := max(100, 100000/n) // 10⁵ samples per block, at least 100 estimates
				job := overheadCell(b, name)
				job.cell.N = n
				sw := &spec.Sweep{Replications: R, Block: R}
				w := &worker{seed: 1, sw: sw, est: map[string]estimators.Estimator{}}
				hand := handLoops[name]
				rng := rand.New(rand.NewPCG(1, 2))
				var tHand, tRunner time.Duration
				var sink float64
				handLoop := func() {
					t0 := time.Now()
					h := hand(1, 1, 1, n, R, rng)
					tHand += time.Since(t0)
					sink += h.s2[0]
				}
				runLoop := func() {
					t0 := time.Now()
					job.next = 0
					if err := w.run(unit{job, 0}); err != nil {
						b.Fatal(err)
					}
					tRunner += time.Since(t0)
				}
				i := 0
				for b.Loop() {
					// Alternate the order to cancel its effects.
					if i++; i%2 == 0 {
						handLoop()
						runLoop()
					} else {
						runLoop()
						handLoop()
					}
				}
				if math.IsNaN(sink) {
					b.Fatal("hand-written loop: NaN")
				}
				est := float64(b.N * R)
				b.ReportMetric(float64(tHand.Nanoseconds())/est, "hand-ns/est")
				b.ReportMetric(float64(tRunner.Nanoseconds())/est, "runner-ns/est")
				b.ReportMetric(float64(tRunner)/float64(tHand), "ratio")
			})
		}
	}
}

// BenchmarkPeakMemory runs one cell (score, n = 1, N(1, 1), (x − 1)²) with
// R = 10⁴ and R = 10⁷ replications (blocks of 10⁴, 2 workers) and reports
// the peak live heap while it runs (the heap marked live by the garbage
// collector, which runs every 10% of growth here, sampled every
// millisecond) in MB, and the ratio of the two peaks: the budget is within
// 10% (the runner keeps a bounded number of blocks' statistics, whatever
// R). A pair of runs before the measured ones leaves out one-time
// allocations.
func BenchmarkPeakMemory(b *testing.B) {
	peak := func(R int) float64 {
		src := fmt.Sprintf(`name = "mem"
seed = 1
[sweep]
estimators = ["score"]
n = [1]
replications = %d
block = 10000
[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = 1.0
[[sweep.objectives]]
name = "quadratic"
k = 1.0
`, R)
		s, err := spec.Parse("mem.toml", []byte(src))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var top atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				metrics.Read(live)
				if v := live[0].Value.Uint64(); v > top.Load() {
					top.Store(v)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		if _, err := Run(context.Background(), s, Options{Workers: 2}); err != nil {
			b.Fatal(err)
		}
		close(stop)
		<-done
		return float64(top.Load()) / 1e6
	}
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	// A first pair of runs, not measured: the first long run of a process
	// allocates about 25 kB that stay live (one-time state of the
	// runtime and the packages, the same afterwards for every R), which
	// would otherwise count against R = 10⁷ only.
	peak(10_000)
	peak(10_000_000)
	var small, large float64
	for b.Loop() {
		small, large = peak(10_000), peak(10_000_000)
	}
	b.ReportMetric(small, "peak-MB-R=1e4")
	b.ReportMetric(large, "peak-MB-R=1e7")
	b.ReportMetric(large/small, "ratio")
}
