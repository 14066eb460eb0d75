package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns |a − b| in units of b's last place.
func ulps(a, b float64) float64 {
	if a == b {
		return 0
	}
	_, e := math.Frexp(b)
	return math.Abs(a-b) / math.Ldexp(1, e-53)
}

// TestExpNegAbs: within 2 ulp of math.Exp on 10⁶ random arguments over
// [−720, 0] and on the edge cases (0, −0, tiny, the fix-up threshold,
// −Inf, NaN), with the vector kernel, where this build has it, giving the
// scalar path's bits.
func TestExpNegAbs(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	src := []float64{0, math.Copysign(0, -1), 1e-300, -1e-17, 0.5, -0.5, 707.9, -708, -708.1, 745, -746, math.Inf(-1), math.Inf(1), math.NaN(), 3, -3, 0.34657359, 0.34657360}
	for range 1000000 {
		v := -720 * rng.Float64()
		if rng.IntN(2) == 0 {
			v = -10 * rng.Float64() // where the logits are
		}
		src = append(src, v)
	}
	dst, dst1 := make([]float64, len(src)), make([]float64, len(src))
	expNegAbs(dst, src)
	portable = true
	expNegAbs(dst1, src)
	portable = false
	worst := 0.0
	for i, s := range src {
		want := math.Exp(-math.Abs(s))
		one := dst1[i]
		if math.Float64bits(dst[i]) != math.Float64bits(one) && !(math.IsNaN(one) && math.IsNaN(dst[i])) {
			t.Fatalf("exp(−|%v|): vector %v, scalar %v", s, dst[i], one)
		}
		if math.IsNaN(want) {
			if !math.IsNaN(one) {
				t.Fatalf("exp(−|NaN|) = %v", one)
			}
			continue
		}
		u := ulps(one, want)
		worst = max(worst, u)
		if u > 2 {
			t.Fatalf("exp(−|%v|) = %v, math.Exp %v: %.1f ulp", s, one, want, u)
		}
	}
	t.Logf("worst %.2f ulp (vector kernel: %v)", worst, hasAVX2FMA)
}

// BenchmarkExp: expNegAbs over 784 values against math.Exp in a loop.
func BenchmarkExp(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	src, dst := randSlice(784, rng), make([]float64, 784)
	for i := range src {
		src[i] *= 4
	}
	var ns float64
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, s := range src {
				dst[i] = math.Exp(-math.Abs(s))
			}
		}
		ns = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("expNegAbs", func(b *testing.B) {
		for b.Loop() {
			expNegAbs(dst, src)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ns, "x-math.Exp")
	})
}
