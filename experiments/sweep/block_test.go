package sweep

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/stats"
)

// replay is an estimator that writes prepared estimates in turn.
type replay struct {
	vals [][]float64
	i    int
}

func (*replay) Info() estimators.Info { return estimators.Info{Name: "replay"} }

func (r *replay) Estimate(grad []float64, _ dist.Distribution, _ objective.Objective, _ int, _ *rand.Rand) (estimators.Cost, error) {
	copy(grad, r.vals[r.i%len(r.vals)])
	r.i++
	return estimators.Cost{F: 2, Grad: 1}, nil
}

// TestAccumulatorNonfinite checks that an estimate with any non-finite
// component is counted and excluded from every component, in chunks with
// and without such estimates, against stats.Moments fed the finite
// estimates directly.
func TestAccumulatorNonfinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const count = 1000 // about 4 chunks
	vals := make([][]float64, count)
	var want [2]stats.Moments
	bad := 0
	for i := range vals {
		v := []float64{5 + rng.NormFloat64(), 1e6 + 1e3*rng.ExpFloat64()}
		switch {
		case i == 0: // the first estimate, which would be the shift
			v[1] = math.NaN()
		case i > 300 && i%97 == 0:
			v[0] = math.Inf(1 - 2*(i%2))
		}
		vals[i] = v
		if math.IsNaN(v[0]+v[1]) || math.IsInf(v[0]+v[1], 0) {
			bad++
			continue
		}
		want[0].Add(v[0])
		want[1].Add(v[1])
	}
	p, _ := dist.NewNormal(0, 1)
	acc := newAccumulator(2)
	if err := acc.run(&replay{vals: vals}, p, objective.Quadratic{}, 1, count, nil); err != nil {
		t.Fatal(err)
	}
	var got [2]stats.Moments
	if err := acc.moments(got[:]); err != nil {
		t.Fatal(err)
	}
	if acc.nonfinite != bad || acc.evalsF != 2*count || acc.evalsGrad != count {
		t.Errorf("nonfinite %d (want %d), evals %d, %d", acc.nonfinite, bad, acc.evalsF, acc.evalsGrad)
	}
	for j := range got {
		if got[j].N() != want[j].N() || got[j].NonFinite() != bad {
			t.Errorf("component %d: n %d nonfinite %d, want %d, %d", j, got[j].N(), got[j].NonFinite(), want[j].N(), bad)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"mean", got[j].Mean(), want[j].Mean()},
			{"variance", got[j].Variance(), want[j].Variance()},
			{"kurtosis", got[j].Kurtosis(), want[j].Kurtosis()},
		} {
			// Shifted sums and Welford's updates round differently.
			if math.Abs(c.got-c.want) > 1e-9*math.Abs(c.want) {
				t.Errorf("component %d %s: %v, want %v", j, c.name, c.got, c.want)
			}
		}
	}
}

func TestStreamID(t *testing.T) {
	// Fixed values: a change would change every result.
	if got, want := streamID("", 0), uint64(0xa8c7f832281a39c5); got != want {
		t.Errorf("streamID(\"\", 0) = %#x, want %#x", got, want)
	}
	if streamID("a", 1) == streamID("a", 2) || streamID("a", 1) == streamID("b", 1) {
		t.Errorf("streamID collides")
	}
}

// TestAbsorbFinite2SameBits: the two-component pass gives bit for bit the
// sums of the pass per component, over chunks of several sizes with
// values of very different scales.
func TestAbsorbFinite2SameBits(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	fused, plain := newAccumulator(2), newAccumulator(2)
	for k, m := range []int{1, 256, 3, 256, 255, 17} {
		for i := range 2 * m {
			v := rng.NormFloat64() * math.Pow(10, float64(i%2*6-k))
			fused.buf[i], plain.buf[i] = v, v
		}
		if plain.n == 0 {
			plain.sums[0], plain.sums[5] = plain.buf[0], plain.buf[1]
		}
		if !fused.absorbFinite(m) || !plain.absorbFiniteN(m) {
			t.Fatal("finite estimates reported non-finite")
		}
	}
	for i, v := range fused.sums {
		if math.Float64bits(v) != math.Float64bits(plain.sums[i]) {
			t.Errorf("sums[%d] = %v, want %v", i, v, plain.sums[i])
		}
	}
	if fused.n != plain.n {
		t.Errorf("n = %d, want %d", fused.n, plain.n)
	}
}

// TestSums2Go: the platform's sums2 and its Go version agree bit for bit,
// odd lengths (a trailing value left out) and non-finite values included.
func TestSums2Go(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 3, 10, 513} {
		buf := make([]float64, n)
		for i := range buf {
			buf[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
		}
		if n == 10 {
			buf[4], buf[7] = math.Inf(1), math.NaN()
		}
		var got, want [8]float64
		sums2(buf, 0.5, -3, &got)
		sums2Go(buf, 0.5, -3, &want)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
				t.Errorf("n = %d: out[%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkSums2 compares sums2 with its Go version, sums2Go, on 256
// two-component estimates (a chunk), alternating in one run: ns per
// estimate of each and the ratio go/sums2 (above 1: sums2 is faster).
func BenchmarkSums2(b *testing.B) {
	buf := make([]float64, 2*chunk)
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range buf {
		buf[i] = rng.NormFloat64()
	}
	var out [8]float64
	var tAsm, tGo time.Duration
	for b.Loop() {
		t0 := time.Now()
		sums2(buf, 0.1, 0.2, &out)
		t1 := time.Now()
		sums2Go(buf, 0.1, 0.2, &out)
		tAsm += t1.Sub(t0)
		tGo += time.Since(t1)
	}
	est := float64(b.N * chunk)
	b.ReportMetric(float64(tAsm.Nanoseconds())/est, "sums2-ns/est")
	b.ReportMetric(float64(tGo.Nanoseconds())/est, "go-ns/est")
	b.ReportMetric(float64(tGo)/float64(tAsm), "ratio")
}
