package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// betaShapes spans the shapes the implicit reparameterization supports,
// 10⁻³ to 10³.
var betaShapes = []float64{1e-3, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1000}

// betaLevels are the quantile levels at which x is placed.
var betaLevels = []float64{1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 1 - 1e-6}

// digamma returns ψ(x) for x > 0 to about 10⁻¹⁶ relative (or absolute
// near its root), for the references here (mathext.Digamma is good to
// only 5·10⁻¹¹; see digammaDiff): the recurrence ψ(x) = ψ(x + 1) − 1/x up
// to x ≥ 10, then the asymptotic series log x − 1/(2x) − S(x).
func digamma(x float64) float64 {
	var r float64
	for ; x < 10; x++ {
		r -= 1 / x
	}
	return r + math.Log(x) - 0.5/x - digammaSeries(x)
}

// betaDensity returns the Beta(a, b) density at x = 1 − y.
func betaDensity(a, b, x, y float64) float64 {
	lx, ly := betaLogs(x, y)
	return math.Exp((a-1)*lx + (b-1)*ly - lbetaPrecise(a, b))
}

// fd4 returns the fourth-order central difference (8(f(θ+h) − f(θ−h)) −
// (f(θ+2h) − f(θ−2h)))/(12h): truncation error O(h⁴).
func fd4(f func(float64) float64, th, h float64) float64 {
	return (8*(f(th+h)-f(th-h)) - (f(th+2*h) - f(th-2*h))) / (12 * h)
}

// fdLog returns the derivative at θ of a logarithm f = log T by fd4 with
// the step h = min(10⁻²θ, 10⁻²/|f'|), f' from a first central difference
// with step 10⁻⁴θ: f changes by at most 10⁻² over h, so that the
// truncation error is about 10⁻⁸/30 times a fifth derivative of order 1,
// and the rounding error, 1.5 ε_T/h for ε_T the relative error of T, is
// at most 150 ε_T/min(1, θ|f'|) relative to f'.
func fdLog(f func(float64) float64, th float64) float64 {
	h0 := 1e-4 * th
	d0 := (f(th+h0) - f(th-h0)) / (2 * h0)
	return fd4(f, th, min(1e-2*th, 1e-2/math.Abs(d0)))
}

// TestBetaIncGrad checks ∂I_x(a, b)/∂a and ∂/∂b (betaIncGradRatio times
// the density) against fourth-order central differences of gonum's
// independent I (mathext.RegIncBeta, Cephes' incbet), to 10⁻⁶ relative,
// for every pair of shapes in 10⁻³ … 10³ and x at the quantile levels 10⁻⁶
// … 1 − 10⁻⁶.
//
// The differences are of the smaller tail T = min(I, 1 − I), which Cephes
// gives to nearly full relative precision on this grid, taken at x —
// RegIncBeta(a, b, x) or 1 − RegIncBeta(b, a, 1 − x) — except where the
// other end of [0, 1] is within 10⁻⁸ and x = fl(1 − (1 − x)) no longer
// pins the point down (at β = 10⁻³ the median is 1 − 10⁻³⁰¹, which as x is
// just 1). And they are of log T, ∂T/∂θ = T ∂(log T)/∂θ: log T is nearly
// linear in θ where T is not (at a = b = 10³, u = 10⁻⁶, T changes by 12%
// per unit of a, and differences of T with h = 1 are off by 4·10⁻⁶). fdLog
// picks the step; the truncation error is then about 10⁻⁹ and the rounding
// error about 150 ε_T/min(1, θ |∂(log T)/∂θ|), ε_T Cephes' relative error
// (up to 10⁻⁹ in a tail of 10⁻³ at a = 10⁻³, b = 10³, where its log B(a,
// b) costs 10⁻¹² absolute; see lbetaPrecise). The test logs the largest
// error and where it is.
//
// The excluded corner: x (or 1 − x) below 10⁻³⁰⁸, which betaQuantile
// returns as 0 (or 1) and where the path gradient is 0; there is no x to
// difference at. It is 106 of the 891 points, all with a shape of at most
// 10⁻²: α = 10⁻³ at levels up to 0.3 (the quantile is about (u α B)^{1/α},
// so 0.3^{1000} ≈ 10⁻⁵²³), α = 10⁻² at level 10⁻⁶, and their mirror
// images.
func TestBetaIncGrad(t *testing.T) {
	t.Parallel()
	worst, worstAt := 0.0, ""
	for _, a := range betaShapes {
		for _, b := range betaShapes {
			for _, u := range betaLevels {
				x, y := betaQuantile(a, b, u)
				if x == 0 || y == 0 {
					continue // underflow: see the comment
				}
				ra, rb := betaIncGradRatio(a, b, x, y)
				p := betaDensity(a, b, x, y)
				got := [2]float64{ra * p, rb * p}
				// T(a, b): the smaller tail, by Cephes (see above).
				T := func(a, b float64) float64 {
					switch {
					case u <= 0.5 && y >= 1e-8:
						return mathext.RegIncBeta(a, b, x)
					case u <= 0.5:
						return 1 - mathext.RegIncBeta(b, a, y)
					case u > 0.5 && x >= 1e-8:
						return mathext.RegIncBeta(b, a, y)
					default:
						return 1 - mathext.RegIncBeta(a, b, x)
					}
				}
				sign := 1.0 // ∂I/∂θ = ±∂T/∂θ
				if u > 0.5 {
					sign = -1
				}
				tail := sign * T(a, b)
				want := [2]float64{
					tail * fdLog(func(s float64) float64 { return math.Log(T(s, b)) }, a),
					tail * fdLog(func(s float64) float64 { return math.Log(T(a, s)) }, b),
				}
				for j := range got {
					e := math.Abs(got[j]-want[j]) / math.Abs(want[j])
					if e > worst {
						worst, worstAt = e, fmt.Sprintf("a = %g, b = %g, u = %g, θ_%d", a, b, u, j)
					}
					if !(e <= 1e-6) {
						t.Errorf("a = %g, b = %g, u = %g (x = %.6g, 1 − x = %.6g): ∂I/∂θ_%d = %.10g, finite differences %.10g (relative error %.2g)",
							a, b, u, x, y, j, got[j], want[j], e)
					}
				}
			}
		}
	}
	t.Logf("largest relative error against finite differences: %.2g (%s)", worst, worstAt)
}

// betaTailDerivQuad returns, for D(z) = ∫_0^z f(s; p, q) ds with f the
// Beta(p, q) density, (∂D/∂p)/f(z) and (∂D/∂q)/f(z) by Gauss–Legendre
// quadrature of ∫_0^z ∂f/∂θ ds, ∂f/∂p = f (log s − ψ(p) + ψ(p+q)), ∂f/∂q
// = f (log(1−s) − ψ(q) + ψ(p+q)), independently of the continued
// fraction. The substitution s = z w^{4/p} maps the singular factor s^{p−1}
// ds to (4z^p/p) w³ dw (the factor w³ also tames log s = log z + (4/p) log
// w at w = 0), and the division by f(z) leaves z/(p (1−z)^{q−1}) ∫_0^1
// (1−s)^{q−1} (…) 4w³ dw, free of B(p, q) and of underflow.
func betaTailDerivQuad(p, q, z float64, n int) (dp, dq float64) {
	sp, sq := digamma(p+q)-digamma(p), digamma(p+q)-digamma(q)
	c := z / (p * math.Pow(1-z, q-1))
	ip := quad.Fixed(func(w float64) float64 {
		s := z * math.Pow(w, 4/p)
		return 4 * w * w * w * math.Pow(1-s, q-1) * (math.Log(z) + 4/p*math.Log(w) + sp)
	}, 0, 1, n, quad.Legendre{}, 0)
	iq := quad.Fixed(func(w float64) float64 {
		s := z * math.Pow(w, 4/p)
		return 4 * w * w * w * math.Pow(1-s, q-1) * (math.Log1p(-s) + sq)
	}, 0, 1, n, quad.Legendre{}, 0)
	return c * ip, c * iq
}

// betaTailDerivPanels is betaTailDerivQuad for p ≥ 2, where s^{p−1} is
// smooth but, for large shapes, sharply peaked: composite Gauss–Legendre
// (400 panels of 16 nodes) of ∫_0^z (f(s)/f(z)) (…) ds on [0, z], with
// f(s)/f(z) = (s/z)^{p−1} ((1−s)/(1−z))^{q−1} in logarithms, free of B(p,
// q) and of underflow.
func betaTailDerivPanels(p, q, z float64) (dp, dq float64) {
	sp, sq := digamma(p+q)-digamma(p), digamma(p+q)-digamma(q)
	const panels = 400
	for i := range panels {
		lo, hi := z*float64(i)/panels, z*float64(i+1)/panels
		dp += quad.Fixed(func(s float64) float64 {
			return math.Exp((p-1)*math.Log(s/z)+(q-1)*(math.Log1p(-s)-math.Log1p(-z))) * (math.Log(s) + sp)
		}, lo, hi, 16, quad.Legendre{}, 0)
		dq += quad.Fixed(func(s float64) float64 {
			return math.Exp((p-1)*math.Log(s/z)+(q-1)*(math.Log1p(-s)-math.Log1p(-z))) * (math.Log1p(-s) + sq)
		}, lo, hi, 16, quad.Legendre{}, 0)
	}
	return dp, dq
}

// TestBetaIncGradQuadrature checks ∂I/∂a and ∂I/∂b (as ratios to the
// density) against quadrature of the derivative of the density,
// ∫_0^x ∂p(t; a, b)/∂θ dt, to 10⁻⁶ relative: shapes 10⁻³ … 10³ and
// levels 0.01 … 0.99, every pair whose x and 1 − x are both representable
// (otherwise x underflows to 0 or 1 and the gradient is 0, as the
// finite-difference test also excludes). The integral is over [0, x] for
// x ≤ ½ and otherwise over [0, 1 − x] of the Beta(b, a) density (1 − I_x(a, b) =
// I_{1−x}(b, a)), so that the far end's factor (1 − s)^{q−1} stays smooth:
// for shapes below 2 with the substitution of betaTailDerivQuad and 4000
// Legendre nodes, for larger ones with the panels of betaTailDerivPanels
// (their peak is too sharp for one rule). The largest disagreement is
// about 2·10⁻⁹, the quadrature's own error.
func TestBetaIncGradQuadrature(t *testing.T) {
	t.Parallel()
	shapes := []float64{1e-3, 0.01, 0.05, 0.1, 0.3, 1, 2.5, 10, 20, 200, 1000}
	tail := func(p, q, z float64) (float64, float64) {
		if p >= 2 {
			return betaTailDerivPanels(p, q, z)
		}
		return betaTailDerivQuad(p, q, z, 4000)
	}
	worst, worstAt := 0.0, ""
	for _, a := range shapes {
		for _, b := range shapes {
			for _, u := range []float64{0.01, 0.3, 0.5, 0.7, 0.99} {
				x, y := betaQuantile(a, b, u)
				if x == 0 || y == 0 {
					continue
				}
				ra, rb := betaIncGradRatio(a, b, x, y)
				var wa, wb float64
				if x <= y {
					wa, wb = tail(a, b, x)
				} else {
					// I = 1 − I_y(b, a): ∂I/∂a = −∂_q, ∂I/∂b = −∂_p.
					dp, dq := tail(b, a, y)
					wa, wb = -dq, -dp
				}
				for j, c := range [][2]float64{{ra, wa}, {rb, wb}} {
					e := math.Abs(c[0]-c[1]) / math.Abs(c[1])
					if e > worst {
						worst, worstAt = e, fmt.Sprintf("a = %g, b = %g, u = %g, θ_%d", a, b, u, j)
					}
					if !(e <= 1e-6) {
						t.Errorf("a = %g, b = %g, u = %g (x = %.6g): (∂I/∂θ_%d)/p = %.10g, quadrature %.10g (relative error %.2g)",
							a, b, u, x, j, c[0], c[1], e)
					}
				}
			}
		}
	}
	t.Logf("largest relative error against quadrature: %.2g (%s)", worst, worstAt)
}

// TestBetaQuantile: betaQuantile inverts gonum's I (mathext.RegIncBeta)
// over shapes 10⁻³ … 10³, at whichever of x and 1 − x is the smaller, to
// 10⁻¹⁰ of the smaller tail min(u, 1 − u) plus 10⁻¹² absolute; and x + (1 −
// x) = 1. (The absolute term is Cephes' own accuracy: its log B(a, b) =
// log Γ(a) + log Γ(b) − log Γ(a+b) loses about 10⁻¹² when a = 10⁻³ and b
// = 10³, where betaQuantile uses lbetaPrecise; against 50-digit arithmetic
// betaQuantile is good to 2·10⁻¹³ of min(x, 1 − x) times the condition
// number max(1, 1/a, 1/b) of the quantile over this grid.)
func TestBetaQuantile(t *testing.T) {
	t.Parallel()
	for _, a := range betaShapes {
		for _, b := range betaShapes {
			for _, u := range betaLevels {
				x, y := betaQuantile(a, b, u)
				if x == 0 || y == 0 {
					if x+y != 1 {
						t.Errorf("a = %g, b = %g, u = %g: x = %g, 1 − x = %g", a, b, u, x, y)
					}
					continue
				}
				if d := math.Abs(x + y - 1); d > 2.3e-16 {
					t.Errorf("a = %g, b = %g, u = %g: x + (1 − x) − 1 = %g", a, b, u, d)
				}
				var got, want float64
				if x <= y {
					got, want = mathext.RegIncBeta(a, b, x), u
				} else {
					got, want = mathext.RegIncBeta(b, a, y), 1-u
				}
				if e := math.Abs(got - want); !(e <= 1e-10*min(u, 1-u)+1e-12) {
					t.Errorf("a = %g, b = %g, u = %g: x = %.17g, 1 − x = %.17g: tail %.17g, want %.17g (error %.2g)",
						a, b, u, x, y, got, want, e)
				}
			}
		}
	}
}

// TestBetaImplicitHelpers checks the precise special functions the
// gradient uses against the definitions: digamma against ψ(1) = −γ,
// ψ(½) = −γ − 2 log 2 and the recurrence at large arguments, digammaDiff
// against the difference of digamma where that does not cancel and
// against its Taylor series where it does, and lbetaPrecise against log
// B(1, b) = −log b, log B(½, ½) = log π and values from 30-digit
// arithmetic (mpmath).
func TestBetaImplicitHelpers(t *testing.T) {
	t.Parallel()
	const euler = 0.57721566490153286060651209008240243
	for _, c := range []struct{ got, want float64 }{
		{digamma(1), -euler},
		{digamma(0.5), -euler - 2*math.Ln2},
		{digamma(1e-3), digamma(1+1e-3) - 1e3},
		{digamma(1000) - digamma(999), 1.0 / 999},
		{digammaDiff(0.3, 2.2), digamma(2.5) - digamma(0.3)},
		{digammaDiff(5, -4.5), digamma(0.5) - digamma(5)},
		{digammaDiff(1000, 1), 1.0 / 1000},
		{lbetaPrecise(1, 1000), -math.Log(1000)},
		{lbetaPrecise(1000, 1), -math.Log(1000)},
		{lbetaPrecise(0.5, 0.5), math.Log(math.Pi)},
		{lbetaPrecise(20, 30), -33.9688207919773829626},
		{lbetaPrecise(1e-3, 1000), 6.900271629687954933},
		{lbetaPrecise(10, 1000), -56.320583480930653988},
		{lbetaPrecise(1000, 1000), -1388.4826016359022503},
	} {
		if d := math.Abs(c.got - c.want); d > 1e-15*max(1, math.Abs(c.want)) {
			t.Errorf("got %.17g, want %.17g (difference %.2g)", c.got, c.want, d)
		}
	}
	// digammaDiff where the difference is small, against 40-digit
	// arithmetic (mpmath, at d = fl(10⁻³)); the difference of two digamma
	// values is good to only 10⁻¹⁰ here.
	const want = 1.000499666166717187683715e-06
	if got := digammaDiff(1000, 1e-3); math.Abs(got-want) > 1e-15*want {
		t.Errorf("digammaDiff(1000, 1e-3) = %.17g, want %.17g", got, want)
	}
}

// TestBetaReparameterized: Transform is the quantile of the noise and
// PathVJP is v times (∂x/∂a, ∂x/∂b), which agree with fourth-order central
// differences of the quantile at fixed u (fdLog), to 10⁻⁶ relative, over
// shapes 10⁻³ … 10³ and levels 10⁻⁶ … 1 − 10⁻⁶. The differences are of log
// x from Transform where x ≤ ½ and of log(1 − x) from betaQuantile
// elsewhere: Transform's x near 1 is rounded to 10⁻¹⁶ absolute, too coarse
// for a small ∂x/∂θ (at β = 10⁻³ the median is 1 − 10⁻³⁰¹); and the
// logarithm, because x itself is far from linear in θ at small shapes (x ≈
// (u a B(a, b))^{1/a}: at a = 10⁻³, x = 10⁻³⁰⁰ changes by a factor 2 when
// a changes by 10⁻⁶). The same underflow corner as in TestBetaIncGrad is
// excluded (there PathVJP adds 0, checked below).
func TestBetaReparameterized(t *testing.T) {
	t.Parallel()
	worst, worstAt := 0.0, ""
	for _, a := range betaShapes {
		for _, b := range betaShapes {
			for _, u := range betaLevels {
				d := Beta{a, b}
				eps, xs := []float64{u}, []float64{0}
				d.Transform(xs, eps)
				x, y := betaQuantile(a, b, u)
				if xs[0] != x {
					t.Errorf("%v, u = %g: Transform %g, quantile %g", d, u, xs[0], x)
				}
				grad := []float64{0.5, -1}
				d.PathVJP(grad, eps, []float64{2})
				da, db := betaQuantileGrad(a, b, x, y)
				if grad[0] != 0.5+2*da || grad[1] != -1+2*db {
					t.Errorf("%v, u = %g: PathVJP added (%g, %g), want 2 × (%g, %g)", d, u, grad[0]-0.5, grad[1]+1, da, db)
				}
				if x == 0 || y == 0 {
					if da != 0 || db != 0 {
						t.Errorf("%v, u = %g: x = %g: gradient (%g, %g), want 0", d, u, x, da, db)
					}
					continue
				}
				// The logarithm of the smaller of x and 1 − x at (a, b), and
				// the factor that turns its derivative into ∂x/∂θ.
				logZ, scale := func(a, b float64) float64 {
					d.Alpha, d.Beta = a, b
					d.Transform(xs, eps)
					return math.Log(xs[0])
				}, x
				if x > y {
					logZ, scale = func(a, b float64) float64 {
						_, y := betaQuantile(a, b, u)
						return math.Log(y)
					}, -y // ∂x/∂θ = −∂(1 − x)/∂θ
				}
				want := [2]float64{
					scale * fdLog(func(s float64) float64 { return logZ(s, b) }, a),
					scale * fdLog(func(s float64) float64 { return logZ(a, s) }, b),
				}
				for j, g := range []float64{da, db} {
					e := math.Abs(g-want[j]) / math.Abs(want[j])
					if e > worst {
						worst, worstAt = e, fmt.Sprintf("a = %g, b = %g, u = %g, θ_%d", a, b, u, j)
					}
					if !(e <= 1e-6) {
						t.Errorf("%v, u = %g (x = %.6g, 1 − x = %.6g): ∂x/∂θ_%d = %.10g, finite differences %.10g (relative error %.2g)",
							Beta{a, b}, u, x, y, j, g, want[j], e)
					}
				}
			}
		}
	}
	t.Logf("largest relative error against finite differences of the quantile: %.2g (%s)", worst, worstAt)
}

// TestBetaPathwiseMoments is an end-to-end check: with x = F⁻¹(u), u
// uniform, the sample means of the pathwise gradients of x and x² (PathVJP
// with v = 1 and v = 2x) estimate ∂E[x]/∂θ and ∂E[x²]/∂θ, E[x] = a/(a+b)
// and E[x²] = a(a+1)/((a+b)(a+b+1)), and must match them within 4 standard
// errors. For a correct gradient each of the 4 comparisons per case fails
// with probability about 6·10⁻⁵ (the means of 20000 bounded terms are
// close to normal), 1.3·10⁻³ for the 20 here; the seed is fixed, so the
// test is deterministic.
func TestBetaPathwiseMoments(t *testing.T) {
	t.Parallel()
	const n = 20000
	for i, c := range [][2]float64{{0.3, 2}, {1, 1}, {2.5, 0.7}, {20, 50}, {0.02, 0.05}} {
		a, b := c[0], c[1]
		d := Beta{a, b}
		s := a + b
		m2 := a * (a + 1) / (s * (s + 1))
		exact := [4]float64{ // ∂E[x]/∂a, ∂E[x]/∂b, ∂E[x²]/∂a, ∂E[x²]/∂b
			b / (s * s), -a / (s * s),
			m2 * (1/a + 1/(a+1) - 1/s - 1/(s+1)), -m2 * (1/s + 1/(s+1)),
		}
		rng := rand.New(rand.NewPCG(21, uint64(i)))
		var sum, sum2 [4]float64
		eps, x := []float64{0}, []float64{0}
		for range n {
			d.Noise(eps, rng)
			d.Transform(x, eps)
			g1, g2 := []float64{0, 0}, []float64{0, 0}
			d.PathVJP(g1, eps, []float64{1})
			d.PathVJP(g2, eps, []float64{2 * x[0]})
			for j, v := range [4]float64{g1[0], g1[1], g2[0], g2[1]} {
				sum[j] += v
				sum2[j] += v * v
			}
		}
		for j := range sum {
			mean := sum[j] / n
			se := math.Sqrt((sum2[j]/n - mean*mean) / n)
			if math.Abs(mean-exact[j]) > 4*se {
				t.Errorf("%v: pathwise gradient %d: mean %.6g ± %.2g, exact %.6g", d, j, mean, se, exact[j])
			}
		}
	}
}

// BenchmarkBetaImplicit times a reparameterized Beta sample (the quantile
// of a uniform) and its path derivative beside the family's sampler (two
// log-space gamma draws), in ns per sample.
func BenchmarkBetaImplicit(b *testing.B) {
	for _, c := range [][2]float64{{0.5, 0.5}, {2, 3}, {0.01, 5}, {50, 200}} {
		d := Beta{c[0], c[1]}
		name := fmt.Sprintf("alpha=%g,beta=%g", c[0], c[1])
		b.Run(name+"/sampler", func(b *testing.B) {
			rng, x := rand.New(rand.NewPCG(1, 2)), []float64{0}
			for b.Loop() {
				d.Rand(x, rng)
			}
		})
		b.Run(name+"/quantile+grad", func(b *testing.B) {
			rng, eps, x, grad, v := rand.New(rand.NewPCG(1, 2)), []float64{0}, []float64{0}, []float64{0, 0}, []float64{1}
			for b.Loop() {
				d.Noise(eps, rng)
				d.Transform(x, eps)
				d.PathVJP(grad, eps, v)
			}
		})
	}
}
