package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLog1pUnit: Log1pUnit gives math.Log1p's bits on 10⁶ random
// arguments e^(−|a|) and uniform in [0, 1], and on the edges of the
// kernel's branches and range: 0, −0, 2⁻⁵⁴ and 2⁻²⁹ and their neighbours,
// √2 − 1 and its neighbours, the arguments whose 1 + x has a mantissa at
// √2's, log1pMax and its neighbours, 1, subnormals, negatives, > 1, ±Inf
// and NaN, at every position of a four-value block.
func TestLog1pUnit(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 22))
	var src []float64
	edge := func(x float64) {
		src = append(src, math.Nextafter(x, -1), x, math.Nextafter(x, 2))
	}
	sqrt2u := math.Float64frombits(0x3ff6a09e667f3bcd) // 1 + x at √2's mantissa
	for _, x := range []float64{0, 0x1p-54, 0x1p-29, 4.142135623730950488017e-01, sqrt2u - 1, log1pMax, 1, 0.5, 0.25} {
		edge(x)
	}
	for x := sqrt2u - 1 - 1e-15; x < sqrt2u-1+1e-15; x = math.Nextafter(x, 1) {
		src = append(src, x)
	}
	src = append(src, math.Copysign(0, -1), 5e-324, 1e-310, -1e-20, -0.5, -1, -2, 1.5, 1e300, math.Inf(1), math.Inf(-1), math.NaN())
	for range 1000000 {
		a := 30 * rng.NormFloat64()
		if rng.IntN(2) == 0 {
			a = 3 * rng.NormFloat64() // where the logits are
		}
		x := math.Exp(-math.Abs(a))
		if rng.IntN(4) == 0 {
			x = rng.Float64()
		}
		src = append(src, x)
	}
	for shift := range 4 { // every edge at every lane
		s := src[shift:]
		dst := make([]float64, len(s))
		Log1pUnit(dst, s)
		for i, x := range s {
			want := math.Log1p(x)
			if math.Float64bits(dst[i]) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(dst[i])) {
				t.Fatalf("log1p(%v) (%#x) = %v, math.Log1p %v", x, math.Float64bits(x), dst[i], want)
			}
		}
	}
	t.Logf("%d arguments (vector kernel: %v)", len(src), hasAVX2 && !portable)
}

// BenchmarkLog1p: Log1pUnit over 200 values e^(−|a|) (a logit vector)
// against math.Log1p in a loop.
func BenchmarkLog1p(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	src, dst := make([]float64, 200), make([]float64, 200)
	for i := range src {
		src[i] = math.Exp(-math.Abs(3 * rng.NormFloat64()))
	}
	b.Run("unit", func(b *testing.B) {
		for b.Loop() {
			Log1pUnit(dst, src)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(src)), "ns/value")
	})
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for i, x := range src {
				dst[i] = math.Log1p(x)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(src)), "ns/value")
	})
}
