package dist_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/gradbench/gradbench/estimators/dist"
)

// This file tests the measure-valued derivatives (Mohamed et al. 2020, §6,
// Table 1) of the one-parameter families Poisson, Bernoulli and
// Exponential:
//
//	Poisson(λ):     ∂λ E f     = E f(Z + 1) − E f(Z),              Z ~ Poisson(λ);
//	Bernoulli:      ∂logit E f = p(1 − p) (f(1) − f(0)),           p = σ(logit);
//	Exponential(λ): ∂λ E f     = (1/λ)(E_{Exp(λ)} f − E_{Gamma(2,λ)} f).

// mvdFamFunc is a test function f with its exact expectations under
// Exp(λ) and Gamma(2, λ), for the continuous exactness checks.
type mvdFamFunc struct {
	name  string
	f     func(x float64) float64
	exp   func(l float64) float64 // E_{Exp(λ)} f
	gamma func(l float64) float64 // E_{Gamma(2,λ)} f
}

// mvdFamFuncs are the test functions. The Gamma(2, λ) expectations follow
// from its moment generating function (λ/(λ − t))²: E x = 2/λ, E x² = 6/λ²,
// E sin x = Im (λ/(λ − i))² = 2λ³/(λ² + 1)², E e^{−x} = (λ/(λ + 1))².
var mvdFamFuncs = []mvdFamFunc{
	{"x", func(x float64) float64 { return x },
		func(l float64) float64 { return 1 / l },
		func(l float64) float64 { return 2 / l }},
	{"x²", func(x float64) float64 { return x * x },
		func(l float64) float64 { return 2 / (l * l) },
		func(l float64) float64 { return 6 / (l * l) }},
	{"sin x", math.Sin,
		func(l float64) float64 { return l / (l*l + 1) },
		func(l float64) float64 { return 2 * l * l * l / ((l*l + 1) * (l*l + 1)) }},
	{"exp(−x)", func(x float64) float64 { return math.Exp(-x) },
		func(l float64) float64 { return l / (l + 1) },
		func(l float64) float64 { return (l / (l + 1)) * (l / (l + 1)) }},
}

// mvdFamCase is a one-parameter measure-valued family with the exact
// derivative ∂θ E f, computed without the decomposition: by enumeration of
// Σ_x f(x) p(x) ∂θ log p(x) for the discrete families and by quadrature of
// ∫ f p ∂θ log p for the continuous one (both through LogProb and Score).
type mvdFamCase struct {
	name  string
	d     dist.MeasureValued
	exact func(f func(float64) float64) float64
}

// mvdFamCases returns the fixtures: Poisson at λ = 0.3, 3.5 (inversion)
// and 25 (PTRS), Bernoulli at logit 0.7 and −3, exponential at rate 1.7
// and 0.4.
func mvdFamCases() []mvdFamCase {
	var cs []mvdFamCase
	for _, l := range []float64{0.3, 3.5, 25} {
		d := must(dist.NewPoisson(l))
		cs = append(cs, mvdFamCase{d.Name() + "(" + mvdFamFtoa(l) + ")", d, func(f func(float64) float64) float64 {
			var s float64
			for k := range mvdFamPoissonK(l) {
				s += f(float64(k)) * mvdFamScoreProb(d, float64(k))
			}
			return s
		}})
	}
	for _, l := range []float64{0.7, -3} {
		d := must(dist.NewBernoulli(l))
		cs = append(cs, mvdFamCase{d.Name() + "(" + mvdFamFtoa(l) + ")", d, func(f func(float64) float64) float64 {
			var s float64
			x := make([]float64, 1)
			for i := range d.SupportSize() {
				d.Outcome(x, i)
				s += f(x[0]) * mvdFamScoreProb(d, x[0])
			}
			return s
		}})
	}
	for _, l := range []float64{1.7, 0.4} {
		d := must(dist.NewExponential(l))
		cs = append(cs, mvdFamCase{d.Name() + "(" + mvdFamFtoa(l) + ")", d, func(f func(float64) float64) float64 {
			return mvdFamIntegrate(func(x float64) float64 { return f(x) * mvdFamScoreProb(d, x) }, 80/l)
		}})
	}
	return cs
}

// mvdFamFtoa formats v in the shortest form that round-trips.
func mvdFamFtoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// mvdFamScoreProb returns p(x) ∂θ log p(x) for a one-parameter family.
func mvdFamScoreProb(d dist.Distribution, x float64) float64 {
	xs, g := []float64{x}, make([]float64, 1)
	d.Score(g, xs)
	return math.Exp(d.LogProb(xs)) * g[0]
}

// mvdFamPoissonK returns a truncation point K for Poisson(l) sums with
// p(K)(K + 1)² < 2.5e-17. The terms k ≥ K of Σ p(k)(k + 1)² (the largest
// test function, shifted) then add up to less than 1e-16: for k ≥ 2l + 40
// the ratio of successive terms is l/(k + 1)·((k + 2)/(k + 1))² < 0.53, so
// the tail is below a geometric series, 1/(1 − 0.53) < 2.2 times its first
// term.
func mvdFamPoissonK(l float64) int {
	k := int(2*l) + 40
	for {
		lp := float64(k)*math.Log(l) - l
		lg, _ := math.Lgamma(float64(k) + 1)
		if math.Exp(lp-lg)*float64((k+1)*(k+1))*4 < 1e-16 {
			return k
		}
		k += 10
	}
}

// mvdFamIntegrate returns ∫_0^X g by 30-point Gauss–Legendre on unit-width
// panels; X is chosen so the tails of the test integrands are below 1e-20.
func mvdFamIntegrate(g func(float64) float64, X float64) float64 {
	var s float64
	for a := 0.0; a < X; a++ {
		s += quad.Fixed(g, a, a+1, 30, quad.Legendre{}, 0)
	}
	return s
}

// TestMVDFamiliesExact checks c·(E⁺f − E⁻f) = ∂θ E f to 1e-9 (relative to
// max(1, |∂θ E f|)) for each family and test function, with c returned by
// MVDSample and E⁺, E⁻ the exact expectations under the documented parts:
// sums over Z ~ Poisson(λ) of f(Z + 1) and f(Z); f(1) and f(0) for the
// Bernoulli; the closed forms under Exp(λ) and Gamma(2, λ) for the
// exponential. TestMVDFamiliesStreams checks that the samples have those
// laws.
func TestMVDFamiliesExact(t *testing.T) {
	t.Parallel()
	xp, xm := make([]float64, 1), make([]float64, 1)
	rng := rand.New(rand.NewPCG(41, 42))
	for _, tc := range mvdFamCases() {
		for _, coupled := range []bool{true, false} {
			c := tc.d.MVDSample(xp, xm, 0, coupled, rng)
			for _, tf := range mvdFamFuncs {
				var ep, em float64
				switch d := tc.d.(type) {
				case dist.Poisson:
					if c != 1 {
						t.Errorf("%s: c = %v, want 1", tc.name, c)
					}
					for k := range mvdFamPoissonK(d.Lambda) {
						pk := math.Exp(d.LogProb([]float64{float64(k)}))
						ep += pk * tf.f(float64(k)+1)
						em += pk * tf.f(float64(k))
					}
				case dist.Bernoulli:
					if xp[0] != 1 || xm[0] != 0 {
						t.Errorf("%s: pair (%v, %v), want (1, 0)", tc.name, xp[0], xm[0])
					}
					ep, em = tf.f(xp[0]), tf.f(xm[0])
				case dist.Exponential:
					ep, em = tf.exp(d.Rate), tf.gamma(d.Rate)
				default:
					t.Fatalf("%s: no exact parts", tc.name)
				}
				got, want := c*(ep-em), tc.exact(tf.f)
				if !closeRel(got, want, 1e-9) {
					t.Errorf("%s coupled=%v f=%s: c(E⁺f − E⁻f) = %v, want ∂θ E f = %v", tc.name, coupled, tf.name, got, want)
				}
			}
		}
	}
}

// TestMVDFamiliesExactReference checks the references of
// TestMVDFamiliesExact against independent closed forms where they are
// simple: ∂λ E_{Poisson(λ)} x = 1, ∂λ E x² = 1 + 2λ, ∂λ E e^{−x} =
// −(1 − e^{−1}) e^{−λ(1 − e^{−1})}; ∂λ E_{Exp(λ)} of x, x², sin x, e^{−x}
// = −1/λ², −4/λ³, (1 − λ²)/(λ² + 1)², 1/(λ + 1)²; for the Bernoulli
// p(1 − p)(f(1) − f(0)).
func TestMVDFamiliesExactReference(t *testing.T) {
	t.Parallel()
	for _, tc := range mvdFamCases() {
		var want []float64 // per mvdFamFuncs; NaN: no closed form here
		switch d := tc.d.(type) {
		case dist.Poisson:
			l, a := d.Lambda, -math.Expm1(-1)
			want = []float64{1, 1 + 2*l, math.NaN(), -a * math.Exp(-l*a)}
		case dist.Bernoulli:
			p := d.Prob()
			for _, tf := range mvdFamFuncs {
				want = append(want, p*(1-p)*(tf.f(1)-tf.f(0)))
			}
		case dist.Exponential:
			l := d.Rate
			want = []float64{-1 / (l * l), -4 / (l * l * l), (1 - l*l) / ((l*l + 1) * (l*l + 1)), 1 / ((l + 1) * (l + 1))}
		}
		for i, tf := range mvdFamFuncs {
			if math.IsNaN(want[i]) {
				continue
			}
			if got := tc.exact(tf.f); !closeRel(got, want[i], 1e-10) {
				t.Errorf("%s f=%s: reference ∂θ E f = %v, closed form %v", tc.name, tf.name, got, want[i])
			}
		}
	}
}

// TestMVDFamiliesStreams checks that the parts have the documented laws
// by tying them bit for bit to the random stream. With equal seeds, the
// Poisson's coupled pair is (Z + 1, Z), Z the draw Rand makes, and its
// uncoupled pair (Z₁ + 1, Z₂), Z₁ and Z₂ two successive Rand draws. The
// exponential's positive part is ε₁/λ (the draw Rand makes) and its negative
// part (ε₁ + ε₂)/λ coupled or (ε₂ + ε₃)/λ uncoupled, ε₁, ε₂, … the
// successive ExpFloat64 draws: Gamma(2, λ). The Bernoulli's pair is (1, 0)
// and consumes nothing.
func TestMVDFamiliesStreams(t *testing.T) {
	t.Parallel()
	xp, xm, x := make([]float64, 1), make([]float64, 1), make([]float64, 1)
	for _, tc := range mvdFamCases() {
		for _, coupled := range []bool{true, false} {
			r1, r2 := rand.New(rand.NewPCG(43, 44)), rand.New(rand.NewPCG(43, 44))
			for i := range 1000 {
				tc.d.MVDSample(xp, xm, 0, coupled, r1)
				var wp, wm float64
				switch d := tc.d.(type) {
				case dist.Poisson:
					d.Rand(x, r2)
					wp, wm = x[0]+1, x[0]
					if !coupled {
						d.Rand(x, r2)
						wm = x[0]
					}
				case dist.Bernoulli:
					wp, wm = 1, 0
				case dist.Exponential:
					e1 := r2.ExpFloat64()
					wp = e1 / d.Rate
					if !coupled {
						e1 = r2.ExpFloat64()
					}
					wm = (e1 + r2.ExpFloat64()) / d.Rate
				}
				if math.Float64bits(xp[0]) != math.Float64bits(wp) || math.Float64bits(xm[0]) != math.Float64bits(wm) {
					t.Fatalf("%s coupled=%v draw %d: pair (%v, %v), want (%v, %v)", tc.name, coupled, i, xp[0], xm[0], wp, wm)
				}
			}
			if r1.Uint64() != r2.Uint64() {
				t.Errorf("%s coupled=%v: MVDSample consumed the stream differently", tc.name, coupled)
			}
		}
	}
	// Rand is the first ExpFloat64 draw over λ, as the positive part.
	e := must(dist.NewExponential(1.7))
	r1, r2 := rand.New(rand.NewPCG(45, 46)), rand.New(rand.NewPCG(45, 46))
	for range 100 {
		e.Rand(x, r1)
		e.MVDSample(xp, xm, 0, true, r2)
		r1.ExpFloat64()
		if x[0] != xp[0] {
			t.Fatalf("exponential: Rand %v, positive part %v", x[0], xp[0])
		}
	}
}

// TestMVDFamiliesMonteCarlo checks, at fixed seeds, that the mean of
// c(f(x⁺) − f(x⁻)) over n = 100000 pairs is within 4 standard errors of the
// exact ∂θ E f, coupled and uncoupled, for every family and test function.
// For a correct decomposition each comparison fails with probability
// P(|N(0,1)| > 4) ≈ 6.3e-5, so about 3.5e-3 for all 56 (the seeds are fixed,
// so the outcome is deterministic). The Bernoulli's pairs are deterministic:
// its mean must equal the derivative to rounding.
func TestMVDFamiliesMonteCarlo(t *testing.T) {
	t.Parallel()
	const n = 100000
	xp, xm := make([]float64, 1), make([]float64, 1)
	for ci, tc := range mvdFamCases() {
		for _, coupled := range []bool{true, false} {
			for fi, tf := range mvdFamFuncs {
				rng := rand.New(rand.NewPCG(47+uint64(ci), 48+uint64(fi)))
				var s, s2 float64
				for range n {
					c := tc.d.MVDSample(xp, xm, 0, coupled, rng)
					g := c * (tf.f(xp[0]) - tf.f(xm[0]))
					s += g
					s2 += g * g
				}
				mean := s / n
				se := math.Sqrt(math.Max(0, s2/n-mean*mean) / (n - 1))
				want := tc.exact(tf.f)
				if math.Abs(mean-want) > 4*se+1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("%s coupled=%v f=%s: MVD mean %v ± %v, want %v", tc.name, coupled, tf.name, mean, se, want)
				}
			}
		}
	}
}

// TestMVDFamiliesCoupledVariance checks that coupling does not raise the
// variance of c(f(x⁺) − f(x⁻)) for monotone f, where it holds: the coupled
// parts are comonotone functions of shared randomness (Z + 1 and Z; ε₁/λ
// and (ε₁ + ε₂)/λ), so Cov(f(x⁺), f(x⁻)) ≥ 0 (Harris's inequality) while the
// marginals are unchanged. For f(x) = x the exact variances are 0 coupled
// and 2λ uncoupled for the Poisson, 1/λ⁴ and 3/λ⁴ for the exponential, so
// the sample variances (n = 50000, fixed seeds) are far apart. The
// Bernoulli's pairs are deterministic, with variance 0 either way.
func TestMVDFamiliesCoupledVariance(t *testing.T) {
	t.Parallel()
	const n = 50000
	monotone := []mvdFamFunc{mvdFamFuncs[0], mvdFamFuncs[1], mvdFamFuncs[3]} // x, x², e^{−x} on x ≥ 0
	xp, xm := make([]float64, 1), make([]float64, 1)
	for _, tc := range mvdFamCases() {
		for _, tf := range monotone {
			var v [2]float64
			for k, coupled := range []bool{true, false} {
				rng := rand.New(rand.NewPCG(49, 50))
				var s, s2 float64
				for range n {
					c := tc.d.MVDSample(xp, xm, 0, coupled, rng)
					g := c * (tf.f(xp[0]) - tf.f(xm[0]))
					s += g
					s2 += g * g
				}
				mean := s / n
				v[k] = math.Max(0, s2/n-mean*mean)
			}
			if v[0] > v[1] {
				t.Errorf("%s f=%s: coupled variance %v > uncoupled %v", tc.name, tf.name, v[0], v[1])
			}
		}
	}
}

// TestMVDFamiliesBatch checks that MVDSampleN writes, bit for bit, what
// successive MVDSample calls would, and leaves the stream in the same
// state.
func TestMVDFamiliesBatch(t *testing.T) {
	t.Parallel()
	const k = 37
	for _, tc := range mvdFamCases() {
		bm, ok := tc.d.(dist.BatchMeasureValued)
		if !ok {
			t.Errorf("%s is not BatchMeasureValued", tc.name)
			continue
		}
		for _, coupled := range []bool{true, false} {
			r1, r2 := rand.New(rand.NewPCG(51, 52)), rand.New(rand.NewPCG(51, 52))
			xp, xm, c := make([]float64, k), make([]float64, k), make([]float64, k)
			bm.MVDSampleN(xp, xm, c, coupled, r1)
			yp, ym := make([]float64, 1), make([]float64, 1)
			for u := range k {
				cu := tc.d.MVDSample(yp, ym, 0, coupled, r2)
				if math.Float64bits(xp[u]) != math.Float64bits(yp[0]) || math.Float64bits(xm[u]) != math.Float64bits(ym[0]) || math.Float64bits(c[u]) != math.Float64bits(cu) {
					t.Errorf("%s coupled=%v pair %d: MVDSampleN (%v, %v, %v), MVDSample (%v, %v, %v)",
						tc.name, coupled, u, xp[u], xm[u], c[u], yp[0], ym[0], cu)
				}
			}
			if r1.Uint64() != r2.Uint64() {
				t.Errorf("%s coupled=%v: MVDSampleN left the stream in another state", tc.name, coupled)
			}
		}
	}
}

// TestMVDFamiliesBadParam checks that MVDSample panics for a parameter
// index other than 0.
func TestMVDFamiliesBadParam(t *testing.T) {
	t.Parallel()
	xp, xm := make([]float64, 1), make([]float64, 1)
	rng := rand.New(rand.NewPCG(53, 54))
	for _, tc := range mvdFamCases() {
		for _, j := range []int{-1, 1} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: MVDSample(j = %d) did not panic", tc.name, j)
					}
				}()
				tc.d.MVDSample(xp, xm, j, true, rng)
			}()
		}
	}
}
