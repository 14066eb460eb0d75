package dist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// dirichletAlphas are the concentrations the construction is tested at:
// the stated range [0.01, 100], about three points a decade.
var dirichletAlphas = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100}

// dirichletUs are the noise values: both tails to 10⁻¹² and the bulk.
var dirichletUs = []float64{1e-12, 1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 1 - 1e-6, 1 - 1e-12}

// dirichletRel is |got − want|/|want|.
func dirichletRel(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

// TestDirichletShapeGradCDF (a): the construction's ∂P/∂α, implied by
// ∂L/∂α (L = log G, G = P⁻¹(α, u)) as ∂P/∂α = −(∂L/∂α) G p(G; α), against
// central finite differences of gonum's independent regularized incomplete
// gamma function (mathext.GammaIncReg, or GammaIncRegComp above the median
// so that the upper tail keeps its relative precision), to 10⁻⁶ relative
// over dirichletAlphas × dirichletUs.
//
// The step h = 10⁻⁴ min(α, 1/(1 + |L|)) keeps h times the scale on which P
// varies in α (1/α, or |log G| in the lower tail) near 10⁻⁴: truncation
// (h·scale)²/6 ≈ 2·10⁻⁹ relative, rounding 10⁻¹⁵/(h·|∂log P/∂α|) ≲ 10⁻⁹
// for gonum's relative accuracy near 10⁻¹⁵.
//
// Excluded corner: G < 10⁻³⁰⁰ (α ≲ 0.05 with u ≤ 10⁻⁶), where P cannot be
// evaluated at G in double precision. There the construction uses the
// leading term of the series in closed form (relative error O(G)); the
// quadrature test (b) covers it, and TestDirichletTailContinuity checks the
// switch.
func TestDirichletShapeGradCDF(t *testing.T) {
	t.Parallel()
	var worst float64
	checked := 0
	for _, a := range dirichletAlphas {
		lg, _ := math.Lgamma(a)
		for _, u := range dirichletUs {
			l, dl := dirichletLogGrad(a, u)
			y := math.Exp(l)
			if y < 1e-300 {
				continue // the excluded corner
			}
			got := -dl * math.Exp(a*l-y-lg) // −(∂L/∂α) y p(y)
			h := 1e-4 * min(a, 1/(1+math.Abs(l)))
			var want float64
			if u <= 0.5 {
				want = (mathext.GammaIncReg(a+h, y) - mathext.GammaIncReg(a-h, y)) / (2 * h)
			} else {
				want = -(mathext.GammaIncRegComp(a+h, y) - mathext.GammaIncRegComp(a-h, y)) / (2 * h)
			}
			e := dirichletRel(got, want)
			worst = max(worst, e)
			checked++
			if !(e <= 1e-6) {
				t.Errorf("α = %g, u = %g (G = %.6g): ∂P/∂α = %.10g, finite differences %.10g (relative error %.2g)", a, u, y, got, want, e)
			}
		}
	}
	t.Logf("%d points, max relative error %.2g", checked, worst)
}

// dirichletQuadLogGrad returns ∂L/∂α at G = e^L by Gauss–Legendre
// quadrature of ∂p/∂α = p (log t − ψ(α)), independently of the series and
// continued fraction:
//
//   - G ≤ α: ∂P/∂α = ∫_0^G ∂p/∂α dt, which with t = G e^{−s/α} gives
//     ∂L/∂α = −(1/α) ∫_0^∞ exp(−s + G(1 − e^{−s/α})) (L − s/α − ψ(α)) ds,
//     valid down to G = 0;
//   - G > α: ∂P/∂α = −∫_G^∞ ∂p/∂α dt, which with t = G + r gives ∂L/∂α =
//     (1/G) ∫_0^∞ (1 + r/G)^{α−1} e^{−r} (log(G + r) − ψ(α)) dr.
//
// Both integrands decay monotonically on their side of α; they are
// integrated on [0, S] with S = G + 60 + 20√α (the exponent is below −60
// there), by 20-point rules on panels of width c/4 up to 40c, c the scale
// of the integrand's fastest variation (min(α, 1) or min(G, 1)), and 1/2
// beyond: far finer than the integrands vary, so the quadrature error is
// near rounding.
func dirichletQuadLogGrad(a, l float64) float64 {
	y := math.Exp(l)
	psi := mathext.Digamma(a)
	S := y + 60 + 20*math.Sqrt(a)
	var f func(float64) float64
	var c, scale float64
	if y <= a {
		c, scale = min(a, 1), -1/a
		f = func(s float64) float64 {
			return math.Exp(-s-y*math.Expm1(-s/a)) * (l - s/a - psi)
		}
	} else {
		c, scale = min(y, 1), 1/y
		f = func(r float64) float64 {
			return math.Exp((a-1)*math.Log1p(r/y)-r) * (math.Log(y+r) - psi)
		}
	}
	var sum float64
	for lo := 0.0; lo < S; {
		w := 0.5
		if lo < 40*c {
			w = c / 4
		}
		hi := min(lo+w, S)
		sum += quad.Fixed(f, lo, hi, 20, quad.Legendre{}, 0)
		lo = hi
	}
	return scale * sum
}

// TestDirichletShapeGradQuadrature (b): ∂L/∂α against quadrature of
// ∂p/∂α (dirichletQuadLogGrad) to 10⁻⁶ relative on a smaller grid,
// including the lower-tail corner that the CDF test cannot reach (α =
// 0.01, u ≤ 10⁻³: G below 10⁻³⁰⁰, where the construction switches to the
// series' leading term).
func TestDirichletShapeGradQuadrature(t *testing.T) {
	t.Parallel()
	var worst float64
	for _, a := range []float64{0.01, 0.03, 0.1, 0.5, 1, 3, 10, 100} {
		for _, u := range []float64{1e-12, 1e-3, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999, 1 - 1e-9} {
			l, dl := dirichletLogGrad(a, u)
			want := dirichletQuadLogGrad(a, l)
			e := dirichletRel(dl, want)
			worst = max(worst, e)
			if !(e <= 1e-6) {
				t.Errorf("α = %g, u = %g (log G = %.6g): ∂log G/∂α = %.12g, quadrature %.12g (relative error %.2g)", a, u, l, dl, want, e)
			}
		}
	}
	t.Logf("max relative error %.2g", worst)
}

// TestDirichletTailContinuity: at the switch to the leading term (log G =
// −500, reached for α below about 0.075 with u ≥ 2⁻⁵⁴) the closed form and
// the quantile with gammaShapeGrad agree on log G to 10⁻¹² relative and on
// ∂log G/∂α to 10⁻⁹: the terms the closed form neglects are of relative
// size G ≈ 10⁻²¹⁷, so any difference is the quantile's and
// gammaShapeGrad's own rounding.
func TestDirichletTailContinuity(t *testing.T) {
	t.Parallel()
	for _, a := range []float64{0.01, 0.03, 0.07} {
		lg1, _ := math.Lgamma(a + 1)
		for _, l0 := range []float64{-499, -500, -501, -600} {
			u := math.Exp(a*l0 - lg1)
			y := gammaQuantile(a, u)
			lq, dq := math.Log(y), gammaShapeGrad(a, y)/y
			lt := (math.Log(u) + lg1) / a
			dt := (mathext.Digamma(a+1) - lt) / a
			if dirichletRel(lt, lq) > 1e-12 || dirichletRel(dt, dq) > 1e-9 {
				t.Errorf("α = %g, u = %g: tail (%.15g, %.15g), quantile (%.15g, %.15g)", a, u, lt, dt, lq, dq)
			}
			want := lq
			if lt < dirichletTailLog {
				want = lt
			}
			if l, _ := dirichletLogGrad(a, u); l != want {
				t.Errorf("α = %g, u = %g: dirichletLogGrad took the wrong branch (%v)", a, u, l)
			}
		}
	}
}

// dirichletCases are the concentration vectors of the sampling and
// derivative tests: small and large K, the range's ends, mixed scales, and
// K = 300 > dirichletStackDim (PathVJP's second pass).
func dirichletCases() []Dirichlet {
	big := make([]float64, 300)
	for k := range big {
		big[k] = 0.05 * math.Pow(2000, float64(k)/299) // 0.05 … 100
	}
	return []Dirichlet{
		{[]float64{0.01, 0.01}},
		{[]float64{0.5, 3}},
		{[]float64{0.5, 2, 1.3}},
		{[]float64{100, 0.01, 1}},
		{[]float64{0.05, 0.2, 1, 10, 100}},
		{big},
	}
}

// dirichletDot returns Σ v_i x_i.
func dirichletDot(v, x []float64) float64 {
	var s float64
	for i := range v {
		s += v[i] * x[i]
	}
	return s
}

// TestDirichletPathVJP (c): PathVJP against finite differences of
// Transform at fixed noise, in every α_k, for random v (and the unit
// vectors when K ≤ 5), at random noise and at tail noise where several G_k
// underflow in linear space.
//
// The differences are Richardson-extrapolated central differences, h =
// 10⁻⁵ α_k and h/2: truncation O((h·|∂log G/∂α|)⁴) ≲ 10⁻⁹ relative even in
// the tail, where ∂log G/∂α ≈ 700/α. Rounding: Transform is accurate to
// about 10⁻¹⁴ relative in each x_i (the quantile's stopping rule), so the
// differences carry an absolute error of about 10⁻¹⁴ Σ|v_i| x_i/h, which
// the 10⁻⁸ Σ|v_i| x_i/α_k floor covers with room to spare; beyond it the
// tolerance is 10⁻⁶ relative.
func TestDirichletPathVJP(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	var worst float64
	for _, d := range dirichletCases() {
		K := len(d.Alpha)
		noises := [][]float64{}
		draws, stride := 4, 1
		if K > 20 {
			draws, stride = 1, 13 // every 13th α_k: the test's cost is O(K²)
		}
		for range draws {
			u := make([]float64, K)
			d.Noise(u, rng)
			noises = append(noises, u)
		}
		if K == 2 {
			noises = append(noises, []float64{1e-4, 1e-5}, []float64{1e-9, 0.5}, []float64{1 - 1e-9, 1e-3})
		}
		if K == 3 {
			noises = append(noises, []float64{1e-6, 0.9, 1e-12})
		}
		x, xp, xm := make([]float64, K), make([]float64, K), make([]float64, K)
		got := make([]float64, K)
		for _, u := range noises {
			d.Transform(x, u)
			vs := [][]float64{}
			v := make([]float64, K)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			vs = append(vs, v)
			if K <= 5 {
				for i := range K {
					e := make([]float64, K)
					e[i] = 1
					vs = append(vs, e)
				}
			}
			for _, v := range vs {
				clear(got)
				d.PathVJP(got, u, v)
				var absv float64
				for i := range v {
					absv += math.Abs(v[i]) * x[i]
				}
				for k := 0; k < K; k += stride {
					a := d.Alpha[k]
					cd := func(h float64) float64 {
						th := slices.Clone(d.Alpha)
						th[k] = a + h
						Dirichlet{th}.Transform(xp, u)
						th[k] = a - h
						Dirichlet{th}.Transform(xm, u)
						return (dirichletDot(v, xp) - dirichletDot(v, xm)) / (2 * h)
					}
					h := 1e-5 * a
					want := (4*cd(h/2) - cd(h)) / 3
					floor := 1e-8 * absv / a
					if diff := math.Abs(got[k] - want); diff > 1e-6*math.Abs(want)+floor {
						t.Errorf("α = %v, u = %v, v = %v: Σ v ∂x/∂α[%d] = %.12g, finite differences %.12g", d.Alpha, u, v, k, got[k], want)
					} else if math.Abs(want) > 1e4*floor {
						worst = max(worst, dirichletRel(got[k], want))
					}
				}
			}
		}
	}
	t.Logf("max relative error %.2g (where the derivative is above 10⁴ times the rounding floor)", worst)
}

// TestDirichletPathVJPTail checks the tail directly: at α = (0.01, 0.01)
// and u = (10⁻⁴, 10⁻⁵) both G_k underflow in linear space (log G ≈ −922
// and −1152) but x_1 ≈ e^{−230} and its derivative are finite and
// positive/negative as the construction says.
func TestDirichletPathVJPTail(t *testing.T) {
	t.Parallel()
	d := Dirichlet{[]float64{0.01, 0.01}}
	u := []float64{1e-4, 1e-5}
	x, g := make([]float64, 2), make([]float64, 2)
	d.Transform(x, u)
	d.PathVJP(g, u, []float64{0, 1})
	l0, d0 := dirichletLogGrad(0.01, u[0])
	l1, d1 := dirichletLogGrad(0.01, u[1])
	want1 := math.Exp(l1 - l0) // x_1 ≈ G_1/G_0
	if dirichletRel(x[1], want1) > 1e-12 || x[0] != 1 {
		t.Errorf("x = %v, want (1, %g)", x, want1)
	}
	// ∂x_1/∂α_0 = −x_0 x_1 ∂L_0, ∂x_1/∂α_1 = x_1(1 − x_1) ∂L_1.
	if dirichletRel(g[0], -x[1]*d0) > 1e-12 || dirichletRel(g[1], x[1]*d1) > 1e-12 {
		t.Errorf("∂x_1/∂α = %v, want (%g, %g)", g, -x[1]*d0, x[1]*d1)
	}
	if math.IsNaN(g[0]) || math.IsNaN(g[1]) || g[0] == 0 || g[1] == 0 {
		t.Errorf("∂x_1/∂α = %v, want finite and nonzero", g)
	}
}

// dirichletMoments returns E[x_i], E[x_i²] and E[x_0 x_1] with their
// α-gradients, in closed form: E[x_i] = α_i/α₀, E[x_i²] = α_i(α_i + 1) /
// (α₀(α₀ + 1)), E[x_0 x_1] = α_0 α_1/(α₀(α₀ + 1)).
func dirichletMoments(al []float64) (m1, m2 []float64, m01 float64, dm1, dm2 [][]float64, dm01 []float64) {
	K := len(al)
	var a0 float64
	for _, a := range al {
		a0 += a
	}
	q := a0 * (a0 + 1)
	dq := 2*a0 + 1 // ∂q/∂α_k for every k
	m1, m2 = make([]float64, K), make([]float64, K)
	dm1, dm2 = make([][]float64, K), make([][]float64, K)
	dm01 = make([]float64, K)
	m01 = al[0] * al[1] / q
	for i, a := range al {
		m1[i], m2[i] = a/a0, a*(a+1)/q
		dm1[i], dm2[i] = make([]float64, K), make([]float64, K)
		for k := range K {
			dm1[i][k] = -a / (a0 * a0)
			dm2[i][k] = -a * (a + 1) * dq / (q * q)
		}
		dm1[i][i] += 1 / a0
		dm2[i][i] += (2*a + 1) / q
	}
	for k := range K {
		dm01[k] = -m01 * dq / q
	}
	dm01[0] += al[1] / q
	dm01[1] += al[0] / q
	return
}

// dirichletStat accumulates a sample mean and its standard error.
type dirichletStat struct{ n, s, s2 float64 }

func (st *dirichletStat) add(v float64) { st.n++; st.s += v; st.s2 += v * v }
func (st *dirichletStat) mean() float64 { return st.s / st.n }
func (st *dirichletStat) se() float64 {
	m := st.mean()
	return math.Sqrt(max(0, st.s2/st.n-m*m) / (st.n - 1))
}

// dirichletWithin reports a failure unless |mean − want| ≤ 4 SE. For a
// correct sampler each such comparison fails with probability about
// 6.3·10⁻⁵ (normal approximation); the tests here make about 110, so about
// 0.7% of seed choices would give one false alarm. The seeds are fixed, so
// the outcome is deterministic: a failure must be investigated, not
// retried with another seed.
func dirichletWithin(t *testing.T, what string, st *dirichletStat, want float64) {
	t.Helper()
	if m, se := st.mean(), st.se(); !(math.Abs(m-want) <= 4*se) {
		t.Errorf("%s: %.6g ± %.2g, want %.6g (%.1f SE)", what, m, se, want, (m-want)/se)
	}
}

// TestDirichletSampleMoments (d): the first two moments of every
// coordinate and the cross moment E[x_0 x_1] of Rand and of Transform of
// Noise, within 4 SE of the closed forms, and Mean and Variance agree with
// them. (Variance is E[x²] − E[x]², so the E[x_i²] comparison tests it.)
func TestDirichletSampleMoments(t *testing.T) {
	t.Parallel()
	const n = 100000
	for ci, d := range dirichletCases()[1:5] {
		K := len(d.Alpha)
		m1, m2, m01, _, _, _ := dirichletMoments(d.Alpha)
		mean, vr := make([]float64, K), make([]float64, K)
		d.Mean(mean)
		d.Variance(vr)
		for i := range K {
			if dirichletRel(mean[i], m1[i]) > 1e-14 || dirichletRel(vr[i]+mean[i]*mean[i], m2[i]) > 1e-13 {
				t.Errorf("%v: Mean/Variance[%d] = %g, %g; closed forms E x = %g, E x² = %g", d.Alpha, i, mean[i], vr[i], m1[i], m2[i])
			}
		}
		for _, how := range []string{"Rand", "Transform"} {
			rng := rand.New(rand.NewPCG(21, uint64(ci)))
			x, u := make([]float64, K), make([]float64, K)
			s1, s2 := make([]dirichletStat, K), make([]dirichletStat, K)
			var s01 dirichletStat
			for range n {
				if how == "Rand" {
					d.Rand(x, rng)
				} else {
					d.Noise(u, rng)
					d.Transform(x, u)
				}
				var sum float64
				for i, v := range x {
					s1[i].add(v)
					s2[i].add(v * v)
					sum += v
				}
				s01.add(x[0] * x[1])
				if math.Abs(sum-1) > 1e-13 {
					t.Fatalf("%v %s: Σ x = %v", d.Alpha, how, sum)
				}
			}
			for i := range K {
				dirichletWithin(t, fmt.Sprintf("%v %s E x[%d]", d.Alpha, how, i), &s1[i], m1[i])
				dirichletWithin(t, fmt.Sprintf("%v %s E x[%d]²", d.Alpha, how, i), &s2[i], m2[i])
			}
			dirichletWithin(t, fmt.Sprintf("%v %s E x[0]x[1]", d.Alpha, how), &s01, m01)
		}
	}
}

// TestDirichletScoreAndPathwiseMeans (d): over draws of Transform(Noise),
// the score has mean 0 and the pathwise gradients of E[Σ c_i x_i], E[Σ
// c_i x_i²] and E[x_0 x_1] match the closed-form derivatives, each
// component within 4 SE (see dirichletWithin).
func TestDirichletScoreAndPathwiseMeans(t *testing.T) {
	t.Parallel()
	n := 100000
	if testing.Short() {
		n = 30000 // a third of the time; the 4-SE bound holds at any n
	}
	for ci, d := range dirichletCases()[1:5] {
		K := len(d.Alpha)
		c := make([]float64, K)
		for i := range c {
			c[i] = 1 + 0.5*float64(i) - 0.3*float64(i*i%3)
		}
		_, _, _, dm1, dm2, dm01 := dirichletMoments(d.Alpha)
		rng := rand.New(rand.NewPCG(31, uint64(ci)))
		x, u, v, g, sc := make([]float64, K), make([]float64, K), make([]float64, K), make([]float64, K), make([]float64, K)
		stats := make([][4]dirichletStat, K) // score, g1, g2, g3
		for range n {
			d.Noise(u, rng)
			d.Transform(x, u)
			d.Score(sc, x)
			for k := range K {
				stats[k][0].add(sc[k])
			}
			for j := 1; j <= 3; j++ {
				clear(v)
				switch j {
				case 1:
					copy(v, c)
				case 2:
					for i := range v {
						v[i] = 2 * c[i] * x[i]
					}
				case 3:
					v[0], v[1] = x[1], x[0]
				}
				clear(g)
				d.PathVJP(g, u, v)
				for k := range K {
					stats[k][j].add(g[k])
				}
			}
		}
		for k := range K {
			var w1, w2 float64
			for i := range K {
				w1 += c[i] * dm1[i][k]
				w2 += c[i] * dm2[i][k]
			}
			if slices.Min(d.Alpha) >= 0.05 {
				// At α_k = 0.01, x_k underflows to 0 (score −Inf) with
				// probability about 6·10⁻⁴ per draw (see Dirichlet).
				dirichletWithin(t, fmt.Sprintf("%v E score[%d]", d.Alpha, k), &stats[k][0], 0)
			}
			dirichletWithin(t, fmt.Sprintf("%v ∂E[Σ c x]/∂α[%d]", d.Alpha, k), &stats[k][1], w1)
			dirichletWithin(t, fmt.Sprintf("%v ∂E[Σ c x²]/∂α[%d]", d.Alpha, k), &stats[k][2], w2)
			dirichletWithin(t, fmt.Sprintf("%v ∂E[x0 x1]/∂α[%d]", d.Alpha, k), &stats[k][3], dm01[k])
		}
	}
}

// TestDirichletDerivativesFD: Score against central differences of
// LogProb and MomentsVJP against those of Mean and Variance (step 10⁻⁶ α_k:
// truncation and rounding both near 10⁻¹⁰ for these smooth closed forms),
// to 10⁻⁶ relative to max(1, |derivative|); and LogProb at K = 2 against
// the Beta density of x_0.
func TestDirichletDerivativesFD(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(41, 42))
	for _, d := range dirichletCases()[1:5] {
		K := len(d.Alpha)
		at := func(k int, h float64) Dirichlet {
			th := slices.Clone(d.Alpha)
			th[k] += h
			return Dirichlet{th}
		}
		x, sc, buf := make([]float64, K), make([]float64, K), make([]float64, K)
		for range 3 {
			d.Rand(x, rng)
			d.Score(sc, x)
			for k, a := range d.Alpha {
				h := 1e-6 * a
				want := (at(k, h).LogProb(x) - at(k, -h).LogProb(x)) / (2 * h)
				if math.Abs(sc[k]-want) > 1e-6*max(1, math.Abs(want)) {
					t.Errorf("%v x = %v: score[%d] = %.10g, finite differences %.10g", d.Alpha, x, k, sc[k], want)
				}
			}
		}
		a, b, got := make([]float64, K), make([]float64, K), make([]float64, K)
		for i := range K {
			a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		clear(got)
		d.MomentsVJP(got, a, b)
		f := func(e Dirichlet) float64 {
			e.Mean(buf)
			s := dirichletDot(a, buf)
			e.Variance(buf)
			return s + dirichletDot(b, buf)
		}
		for k, al := range d.Alpha {
			h := 1e-6 * al
			want := (f(at(k, h)) - f(at(k, -h))) / (2 * h)
			if math.Abs(got[k]-want) > 1e-6*max(1, math.Abs(want)) {
				t.Errorf("%v: MomentsVJP[%d] = %.10g, finite differences %.10g", d.Alpha, k, got[k], want)
			}
		}
	}
	d := Dirichlet{[]float64{0.5, 3}}
	for _, x0 := range []float64{1e-3, 0.2, 0.7, 0.999} {
		want := Beta{Alpha: 0.5, Beta: 3}.LogProb([]float64{x0})
		if got := d.LogProb([]float64{x0, 1 - x0}); math.Abs(got-want) > 1e-12*max(1, math.Abs(want)) {
			t.Errorf("LogProb(%g, %g) = %.15g, Beta log-density %.15g", x0, 1-x0, got, want)
		}
	}
	for _, x := range [][]float64{{0.5, 0.6}, {-0.1, 1.1}, {math.NaN(), 1}, {0.5, 0.5 + 1e-8}} {
		if got := d.LogProb(x); !math.IsInf(got, -1) {
			t.Errorf("LogProb(%v) = %v off the simplex, want −Inf", x, got)
		}
	}
	if got := d.LogProb([]float64{0, 1}); !math.IsInf(got, 1) {
		t.Errorf("LogProb(0, 1) at α_0 = 0.5: %v, want +Inf", got)
	}
	if got := d.LogProb([]float64{1, 0}); !math.IsInf(got, -1) {
		t.Errorf("LogProb(1, 0) at α_1 = 3: %v, want −Inf", got)
	}
}

// TestDirichletInvalid (e): bad parameters give errors that wrap ErrParam
// and name the family and the parameter.
func TestDirichletInvalid(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	newErr := func(a []float64) error { _, err := NewDirichlet(a); return err }
	regErr := func(p map[string]float64) error { _, err := New("dirichlet", p); return err }
	withErr := func(a []float64) error { _, err := Dirichlet{[]float64{1, 1, 1}}.WithParams(a); return err }
	for _, c := range []struct {
		param string
		err   error
	}{
		{"len(alpha)", newErr(nil)},
		{"len(alpha)", newErr([]float64{1})},
		{"alpha[1]", newErr([]float64{1, 0})},
		{"alpha[0]", newErr([]float64{-1, 1})},
		{"alpha[2]", newErr([]float64{1, 1, nan})},
		{"alpha[1]", newErr([]float64{1, inf})},
		{"alpha[2]", withErr([]float64{1, 2, nan})},
		{"dim", regErr(map[string]float64{"dim": 1})},
		{"dim", regErr(map[string]float64{"dim": 2.5})},
		{"dim", regErr(map[string]float64{"dim": 10001})},
		{"dim", regErr(map[string]float64{"dim": nan})},
		{"alpha", regErr(map[string]float64{"alpha": 0})},
		{"alpha", regErr(map[string]float64{"alpha": -2})},
		{"alpha", regErr(map[string]float64{"alpha": inf})},
		{"alpha", regErr(map[string]float64{"alpha": nan})},
	} {
		switch {
		case c.err == nil:
			t.Errorf("%s: no error", c.param)
		case !errors.Is(c.err, ErrParam):
			t.Errorf("%s: %v does not wrap ErrParam", c.param, c.err)
		case !strings.Contains(c.err.Error(), "dirichlet") || !strings.Contains(c.err.Error(), c.param):
			t.Errorf("%s: message %q does not name both", c.param, c.err)
		}
	}
	if err := regErr(map[string]float64{"k": 3}); err == nil || !strings.Contains(err.Error(), `"k"`) {
		t.Errorf("unknown parameter: err = %v", err)
	}
}

// TestDirichletRegistry: the registered family's defaults, parameters and
// capabilities.
func TestDirichletRegistry(t *testing.T) {
	t.Parallel()
	p, err := New("dirichlet", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := p.(Dirichlet)
	if !slices.Equal(d.Alpha, []float64{1, 1, 1}) || d.Dim() != 3 || d.NumParams() != 3 || d.Name() != "dirichlet" {
		t.Errorf("defaults: %+v", d)
	}
	if got := d.ParamNames(); !slices.Equal(got, []string{"alpha[0]", "alpha[1]", "alpha[2]"}) {
		t.Errorf("ParamNames = %v", got)
	}
	q, err := New("dirichlet", map[string]float64{"dim": 5, "alpha": 0.3})
	if err != nil {
		t.Fatal(err)
	}
	e := q.(Dirichlet)
	if !slices.Equal(e.Alpha, []float64{0.3, 0.3, 0.3, 0.3, 0.3}) {
		t.Errorf("dim=5 alpha=0.3: %v", e.Alpha)
	}
	if q, err := e.WithParams(e.Params(nil)); err != nil || !slices.Equal(q.Params(nil), e.Alpha) {
		t.Errorf("WithParams(Params()) = %v, %v", q, err)
	}
	a := []float64{1, 2}
	f, err := NewDirichlet(a)
	a[0] = 9
	if err != nil {
		t.Fatal(err)
	}
	if f.Alpha[0] != 1 {
		t.Errorf("NewDirichlet aliases its argument")
	}
	var _ interface {
		Reparameterized
		UniformNoise
		Moments
	} = d
	if _, ok := p.(Quantiler); ok {
		t.Errorf("a multivariate family is not a Quantiler")
	}
	if _, ok := p.(SymmetricNoise); ok {
		t.Errorf("uniform noise is not symmetric about 0")
	}
	u := []float64{0.2, 0.7, 0.9}
	eps := make([]float64, 3)
	d.NoiseFromUniform(eps, u)
	if !slices.Equal(eps, u) {
		t.Errorf("NoiseFromUniform(%v) = %v", u, eps)
	}
}

// TestDirichletNoAllocations: the per-sample methods allocate nothing,
// PathVJP on both sides of dirichletStackDim. (Not parallel:
// testing.AllocsPerRun refuses to run in a parallel test.)
func TestDirichletNoAllocations(t *testing.T) {
	for _, d := range []Dirichlet{{[]float64{0.5, 2, 1.3}}, dirichletCases()[5]} {
		K := len(d.Alpha)
		rng := rand.New(rand.NewPCG(51, 52))
		x, eps, v, g := make([]float64, K), make([]float64, K), make([]float64, K), make([]float64, K)
		for i := range v {
			v[i] = 1
		}
		d.Rand(x, rng)
		for name, fn := range map[string]func(){
			"Rand":       func() { d.Rand(x, rng) },
			"LogProb":    func() { d.LogProb(x) },
			"Score":      func() { d.Score(g, x) },
			"Noise":      func() { d.Noise(eps, rng) },
			"Transform":  func() { d.Transform(x, eps) },
			"PathVJP":    func() { d.PathVJP(g, eps, v) },
			"Mean":       func() { d.Mean(x) },
			"MomentsVJP": func() { d.MomentsVJP(g, v, v) },
		} {
			if n := testing.AllocsPerRun(20, fn); n != 0 {
				t.Errorf("K = %d: %s allocates %v times per call", K, name, n)
			}
		}
	}
}

// BenchmarkDirichletImplicit times a reparameterized sample with its path
// derivative (Noise, Transform and PathVJP: each of the last two computes
// the K gamma quantiles, PathVJP twice when K > dirichletStackDim) beside
// the Marsaglia–Tsang sampler Rand, per sample of K = 3 coordinates at
// three concentrations and, at α = 1, of K = 100 and K = 300.
func BenchmarkDirichletImplicit(b *testing.B) {
	for _, c := range []struct {
		K int
		a float64
	}{{3, 0.1}, {3, 1}, {3, 10}, {100, 1}, {300, 1}} {
		d := Dirichlet{make([]float64, c.K)}
		for k := range d.Alpha {
			d.Alpha[k] = c.a
		}
		x, eps, v, g := make([]float64, c.K), make([]float64, c.K), make([]float64, c.K), make([]float64, c.K)
		for i := range v {
			v[i] = float64(i)
		}
		name := fmt.Sprintf("K=%d/alpha=%g", c.K, c.a)
		b.Run(name+"/sampler", func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				d.Rand(x, rng)
			}
		})
		b.Run(name+"/transform+grad", func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				d.Noise(eps, rng)
				d.Transform(x, eps)
				d.PathVJP(g, eps, v)
			}
		})
	}
}
