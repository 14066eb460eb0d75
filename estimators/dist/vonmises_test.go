package dist_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	vmref "github.com/gradbench/gradbench/estimators/reference"
)

// vmKappas spans the concentrations the implicit reparameterization is
// stated for, 0.01 to 100, about three points a decade, with both sides
// of the switch from the Bessel series to the expansion at κ = 20.
var vmKappas = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 19.9, 20, 20.1, 50, 100}

// vmLevels are the quantile levels at which x is placed: both tails to
// 10⁻⁶, the bulk, and near the median (u = ½ itself, where ∂F/∂κ = 0, is
// checked separately).
var vmLevels = []float64{1e-6, 1e-4, 1e-2, 0.1, 0.3, 0.45, 0.499, 0.501, 0.55, 0.7, 0.9, 0.99, 1 - 1e-4, 1 - 1e-6}

// vmFD4 returns the fourth-order central difference (8(f(θ+h) − f(θ−h)) −
// (f(θ+2h) − f(θ−2h)))/(12h): truncation error O(h⁴).
func vmFD4(f func(float64) float64, th, h float64) float64 {
	return (8*(f(th+h)-f(th-h)) - (f(th+2*h) - f(th-2*h))) / (12 * h)
}

// vmQuad returns ∫_a^b f by n-point Gauss–Legendre quadrature (gonum).
func vmQuad(f func(float64) float64, a, b float64, n int) float64 {
	return quad.Fixed(f, a, b, n, quad.Legendre{}, 0)
}

// vmMoments returns, by quadrature independent of the package's Bessel
// code, I₀(κ)e^{−κ} = (1/π)∫_0^π e^{κ(cos t − 1)} dt and A(κ) = I₁/I₀. The
// integrand is smooth and, at κ = 100, concentrated within 0.1 of the
// end t = 0, where the Legendre nodes cluster: 400 nodes give 10⁻¹⁵.
func vmMoments(k float64) (i0e, a float64) {
	w := func(t float64) float64 { return math.Exp(k * (math.Cos(t) - 1)) }
	i0e = vmQuad(w, 0, math.Pi, 400) / math.Pi
	a = vmQuad(func(t float64) float64 { return math.Cos(t) * w(t) }, 0, math.Pi, 400) / math.Pi / i0e
	return i0e, a
}

// TestVonMisesCDFReference checks F(y; κ) and ∂F/∂κ against 40-digit
// quadrature (mpmath: F = ∫_{−π}^y e^{κ(cos t−1)} dt/(2π I₀(κ)e^{−κ}), ∂F/∂κ
// = ∫_{−π}^y (cos t − I₁/I₀) e^{κ(cos t−1)} dt/(2π I₀e^{−κ})) on both sides
// of the switch at κ = 20, to 10⁻¹¹ relative where F > 10⁻⁶. That is the
// accuracy the series has in a lower tail of 10⁻⁵ (10⁻¹⁶ absolute; the
// worst such point here is κ = 19.99, y = −1, where it is 5·10⁻¹²);
// elsewhere the errors are a few 10⁻¹⁶, and 10⁻¹³ at most for ∂F/∂κ.
// The points with F < 10⁻⁶, the expansion's far tail (F from 10⁻⁸ down
// to 5·10⁻²²), are held to 10⁻⁸ (at κ = 20, y = −1.5 the error of ∂F/∂κ
// is 10⁻⁹; see CDF). Points where F < 10⁻¹⁷ (y = −3 for κ ≥ 19.99), which no u ∈ (0,
// 1) reaches, are left out: there the series has only its absolute
// accuracy and the expansion's divergent tail is not resolved.
func TestVonMisesCDFReference(t *testing.T) {
	t.Parallel()
	for _, r := range [][4]float64{
		// κ, y, F, ∂F/∂κ
		{0.01, -3, 0.022311129023594610851, -0.022348205280552497634},
		{0.01, -1, 0.33950402171138178493, -0.13428112352308450462},
		{0.01, -0.01, 0.4983924956871593411, -0.0015994401001427839122},
		{0.01, 0.5, 0.58034216768359747267, 0.076635544757061413946},
		{1, -3, 0.0065699445657434725994, -0.0094807124213862338902},
		{1, -1, 0.20564469256531652001, -0.12171649338589095332},
		{1, -0.3, 0.39899732479726864039, -0.054425729264320699728},
		{1, 0.5, 0.6640764746049930327, 0.084300134573065227046},
		{5, -3, 5.6686599216197030123e-6, -0.000010713769115748040903},
		{5, -1, 0.019037954531853109454, -0.01040823189759421139},
		{5, -0.01, 0.49132935727054504271, -0.00092429222727007276395},
		{19.99, -1, 0.000010417668079130823505, -5.0318654768128491847e-6},
		{19.99, -0.3, 0.092149844463193166352, -0.0055610603503268939453},
		{19.99, 0.5, 0.98601389360795008412, 0.001986735085063761249},
		{20, -1, 0.000010367471322565054809, -5.0075056487649103333e-6},
		{20, -0.3, 0.09209425333177714038, -0.005557166507045718684},
		{20, -0.01, 0.4822787530717119199, -0.00044857491036661869986},
		{20, 0.5, 0.98603374628089773406, 0.0019838002703789506307},
		{100, -1, 5.1016782326113296994e-22, -2.3703117113276113815e-22},
		{100, -0.3, 0.0014180426759421573286, -0.000069364788820997486772},
		{100, -0.01, 0.46022216732938318601, -0.00019872936079559385677},
		{100, 0.5, 0.99999961271360565976, 4.9218919939780653857e-8},
		// The expansion's far tail (the CDF's doc: 10⁻¹² or better
		// where F > 10⁻¹⁰).
		{20, -1.36, 1.2170347681683308632e-8, -9.9206986504099025041e-9},
		{20, -1.5, 7.529705407272297175e-10, -7.1834168944137057191e-10},
		{50, -1, 6.8692351545869157689e-12, -3.2242933468954539677e-12},
		{100, -0.7, 3.7237864540184724749e-12, -8.9363377758771004721e-13},
	} {
		d := dist.VonMises{Mu: 0.7, Kappa: r[0]}
		x := d.Mu + r[1]
		// x − μ recovers y to 10⁻¹⁶ absolute, which moves F by p/F times
		// that relative: below 10⁻¹⁵ except in the far tails, where p/F
		// reaches 100 (κ = 100, y = −1), and 10⁻¹⁴ there.
		f := d.CDF(x)
		_, df := d.CDFGrad(x)
		tol := 1e-11
		if r[2] < 1e-6 {
			tol = 1e-8
		}
		if e := math.Abs(f-r[2]) / r[2]; !(e <= tol) {
			t.Errorf("κ = %g, y = %g: F = %.17g, want %.17g (relative error %.2g)", r[0], r[1], f, r[2], e)
		}
		if e := math.Abs(df-r[3]) / math.Abs(r[3]); !(e <= tol) {
			t.Errorf("κ = %g, y = %g: ∂F/∂κ = %.17g, want %.17g (relative error %.2g)", r[0], r[1], df, r[3], e)
		}
	}
}

// vmTail returns the smaller tail T = min(F, 1 − F) of d at x and the
// sign σ with F − ½ = σ(½ − T) (σ = 1 below the median), using 1 − F(μ + y)
// = F(μ − y): the CDF of the lower half keeps its relative precision.
func vmTail(d dist.VonMises, x float64) (tail, sign float64) {
	if x <= d.Mu {
		return d.CDF(x), 1
	}
	return d.CDF(2*d.Mu - x), -1
}

// TestVonMisesCDFGradFiniteDifferences checks ∂F/∂κ (CDFGrad) against
// fourth-order central differences of the CDF in κ at fixed x, to 10⁻⁶
// relative, over vmKappas × vmLevels, and ∂F/∂μ = −p against differences
// in μ. The differences are of the smaller tail T (vmTail). In κ the step
// is h = 10⁻³ max(κ, 1): for κ ≥ 1, T varies in κ on the scale κ/(z²/2)
// (z the normal score of the level, up to 4.9), so the truncation error
// is about (5·10⁻³)⁴/30 ≈ 2·10⁻¹¹, and the rounding error 1.5 ε_T/h
// relative to ∂T/∂κ ≈ T z²/(2κ) is 3000 ε_T/(T z²), at most 2·10⁻⁸ for
// the series' ε_T = 2·10⁻¹⁶ at T = 10⁻⁶ (the expansion, from κ = 20 on,
// has ε_T ≈ 10⁻¹⁶ T); for κ < 1, F is analytic in κ on the scale 1 and
// ∂T/∂κ ≈ −2T at T = 10⁻⁶ (x next to −π), so the rounding error is
// 1.5·10⁻¹⁶/(10⁻³·2·10⁻⁶) ≈ 10⁻⁷ relative, the largest here. The stencil
// of κ = 19.9, 20 and 20.1 straddles the switch; the two methods agree to
// 10⁻¹⁶ absolute, which costs at most 10⁻¹⁴/h there. In μ the step is
// 10⁻⁴, or a quarter of the distance from x to the support's nearer end
// if that is less (at u = 10⁻⁶ and κ ≤ 2, x is within 10⁻⁴ of μ − π; a
// wider stencil would step outside the support, where F is flat). The
// median (u = ½, ∂F/∂κ = 0 exactly, by symmetry) is excluded from the
// relative comparison and checked to be 0.
func TestVonMisesCDFGradFiniteDifferences(t *testing.T) {
	t.Parallel()
	var worst [2]float64
	var worstAt [2]string
	for _, k := range vmKappas {
		d := dist.VonMises{Mu: -0.4, Kappa: k}
		if _, dk := d.CDFGrad(d.Mu); dk != 0 {
			t.Errorf("κ = %g: ∂F/∂κ at the median = %g, want 0", k, dk)
		}
		for _, u := range vmLevels {
			x := d.Quantile(u)
			dmu, dk := d.CDFGrad(x)
			_, sign := vmTail(d, x)
			at := func(mu, kappa float64) float64 {
				tail, _ := vmTail(dist.VonMises{Mu: mu, Kappa: kappa}, x)
				return tail
			}
			// The μ step stays within a quarter of the distance to the
			// support's nearer end, which the stencil must not cross.
			hmu := min(1e-4, (math.Pi-math.Abs(x-d.Mu))/4)
			wantK := sign * vmFD4(func(s float64) float64 { return at(d.Mu, s) }, k, 1e-3*max(k, 1))
			wantMu := sign * vmFD4(func(s float64) float64 { return at(s, k) }, d.Mu, hmu)
			p := math.Exp(d.LogProb([]float64{x}))
			if e := math.Abs(dmu+p) / p; !(e <= 1e-15) {
				t.Errorf("κ = %g, u = %g: ∂F/∂μ = %g, want −p = %g", k, u, dmu, -p)
			}
			for j, c := range [][2]float64{{dk, wantK}, {dmu, wantMu}} {
				e := math.Abs(c[0]-c[1]) / math.Abs(c[1])
				if e > worst[j] {
					worst[j], worstAt[j] = e, fmt.Sprintf("κ = %g, u = %g", k, u)
				}
				if !(e <= 1e-6) {
					t.Errorf("κ = %g, u = %g (x − μ = %.6g): ∂F/∂%s = %.10g, finite differences %.10g (relative error %.2g)",
						k, u, x-d.Mu, []string{"κ", "μ"}[j], c[0], c[1], e)
				}
			}
		}
	}
	t.Logf("largest relative error against finite differences: ∂F/∂κ %.2g (%s), ∂F/∂μ %.2g (%s)", worst[0], worstAt[0], worst[1], worstAt[1])
}

// TestVonMisesCDFGradQuadrature checks ∂F/∂κ against Gauss–Legendre
// quadrature of the derivative of the density, ∫ (cos t − A) p(t) dt, with
// A and the normalizer also by quadrature (vmMoments), independently of
// the series and the expansion, to 10⁻⁶ relative, on a smaller grid (κ =
// 10⁻³ … 10³). The
// lower half suffices (∂F/∂κ is odd in y, exactly so in the code, checked
// below). The integral is over [−π, y] in the lower tail (F < ¼) and,
// using ∫_{−π}^0 ∂p/∂κ = 0, minus that over [y, 0] nearer the median, so
// that it never is a small difference of large parts; with 1000 nodes its
// own error is below 10⁻¹², as doubling them shows.
func TestVonMisesCDFGradQuadrature(t *testing.T) {
	t.Parallel()
	worst, worstAt := 0.0, ""
	for _, k := range []float64{1e-3, 0.01, 0.3, 1, 3, 10, 19.9, 20, 50, 100, 1000} {
		d := dist.VonMises{Kappa: k}
		i0e, a := vmMoments(k)
		dp := func(s float64) float64 {
			return (math.Cos(s) - a) * math.Exp(k*(math.Cos(s)-1)) / (2 * math.Pi * i0e)
		}
		for _, u := range []float64{1e-6, 1e-3, 0.05, 0.2, 0.3, 0.45, 0.49} {
			y := d.Quantile(u)
			var want float64
			if u < 0.25 {
				want = vmQuad(dp, -math.Pi, y, 1000)
			} else {
				want = -vmQuad(dp, y, 0, 1000)
			}
			_, got := d.CDFGrad(y)
			if _, mirror := d.CDFGrad(-y); mirror != -got {
				t.Errorf("κ = %g, u = %g: ∂F/∂κ at −y = %g, want %g", k, u, mirror, -got)
			}
			e := math.Abs(got-want) / math.Abs(want)
			if e > worst {
				worst, worstAt = e, fmt.Sprintf("κ = %g, u = %g", k, u)
			}
			if !(e <= 1e-6) {
				t.Errorf("κ = %g, u = %g (y = %.6g): ∂F/∂κ = %.10g, quadrature %.10g (relative error %.2g)", k, u, y, got, want, e)
			}
		}
	}
	t.Logf("largest relative error against quadrature: %.2g (%s)", worst, worstAt)
}

// TestVonMisesQuantile: Quantile inverts CDF — F(F⁻¹(u)) = u to 10⁻¹³ of
// the smaller tail min(u, 1 − u) plus 4·10⁻¹⁶ absolute (the series' CDF
// is accurate to about 2·10⁻¹⁶ absolute, and a quantile cannot be better
// than its CDF) over concentrations 10⁻³ … 10⁴, beyond the stated range,
// and levels 10⁻¹² … 1 − 10⁻¹²; Quantile(0) and Quantile(1) are the
// support's ends, and the quantile is odd about μ, bit for bit, at levels
// v and 1 − v (when 1 − v is exact, as it is for v ≥ ½).
func TestVonMisesQuantile(t *testing.T) {
	t.Parallel()
	for _, k := range append([]float64{1e-3, 1e3, 1e4}, vmKappas...) {
		d := dist.VonMises{Mu: 1.3, Kappa: k}
		if lo, hi := d.Quantile(0), d.Quantile(1); lo != d.Mu-math.Pi || hi != d.Mu+math.Pi {
			t.Errorf("κ = %g: support [%g, %g], want [μ − π, μ + π]", k, lo, hi)
		}
		d0 := dist.VonMises{Kappa: k}
		for _, u := range append([]float64{1e-12, 1e-9, 0.5}, vmLevels...) {
			x := d.Quantile(u)
			got, want := d.CDF(x), u
			if u > 0.5 {
				got, want = d.CDF(2*d.Mu-x), 1-u // the upper tail, mirrored
			}
			if e := math.Abs(got - want); !(e <= 1e-13*min(u, 1-u)+4e-16) {
				t.Errorf("κ = %g, u = %g: x − μ = %.17g: tail %.17g, want %.17g (error %.2g)", k, u, x-d.Mu, got, want, e)
			}
			// v ≥ ½ and w = 1 − v, exactly.
			v := max(u, 1-u)
			if y, m := d0.Quantile(v), d0.Quantile(1-v); y != -m {
				t.Errorf("κ = %g, v = %g: quantiles %g and %g at v and 1 − v", k, v, y, m)
			}
		}
	}
}

// TestVonMisesPathVJP: Transform is the quantile of the noise and PathVJP
// is v times (∂x/∂μ, ∂x/∂κ) = (1, −(∂F/∂κ)/p), which agree with central
// differences of Transform at fixed u, to 10⁻⁶ relative, over vmKappas ×
// vmLevels. The κ differences are fourth order. Their rounding error is
// 1.5 δx/h for δx the error of the quantile, at most the CDF's 2·10⁻¹⁶
// absolute divided by p plus the rounding of x itself (4·10⁻¹⁶ for |x| <
// 4), which matters where ∂x/∂κ is small: at κ ≤ 0.02 and u = 10⁻⁶, x is
// 6·10⁻⁶ from the support's end, ∂x/∂κ ≈ 6·10⁻⁶ and δx ≈ 2·10⁻¹⁵. So h
// = 10⁻³κ only from κ = 1 on (where x varies in κ on the scale κ/(z²/2),
// z ≤ 4.9 the level's normal score: truncation about 10⁻¹¹, rounding at
// most 10⁻⁸), and below, where x is analytic in κ on the scale 1, h =
// min(0.4κ, 10⁻²) (truncation below 10⁻⁹, rounding at most 10⁻⁷ at κ =
// 0.01). The μ differences are exact but for the rounding of μ + y
// (10⁻¹⁶/h with h = 10⁻³, so 10⁻¹² absolute).
func TestVonMisesPathVJP(t *testing.T) {
	t.Parallel()
	worst, worstAt := 0.0, ""
	for _, k := range vmKappas {
		d := dist.VonMises{Mu: 0.25, Kappa: k}
		for _, u := range vmLevels {
			eps, x := []float64{u}, []float64{0}
			d.Transform(x, eps)
			if q := d.Quantile(u); x[0] != q {
				t.Errorf("κ = %g, u = %g: Transform %g, Quantile %g", k, u, x[0], q)
			}
			grad := []float64{0.5, -1}
			d.PathVJP(grad, eps, []float64{2})
			dmu, dk := (grad[0]-0.5)/2, (grad[1]+1)/2
			at := func(mu, kappa float64) float64 {
				dist.VonMises{Mu: mu, Kappa: kappa}.Transform(x, eps)
				return x[0]
			}
			h := 1e-3 * k
			if k < 1 {
				h = min(0.4*k, 1e-2)
			}
			wantK := vmFD4(func(s float64) float64 { return at(d.Mu, s) }, k, h)
			wantMu := (at(d.Mu+1e-3, k) - at(d.Mu-1e-3, k)) / 2e-3
			if math.Abs(dmu-1) > 0 || math.Abs(wantMu-1) > 1e-12 {
				t.Errorf("κ = %g, u = %g: ∂x/∂μ = %g, finite differences %.15g, want 1", k, u, dmu, wantMu)
			}
			e := math.Abs(dk-wantK) / math.Abs(wantK)
			if e > worst {
				worst, worstAt = e, fmt.Sprintf("κ = %g, u = %g", k, u)
			}
			if !(e <= 1e-6) {
				t.Errorf("κ = %g, u = %g (x − μ = %.6g): ∂x/∂κ = %.10g, finite differences %.10g (relative error %.2g)", k, u, x[0]-d.Mu, dk, wantK, e)
			}
		}
	}
	t.Logf("largest relative error against finite differences of Transform: %.2g (%s)", worst, worstAt)
}

// vmCases are the families of the Monte Carlo checks: both sides of the
// switch at κ = 20, and beyond the stated range.
var vmCases = []dist.VonMises{{Mu: 0.3, Kappa: 0.01}, {Mu: -1, Kappa: 0.7}, {Mu: 2, Kappa: 4}, {Mu: 0, Kappa: 19}, {Mu: 0.5, Kappa: 35}, {Mu: -2.5, Kappa: 100}, {Mu: 1, Kappa: 1e4}}

// vmVariance returns Var[x] = E[y²] and its κ-derivative E[y²(cos y −
// A)] by quadrature (the density is symmetric about μ, so E[x] = μ).
func vmVariance(k float64) (v, dv float64) {
	i0e, a := vmMoments(k)
	p := func(s float64) float64 { return math.Exp(k*(math.Cos(s)-1)) / (2 * math.Pi * i0e) }
	v = 2 * vmQuad(func(s float64) float64 { return s * s * p(s) }, 0, math.Pi, 1000)
	dv = 2 * vmQuad(func(s float64) float64 { return s * s * (math.Cos(s) - a) * p(s) }, 0, math.Pi, 1000)
	return v, dv
}

// vmWithin reports whether the sample mean of values (with its standard
// error) is within 4 standard errors of want, plus 10⁻¹² for rounding.
func vmWithin(sum, sum2 float64, n int, want float64) (mean, se float64, ok bool) {
	mean = sum / float64(n)
	se = math.Sqrt(max(0, sum2/float64(n)-mean*mean) / float64(n))
	return mean, se, math.Abs(mean-want) <= 4*se+1e-12
}

// TestVonMisesRand checks the Best–Fisher sampler at a fixed seed:
// the sample mean and second central moment of x (E[x] = μ, E[(x − μ)²]
// from quadrature), the circular moments E[cos(x − μ)] = I₁/I₀ and
// E[cos 2(x − μ)] = I₂/I₀ (from quadrature), and the frequencies below
// five quantiles (the CDF at those points), each within 4 standard errors
// (the means of 10⁵ bounded draws are close to normal). For a correct
// sampler each of these 9 comparisons per case fails with probability
// about 6·10⁻⁵, 4·10⁻³ for the 63 here; the seed is fixed, so the test is
// deterministic. It also checks that every draw lies in [μ − π, μ + π]
// and that the score, ∇θ log p at the draws, has mean 0 within 4 standard
// errors (14 more comparisons).
func TestVonMisesRand(t *testing.T) {
	t.Parallel()
	const n = 100000
	levels := []float64{0.05, 0.25, 0.5, 0.75, 0.95}
	for i, d := range vmCases {
		rng := rand.New(rand.NewPCG(31, uint64(i)))
		i0e, a := vmMoments(d.Kappa)
		a2 := vmQuad(func(s float64) float64 {
			return math.Cos(2*s) * math.Exp(d.Kappa*(math.Cos(s)-1))
		}, 0, math.Pi, 400) / math.Pi / i0e
		v, _ := vmVariance(d.Kappa)
		q := make([]float64, len(levels))
		for j, u := range levels {
			q[j] = d.Quantile(u)
		}
		var sums, sums2 [9 + 2]float64
		x, s := []float64{0}, []float64{0, 0}
		for range n {
			d.Rand(x, rng)
			y := x[0] - d.Mu
			if !(math.Abs(y) <= math.Pi) {
				t.Fatalf("%+v: draw %g outside the support", d, x[0])
			}
			d.Score(s, x)
			vals := [11]float64{y, y * y, math.Cos(y), math.Cos(2 * y), 0, 0, 0, 0, 0, s[0], s[1]}
			for j := range q {
				if x[0] <= q[j] {
					vals[4+j] = 1
				}
			}
			for j, w := range vals {
				sums[j] += w
				sums2[j] += w * w
			}
		}
		want := []float64{0, v, a, a2, levels[0], levels[1], levels[2], levels[3], levels[4], 0, 0}
		names := []string{"E[x − μ]", "E[(x − μ)²]", "E[cos(x − μ)]", "E[cos 2(x − μ)]", "F(q.05)", "F(q.25)", "F(q.5)", "F(q.75)", "F(q.95)", "E[score μ]", "E[score κ]"}
		for j := range want {
			if mean, se, ok := vmWithin(sums[j], sums2[j], n, want[j]); !ok {
				t.Errorf("%+v: %s = %.6g ± %.2g, want %.6g", d, names[j], mean, se, want[j])
			}
		}
	}
}

// TestVonMisesPathwiseGradient is an end-to-end check: with x = F⁻¹(u),
// u uniform, the sample means of the pathwise gradients (PathVJP with v =
// g'(x)) of g(x) = cos(2x), cos(1.5x) and x² estimate ∂E[g]/∂θ and must
// match it within 4 standard errors: ∂E[cos(kx)]/∂θ from CosExpectation
// (itself checked against quadrature in TestVonMisesCosExpectation), and
// ∂E[x²]/∂μ = 2μ, ∂E[x²]/∂κ = ∂Var/∂κ by quadrature. x² is not periodic,
// so for it the pathwise gradient is unbiased but the score-function one
// is not (see VonMises): the moving support is what this exercises. With
// 20000 samples per case and 6 comparisons, each failing with
// probability about 6·10⁻⁵ for a correct gradient, the rate for the 42
// here is 3·10⁻³; the seed is fixed.
func TestVonMisesPathwiseGradient(t *testing.T) {
	t.Parallel()
	const n = 20000
	for i, d := range vmCases {
		_, c2mu, c2k := d.CosExpectation(2)
		_, c15mu, c15k := d.CosExpectation(1.5)
		_, dv := vmVariance(d.Kappa)
		exact := [6]float64{c2mu, c2k, c15mu, c15k, 2 * d.Mu, dv}
		rng := rand.New(rand.NewPCG(41, uint64(i)))
		var sum, sum2 [6]float64
		eps, x := []float64{0}, []float64{0}
		for range n {
			d.Noise(eps, rng)
			d.Transform(x, eps)
			var g [6]float64
			for j, gp := range []float64{-2 * math.Sin(2*x[0]), -1.5 * math.Sin(1.5*x[0]), 2 * x[0]} {
				d.PathVJP(g[2*j:2*j+2], eps, []float64{gp})
			}
			for j, v := range g {
				sum[j] += v
				sum2[j] += v * v
			}
		}
		for j := range sum {
			if mean, se, ok := vmWithin(sum[j], sum2[j], n, exact[j]); !ok {
				t.Errorf("%+v: pathwise gradient %d: mean %.6g ± %.2g, exact %.6g", d, j, mean, se, exact[j])
			}
		}
	}
}

// TestVonMisesCosExpectation checks E[cos(kx)] and its gradient against
// quadrature of cos(kx) p(x) and of cos(kx) ∂p/∂κ (with vmMoments), for
// integer and non-integer k, to 10⁻¹² absolute (the quadrature's own
// error is about 10⁻¹⁵); for integer k, ∂/∂μ = −k sin(kμ) I_k/I₀ exactly
// as E[cos(kx)] = cos(kμ) I_k/I₀, and for k = 0 the expectation is 1.
func TestVonMisesCosExpectation(t *testing.T) {
	t.Parallel()
	for _, kappa := range []float64{0.01, 0.5, 3, 19.9, 20, 100} {
		i0e, a := vmMoments(kappa)
		for _, mu := range []float64{0, 0.8, -2} {
			d := dist.VonMises{Mu: mu, Kappa: kappa}
			for _, k := range []float64{0, 1, 2, 5, -3, 0.5, 1.5, 2.999999, 7.3} {
				e, dmu, dk := d.CosExpectation(k)
				w := func(s float64) float64 { return math.Exp(kappa*(math.Cos(s)-1)) / (2 * math.Pi * i0e) }
				f := func(g func(float64) float64) float64 {
					return vmQuad(g, -math.Pi, 0, 1000) + vmQuad(g, 0, math.Pi, 1000)
				}
				want := [3]float64{
					f(func(s float64) float64 { return math.Cos(k*(mu+s)) * w(s) }),
					f(func(s float64) float64 { return -k * math.Sin(k*(mu+s)) * w(s) }),
					f(func(s float64) float64 { return math.Cos(k*(mu+s)) * (math.Cos(s) - a) * w(s) }),
				}
				for j, g := range []float64{e, dmu, dk} {
					if math.Abs(g-want[j]) > 1e-12 {
						t.Errorf("κ = %g, μ = %g, k = %g: component %d = %.15g, quadrature %.15g", kappa, mu, k, j, g, want[j])
					}
				}
			}
		}
	}
	if e, _, _ := (dist.VonMises{Mu: 1, Kappa: 2}).CosExpectation(0); e != 1 {
		t.Errorf("E[cos 0] = %g, want 1", e)
	}
}

// TestVonMisesDensity: the density integrates to 1 (to 10⁻¹³, quadrature
// over the support), LogProb is −Inf outside [μ − π, μ + π], and the score
// matches central differences of LogProb.
func TestVonMisesDensity(t *testing.T) {
	t.Parallel()
	for _, k := range []float64{0.01, 1, 19.9, 20, 100, 1e4} {
		d := dist.VonMises{Mu: -0.6, Kappa: k}
		p := func(x float64) float64 { return math.Exp(d.LogProb([]float64{x})) }
		total := vmQuad(p, d.Mu-math.Pi, d.Mu, 1000) + vmQuad(p, d.Mu, d.Mu+math.Pi, 1000)
		if math.Abs(total-1) > 1e-13 {
			t.Errorf("κ = %g: density integrates to %.17g", k, total)
		}
		for _, x := range []float64{d.Mu - math.Pi - 1e-9, d.Mu + 3.2, math.NaN()} {
			if l := d.LogProb([]float64{x}); !math.IsInf(l, -1) {
				t.Errorf("κ = %g: LogProb(%g) = %g, want −Inf", k, x, l)
			}
		}
		x := []float64{d.Mu + 0.3/math.Sqrt(k)}
		s := []float64{0, 0}
		d.Score(s, x)
		for j, th := range []float64{d.Mu, d.Kappa} {
			h := 1e-5 * max(1, th)
			if j == 1 {
				h = 1e-5 * th
			}
			lp := func(v float64) float64 {
				e := d
				if j == 0 {
					e.Mu = v
				} else {
					e.Kappa = v
				}
				return e.LogProb(x)
			}
			// fd4 with h = 10⁻⁵θ: truncation 10⁻²⁰, rounding 10⁻¹⁶ |log p|/h.
			want := vmFD4(lp, th, h)
			if math.Abs(s[j]-want) > 1e-8*max(1, math.Abs(want)) {
				t.Errorf("κ = %g: score[%d] = %.12g, finite differences %.12g", k, j, s[j], want)
			}
		}
	}
}

// TestVonMisesParams covers the constructor, validation, the registry
// entry and the capabilities.
func TestVonMisesParams(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		param string
		err   error
	}{
		{"mu", vmErrOf(dist.NewVonMises(nan, 1))},
		{"mu", vmErrOf(dist.NewVonMises(-inf, 1))},
		{"kappa", vmErrOf(dist.NewVonMises(0, 0))},
		{"kappa", vmErrOf(dist.NewVonMises(0, -1))},
		{"kappa", vmErrOf(dist.NewVonMises(0, nan))},
		{"kappa", vmErrOf(dist.NewVonMises(0, inf))},
		{"kappa", vmErrOf(dist.New("von-mises", map[string]float64{"kappa": 0}))},
		{"kappa", vmErrOf(dist.VonMises{Mu: 0, Kappa: 1}.WithParams([]float64{0, nan}))},
		{"mu", vmErrOf(dist.VonMises{Mu: 0, Kappa: 1}.WithParams([]float64{inf, 1}))},
	} {
		if !errors.Is(c.err, dist.ErrParam) {
			t.Errorf("%s: error %v does not wrap ErrParam", c.param, c.err)
		} else if msg := c.err.Error(); !strings.Contains(msg, "von-mises") || !strings.Contains(msg, c.param) {
			t.Errorf("%s: message %q does not name the family and the parameter", c.param, msg)
		}
	}
	d, err := dist.New("von-mises", nil)
	if err != nil {
		t.Fatal(err)
	}
	if vm, ok := d.(dist.VonMises); !ok || vm != (dist.VonMises{Mu: 0, Kappa: 1}) {
		t.Errorf("defaults: %#v", d)
	}
	if fam, ok := dist.Lookup("von-mises"); !ok || fam.Doc == "" || len(fam.Params) != 2 || fam.Params[0].Doc == "" || fam.Params[1].Doc == "" {
		t.Errorf("registry entry %+v", fam)
	}
	if !slices.Equal(d.ParamNames(), []string{"mu", "kappa"}) || d.Dim() != 1 || d.NumParams() != 2 || d.Name() != "von-mises" {
		t.Errorf("names %v, Dim %d, NumParams %d, Name %q", d.ParamNames(), d.Dim(), d.NumParams(), d.Name())
	}
	if e, err := d.WithParams([]float64{0.5, 3}); err != nil || !slices.Equal(e.Params(nil), []float64{0.5, 3}) {
		t.Errorf("WithParams: %v, %v", e, err)
	}
	_, r := d.(dist.Reparameterized)
	_, un := d.(dist.UniformNoise)
	_, q := d.(dist.Quantiler)
	_, mo := d.(dist.Moments)
	_, fi := d.(dist.Finite)
	_, mv := d.(dist.MeasureValued)
	_, sy := d.(dist.SymmetricNoise)
	if !r || !un || !q || mo || fi || mv || sy {
		t.Errorf("capabilities: reparameterized %v, uniform noise %v, quantiler %v, moments %v, finite %v, measure-valued %v, symmetric noise %v",
			r, un, q, mo, fi, mv, sy)
	}
	u, eps := []float64{0.3}, []float64{0}
	d.(dist.UniformNoise).NoiseFromUniform(eps, u)
	if eps[0] != 0.3 {
		t.Errorf("NoiseFromUniform(0.3) = %g", eps[0])
	}
}

// vmErrOf returns the error of a constructor's result.
func vmErrOf[T any](_ T, err error) error { return err }

// TestVonMisesNoAllocations: the per-sample methods allocate nothing
// (not parallel: AllocsPerRun counts the whole process).
func TestVonMisesNoAllocations(t *testing.T) {
	for _, k := range []float64{0.5, 50} {
		d := dist.VonMises{Mu: 0.2, Kappa: k}
		rng := rand.New(rand.NewPCG(1, 2))
		x, eps, v, g := []float64{0}, []float64{0.3}, []float64{1}, []float64{0, 0}
		for name, fn := range map[string]func(){
			"Rand":      func() { d.Rand(x, rng) },
			"LogProb":   func() { d.LogProb(x) },
			"Score":     func() { d.Score(g, x) },
			"Noise":     func() { d.Noise(eps, rng) },
			"Transform": func() { d.Transform(x, eps) },
			"PathVJP":   func() { d.PathVJP(g, eps, v) },
			"CDFGrad":   func() { d.CDFGrad(0.1) },
		} {
			if a := testing.AllocsPerRun(100, fn); a != 0 {
				t.Errorf("κ = %g: %s allocates %v times per call", k, name, a)
			}
		}
	}
}

// TestVonMisesReference checks what vmref does with the cos objective
// under this family. Quadrature refuses it: it would integrate f p ∇log p,
// whose μ component misses the moving end points' term p(μ+π)(f(μ+π) −
// f(μ−π)) unless f is 2π-periodic, so MethodAuto falls to Monte Carlo,
// which (pathwise, 2·10⁵ samples) agrees with CosExpectation within 4
// standard errors for integer and non-integer k.
func TestVonMisesReference(t *testing.T) {
	t.Parallel()
	d := dist.VonMises{Mu: 0.5, Kappa: 2}
	for _, k := range []float64{2, 0.5} {
		f := objective.Cos{K: k}
		if err := vmref.Applicable(d, f, vmref.MethodQuadrature); !errors.Is(err, vmref.ErrNotApplicable) {
			t.Errorf("k = %g: quadrature applicable (%v); its μ component would miss the boundary term", k, err)
		}
		_, dmu, dk := d.CosExpectation(k)
		mc, err := vmref.Gradient(d, f, vmref.MethodMonteCarlo, vmref.Options{Samples: 200000, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for j, want := range []float64{dmu, dk} {
			if math.Abs(mc.Grad[j]-want) > 4*mc.SE[j] {
				t.Errorf("k = %g: Monte Carlo component %d = %.6g ± %.2g, exact %.6g", k, j, mc.Grad[j], mc.SE[j], want)
			}
		}
	}
}

// vmFixtures are the conformance fixtures proposed for
// estimatortest.Fixtures: the cos objective at integer k, 2π-periodic, so
// that the score-function estimators are unbiased too, on both sides of
// the switch at κ = 20, with the exact gradient from CosExpectation.
var vmFixtures = []struct {
	name string
	d    dist.VonMises
	k    float64
}{
	{"von-mises(mu=0.5,kappa=2)×cos(k=2)", dist.VonMises{Mu: 0.5, Kappa: 2}, 2},
	{"von-mises(mu=-1,kappa=30)×cos(k=1)", dist.VonMises{Mu: -1, Kappa: 30}, 1},
}

// vmConformanceRuns lists every registered estimator with its default
// options, and pathwise and score also with the other sampling schemes
// (antithetic pairs u, 1 − u and randomized QMC), which apply through
// dist.UniformNoise.
func vmConformanceRuns() []struct {
	name string
	opts map[string]string
} {
	var runs []struct {
		name string
		opts map[string]string
	}
	for _, name := range estimators.Names() {
		runs = append(runs, struct {
			name string
			opts map[string]string
		}{name, nil})
	}
	for _, name := range []string{"pathwise", "score"} {
		for _, s := range []string{estimators.SamplingAntithetic, estimators.SamplingRQMC} {
			runs = append(runs, struct {
				name string
				opts map[string]string
			}{name, map[string]string{"sampling": s}})
		}
	}
	return runs
}

// TestVonMisesConformance runs the statistical core of the conformance
// kit (estimatortest's checkFixture, which cannot be called on a fixture
// outside its list) on vmFixtures: every run of vmConformanceRuns that
// estimators.Supports admits makes R = 20000
// replications of n = max(4, MinSamples) samples, resetting a Resetter
// every 1000 as the kit does; every estimate must be finite and, for an
// estimator that declares itself unbiased, the mean within
// estimatortest.Tolerance = 4 standard errors (plus 10⁻⁹ relative) of the
// exact gradient, each comparison failing with probability about 6·10⁻⁵.
// An estimator that Supports admits must not return ErrUnsupported.
func TestVonMisesConformance(t *testing.T) {
	t.Parallel()
	const reps = 20000
	for _, fx := range vmFixtures {
		f := objective.Cos{K: fx.k}
		_, gmu, gk := fx.d.CosExpectation(fx.k)
		exact := []float64{gmu, gk}
		admitted := 0
		for _, run := range vmConformanceRuns() {
			name, opts := run.name, run.opts
			e, err := estimators.New(name, opts)
			if err != nil {
				t.Fatalf("%s %v: %v", name, opts, err)
			}
			info := e.Info()
			n := max(4, info.MinSamples)
			if err := estimators.Supports(e, fx.d, f, n); err != nil {
				t.Logf("%s %v on %s: skipped: %v", name, opts, fx.name, err)
				continue
			}
			admitted++
			h := fnv.New64a()
			h.Write([]byte(fmt.Sprint(name, opts, fx.name)))
			rng := rand.New(rand.NewPCG(0x6772616462656e63, h.Sum64()))
			rs, _ := e.(estimators.Resetter)
			grad := make([]float64, 2)
			var mean, m2 [2]float64
			for r := range reps {
				if rs != nil && r%1000 == 0 {
					rs.Reset()
				}
				if _, err := e.Estimate(grad, fx.d, f, n, rng); err != nil {
					t.Fatalf("%s %v on %s: %v", name, opts, fx.name, err)
				}
				for j, v := range grad {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("%s %v on %s: estimate %v", name, opts, fx.name, grad)
					}
					d := v - mean[j]
					mean[j] += d / float64(r+1)
					m2[j] += d * (v - mean[j])
				}
			}
			for j := range 2 {
				se := math.Sqrt(m2[j] / (reps - 1) / reps)
				diff := mean[j] - exact[j]
				if !info.Unbiased {
					t.Logf("%s %v on %s: %s bias %.3g ± %.2g", name, opts, fx.name, fx.d.ParamNames()[j], diff, se)
					continue
				}
				if math.Abs(diff) > 4*se+1e-9*max(1, math.Abs(exact[j])) {
					t.Errorf("%s %v on %s: %s mean %.6g, exact %.6g: off by %.1f SE", name, opts, fx.name, fx.d.ParamNames()[j], mean[j], exact[j], diff/se)
				} else {
					t.Logf("%s %v on %s: %s within %.1f SE (mean %.8g exact %.8g se %.2g)", name, opts, fx.name, fx.d.ParamNames()[j], diff/se, mean[j], exact[j], se)
				}
			}
		}
		if admitted == 0 {
			t.Errorf("%s: no estimator admits it", fx.name)
		}
	}
}

// BenchmarkVonMisesImplicit times a reparameterized von Mises sample (the
// quantile of a uniform) and its path derivative beside the family's
// Best–Fisher sampler, in ns per sample.
func BenchmarkVonMisesImplicit(b *testing.B) {
	for _, k := range []float64{0.1, 2, 15, 50} {
		d := dist.VonMises{Kappa: k}
		b.Run(fmt.Sprintf("kappa=%g/sampler", k), func(b *testing.B) {
			rng, x := rand.New(rand.NewPCG(1, 2)), []float64{0}
			for b.Loop() {
				d.Rand(x, rng)
			}
		})
		b.Run(fmt.Sprintf("kappa=%g/quantile+grad", k), func(b *testing.B) {
			rng, eps, x, grad, v := rand.New(rand.NewPCG(1, 2)), []float64{0}, []float64{0}, []float64{0, 0}, []float64{1}
			for b.Loop() {
				d.Noise(eps, rng)
				d.Transform(x, eps)
				d.PathVJP(grad, eps, v)
			}
		})
	}
}
