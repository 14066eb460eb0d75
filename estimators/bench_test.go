package estimators_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// The benchmark problem: normal(μ, σ) × (x − k)², n samples per estimate.
const (
	benchN     = 1000
	benchMu    = 1.0
	benchSigma = 1.0
	benchK     = 3.0
)

var sink float64

// benchEstimator reports ns/sample and allocs of one estimator on the
// benchmark problem.
func benchEstimator(b *testing.B, name string, opts map[string]string) {
	e, err := estimators.New(name, opts)
	if err != nil {
		b.Fatal(err)
	}
	var p dist.Distribution = dist.Normal{Mu: benchMu, Sigma: benchSigma}
	var f objective.Objective = objective.Quadratic{K: benchK}
	grad := make([]float64, p.NumParams())
	rng := rand.New(rand.NewPCG(1, 2))
	if _, err := e.Estimate(grad, p, f, benchN, rng); err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Estimate(grad, p, f, benchN, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sink += grad[0]
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/sample")
}

// handPathwise is the pathwise estimate of ∇(μ,σ) E[(x−k)²] written as a
// plain loop: the speed limit for the pathwise estimator.
func handPathwise(grad []float64, mu, sigma, k float64, n int, rng *rand.Rand) {
	g0, g1 := 0.0, 0.0
	for range n {
		eps := rng.NormFloat64()
		v := 2 * (mu + sigma*eps - k)
		g0 += v
		g1 += v * eps
	}
	grad[0], grad[1] = g0/float64(n), g1/float64(n)
}

// handScore is the score-function estimate of the same gradient as a plain
// loop.
func handScore(grad []float64, mu, sigma, k float64, n int, rng *rand.Rand) {
	g0, g1 := 0.0, 0.0
	for range n {
		x := mu + sigma*rng.NormFloat64()
		d := x - k
		fx := d * d
		z := (x - mu) / sigma
		g0 += fx * z / sigma
		g1 += fx * (z*z - 1) / sigma
	}
	grad[0], grad[1] = g0/float64(n), g1/float64(n)
}

func benchHand(b *testing.B, loop func([]float64, float64, float64, float64, int, *rand.Rand)) {
	grad := make([]float64, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		loop(grad, benchMu, benchSigma, benchK, benchN, rng)
	}
	sink += grad[0]
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/sample")
}

// BenchmarkPathwise compares the pathwise estimator with its hand loop.
func BenchmarkPathwise(b *testing.B) {
	b.Run("harness", func(b *testing.B) { benchEstimator(b, "pathwise", nil) })
	b.Run("handloop", func(b *testing.B) { benchHand(b, handPathwise) })
}

// BenchmarkScore compares the score-function estimator with its hand loop.
func BenchmarkScore(b *testing.B) {
	b.Run("harness", func(b *testing.B) { benchEstimator(b, "score", nil) })
	b.Run("handloop", func(b *testing.B) { benchHand(b, handScore) })
}

// BenchmarkEstimators measures every registered estimator with its default
// options on the same problem.
func BenchmarkEstimators(b *testing.B) {
	for _, name := range estimators.Names() {
		b.Run(name, func(b *testing.B) { benchEstimator(b, name, nil) })
	}
}

// TestHandLoopsAgree checks that the hand loops compute the same estimates
// as the estimators they stand beside, so that the benchmark compares like
// with like: same samples, same estimate, up to rounding.
func TestHandLoopsAgree(t *testing.T) {
	p := dist.Normal{Mu: benchMu, Sigma: benchSigma}
	f := objective.Quadratic{K: benchK}
	for _, c := range []struct {
		name string
		hand func([]float64, float64, float64, float64, int, *rand.Rand)
	}{{"pathwise", handPathwise}, {"score", handScore}} {
		e, err := estimators.New(c.name, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, want := make([]float64, 2), make([]float64, 2)
		if _, err := e.Estimate(got, p, f, 100, rand.New(rand.NewPCG(3, 4))); err != nil {
			t.Fatal(err)
		}
		c.hand(want, benchMu, benchSigma, benchK, 100, rand.New(rand.NewPCG(3, 4)))
		for j := range got {
			if d := got[j] - want[j]; d > 1e-12*(1+abs(want[j])) || -d > 1e-12*(1+abs(want[j])) {
				t.Errorf("%s: component %d: estimator %v, hand loop %v", c.name, j, got[j], want[j])
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
