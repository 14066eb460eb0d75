package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
)

// VonMises is the von Mises distribution with location Mu and
// concentration Kappa, density exp(κ cos(x − μ))/(2π I₀(κ)) on the interval
// [μ − π, μ + π), with parameters θ = (mu, kappa). It is the family of
// x = μ + y, y ~ vonMises(0, κ) on [−π, π).
//
// Outcomes are real numbers on that interval, not angles modulo 2π, and the
// interval moves with μ. The pathwise gradient (x = μ + y(u; κ), so ∂x/∂μ =
// 1) is unbiased for any objective differentiable on the interval, but the
// score-function identity ∂E[f]/∂μ = E[f ∂log p/∂μ] holds only for
// 2π-periodic f (cos(kx) with integer k, say): otherwise the moving end
// points add p(μ+π)·(f(μ+π) − f(μ−π)), which score-function estimators (and
// a quadrature reference built on the score) miss. The κ component has no
// such term.
//
// It is reparameterized implicitly (Figurnov, Mohamed & Mnih 2018): y =
// F⁻¹(u; κ) with u uniform on (0, 1) and ∂y/∂κ = −(∂F/∂κ)/p, F the CDF of
// y (see VonMises.CDF for how F and ∂F/∂κ are computed). Rand uses the
// rejection sampler of Best and Fisher (1979).
//
// VonMises implements no dist.Moments: E[x] = μ and Var[x] = E[y²] exist,
// but the estimators that use Moments (delta, muprop) build a quadratic or
// linear control variate h and rely on E[h ∂log p/∂μ] = ∂E[h]/∂μ, which
// fails for the non-periodic h on this moving support. The circular
// moments E[cos(k(x − μ))] = I_k(κ)/I₀(κ) are given by CosExpectation.
type VonMises struct {
	Mu    float64
	Kappa float64
}

var vonMisesParams = []string{"mu", "kappa"}

// NewVonMises returns the von Mises distribution with location mu and
// concentration kappa, or an error if mu is not finite or kappa is not
// finite and positive.
func NewVonMises(mu, kappa float64) (VonMises, error) {
	v := VonMises{Mu: mu, Kappa: kappa}
	return v, v.Validate()
}

// Validate returns an error if the parameters are invalid.
func (v VonMises) Validate() error {
	if err := checkFinite("von-mises", "mu", v.Mu); err != nil {
		return err
	}
	return checkPositive("von-mises", "kappa", v.Kappa)
}

// MovingSupport reports true: the support [μ − π, μ + π) moves with μ
// (see MovingSupport).
func (VonMises) MovingSupport() bool { return true }

// Name returns "von-mises".
func (VonMises) Name() string { return "von-mises" }

// Dim returns 1.
func (VonMises) Dim() int { return 1 }

// NumParams returns 2.
func (VonMises) NumParams() int { return 2 }

// ParamNames returns ["mu", "kappa"].
func (VonMises) ParamNames() []string { return vonMisesParams }

// Params writes (mu, kappa) into dst and returns it.
func (v VonMises) Params(dst []float64) []float64 {
	dst = useDst("VonMises.Params", dst, 2)
	dst[0], dst[1] = v.Mu, v.Kappa
	return dst
}

// WithParams returns the von Mises distribution with θ = theta.
func (VonMises) WithParams(theta []float64) (Distribution, error) {
	checkLen("VonMises.WithParams", theta, 2)
	m, err := NewVonMises(theta[0], theta[1])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ vonMises(Mu, Kappa) by the wrapped-Cauchy rejection
// method of Best and Fisher (1979, "Efficient simulation of the von Mises
// distribution", Appl. Statist. 28, 152–157): two uniforms per trial,
// accepted with probability at least 65%, then a random sign. Its
// quantities are rearranged so that none cancels: with ρ the envelope's
// parameter and φ = πU/2, the candidate is θ = 2 atan(((1 − ρ)/(1 + ρ))
// tan φ) (Best and Fisher's arccos((1 + rz)/(r + z)), exact as κ → ∞
// where that loses half the digits) and their c = κ(r − f) is κ(1 −
// ρ²)²/(2ρ((1 − ρ)² + 4ρ cos²φ)), exact as κ → 0 where r = (1 +
// ρ²)/(2ρ) ≈ 1/κ makes r − f cancel (and r² overflows below κ ≈
// 10⁻¹⁵⁴).
func (v VonMises) Rand(x []float64, rng *rand.Rand) {
	k := v.Kappa
	rho, d := vmEnvelope(k) // ρ and 1 − ρ
	ratio := d / (1 + rho)  // √((r − 1)/(r + 1))
	half := 0.5 * k / rho   // κ/(2ρ)
	num := d * (2 - d)      // 1 − ρ²
	num *= num
	for {
		sin, cos := math.Sincos(0.5 * math.Pi * rng.Float64())
		c := half * num / (d*d + 4*rho*cos*cos)
		w := 1 - rng.Float64() // in (0, 1]
		if c*(2-c) > w || math.Log(c/w)+1-c >= 0 {
			y := 2 * math.Atan2(ratio*sin, cos)
			if rng.Uint64()&1 == 0 {
				y = -y
			}
			x[0] = v.Mu + y
			return
		}
	}
}

// vmEnvelope returns Best and Fisher's ρ = (τ − √(2τ))/(2κ), τ = 1 +
// √(1 + 4κ²), and 1 − ρ, both without cancellation: with q = √(1 + 4κ²),
// τ − 2 = 4κ²/(q + 1) gives ρ = (2κ/(q + 1)) √τ/(√τ + √2), and q − 2κ =
// 1/(q + 2κ) gives 1 − ρ = √τ (1 + 1/(q + 2κ))/((√τ + √2)(q + 1)) + √2/(√τ +
// √2), a sum of positive terms.
func vmEnvelope(k float64) (rho, d float64) {
	q := math.Hypot(1, 2*k)
	st := math.Sqrt(1 + q)
	den := st + math.Sqrt2
	rho = 2 * k / (q + 1) * st / den
	d = st*(1+1/(q+2*k))/(den*(q+1)) + math.Sqrt2/den
	return rho, d
}

// LogProb returns κ cos(x − μ) − log(2π I₀(κ)) for μ − π ≤ x ≤ μ + π,
// −Inf otherwise (κ(cos y − 1) = −2κ sin²(y/2) and I₀ is exponentially
// scaled, so it neither overflows nor cancels).
func (v VonMises) LogProb(x []float64) float64 {
	y := x[0] - v.Mu
	if !(math.Abs(y) <= math.Pi) {
		return math.Inf(-1)
	}
	return vmLogKernel(v.Kappa, y) - vmLogNorm(v.Kappa)
}

// vmLogKernel returns κ(cos y − 1) = −2κ sin²(y/2).
func vmLogKernel(k, y float64) float64 {
	s := math.Sin(0.5 * y)
	return -2 * k * s * s
}

// vmLogNorm returns log(2π I₀(κ) e^{−κ}), the log-normalizer of the
// density e^{κ(cos y − 1)}.
func vmLogNorm(k float64) float64 {
	l, _ := vmBessel(k)
	return math.Log(2*math.Pi) + l
}

// Score writes (κ sin(x − μ), cos(x − μ) − I₁(κ)/I₀(κ)) into dst.
func (v VonMises) Score(dst, x []float64) {
	s, c := math.Sincos(x[0] - v.Mu)
	_, a := vmBessel(v.Kappa)
	dst[0] = v.Kappa * s
	dst[1] = c - a
}

// CosExpectation returns E[cos(kx)] and its gradient (∂/∂μ, ∂/∂κ), for any
// real k: E[cos(kx)] = cos(kμ) m(k) (E[sin(k(x − μ))] = 0 by symmetry),
// with m(k) = E[cos(ky)] = sinc(k) + Σ_{n≥1} (I_n/I₀)(sinc(k − n) + sinc(k +
// n)), sinc(t) = sin(πt)/(πt), from the Fourier series of the density, which
// for integer k is I_k(κ)/I₀(κ). The Bessel ratios and their κ-derivatives
// come from the backward recurrence I_n/I_{n−1} = 1/(2n/κ + I_{n+1}/I_n)
// carried out on value–derivative pairs, over 10 + 9√κ terms (so the cost
// grows as √κ; the terms are capped at 10⁷, enough for κ up to 10¹²).
func (v VonMises) CosExpectation(k float64) (e, dmu, dkappa float64) {
	m, dm := vmCosMoment(v.Kappa, k)
	s, c := math.Sincos(k * v.Mu)
	return c * m, -k * s * m, c * dm
}

// vmCosMoment returns E[cos(ky)] and its κ-derivative (see
// CosExpectation).
func vmCosMoment(kappa, k float64) (m, dm float64) {
	n := int(min(10+9*math.Sqrt(kappa), 1e7)) // vmTerms, capped
	kappa = max(kappa, vmTiny)
	// V_j = r_j (a_j + V_{j+1}), V_1 = Σ ρ_j a_j, with r_j = I_j/I_{j−1}
	// from the same backward pass, and the derivatives alongside.
	var r, dr, vv, dv float64
	ik := 1 / kappa
	for j := n; j >= 1; j-- {
		fj := float64(j)
		r, dr = vmRatioStep(ik, fj, r, dr)
		aj := vmSinc(k-fj) + vmSinc(k+fj)
		vv, dv = r*(aj+vv), dr*(aj+vv)+r*dv
	}
	return vmSinc(k) + vv, dv
}

// vmRatioStep returns r_j = 1/(2j/κ + r_{j+1}) and r_j' = dr_j/dκ =
// r_j²(2j/κ² − r'_{j+1}) = 2j (r_j/κ)² − r_j² r'_{j+1} (the second form does
// not overflow for tiny κ), given ik = 1/κ.
func vmRatioStep(ik, fj, r1, dr1 float64) (r, dr float64) {
	r = 1 / (2*fj*ik + r1)
	rk := r * ik
	return r, 2*fj*rk*rk - r*r*dr1
}

// vmSinc returns sin(πt)/(πt), with sin(πt) = ±sin(π(t − round(t))) so that
// it is accurate near the integers.
func vmSinc(t float64) float64 {
	if t == 0 {
		return 1
	}
	n := math.Round(t)
	s := math.Sin(math.Pi * (t - n))
	if math.Mod(n, 2) != 0 {
		s = -s
	}
	return s / (math.Pi * t)
}

// Quantile returns the p-quantile, μ + F⁻¹(p; κ) (μ − π at p = 0 and μ +
// π at p = 1). It panics if p is outside [0, 1].
func (v VonMises) Quantile(p float64) float64 {
	checkProb("VonMises.Quantile", p)
	switch p {
	case 0:
		return v.Mu - math.Pi
	case 1:
		return v.Mu + math.Pi
	}
	return v.Mu + vmQuantile(v.Kappa, p)
}

// CDF returns P(x' ≤ x): 0 below μ − π, 1 from μ + π on.
//
// F(y; κ), y = x − μ, has no closed form. Below κ = 20 it is the series
// F = ½ + y/(2π) + (1/π) Σ_{j≥1} (I_j(κ)/I₀(κ)) sin(jy)/j (Hill 1977,
// "Algorithm 518: Incomplete Bessel function I₀: the von Mises
// distribution", ACM TOMS 3, 279–284; TensorFlow Probability's
// von_mises_cdf), summed over 10 + 9√κ terms (I_j/I₀ < 10⁻¹⁷ beyond),
// with the Bessel ratios from the backward recurrence; it is accurate to
// about 10⁻¹⁶ absolute, so relative to a lower tail u to about 10⁻¹⁶/u.
//
// From κ = 20 on, where the series would need ever more terms and cancels
// in the tails, it is the expansion that underlies Hill's normal
// approximation: with s = 2 sin(y/2), so that κ(cos y − 1) = −κs²/2 and
// dy = ds/√(1 − s²/4), for y ≤ 0 (y > 0 by symmetry) and a = −s√κ,
//
//	F(y) = Σ_k b_k M_k(a) / (√(2π) Σ_k b_k (2k−1)!!),
//
// b_k = C(2k, k)/(16κ)^k (the binomial series of 1/√(1 − s²/4)) and M_k(a) =
// ∫_a^∞ t^{2k} e^{−t²/2} dt = a^{2k−1} e^{−a²/2} + (2k − 1) M_{k−1}(a), M₀ =
// √(π/2) erfc(a/√2): every term is positive, so F keeps its relative
// precision in the lower tail, and the denominator, √(2πκ) I₀(κ)e^{−κ} in
// its asymptotic series, makes F(0) = ½ exactly. Integrating the Gaussian
// factor over (−∞, −2] instead of the circle, and truncating the divergent
// series at its smallest term (or at 10⁻¹⁷, or at 400 terms), costs about
// e^{−2κ} ≈ 4·10⁻¹⁸ of F(0) at κ = 20. In the far lower tail the terms
// fall more slowly (by about s²/4 + k/(2κ) each), which limits the
// relative accuracy of F and ∂F/∂κ there at the smallest κ: against
// 40-digit quadrature, at κ = 20 it is 10⁻¹⁰ at y = −1.36 (F = 10⁻⁸),
// 10⁻⁹ at y = −1.5 (F = 7·10⁻¹⁰) and 10⁻⁵ at y = −2 (F = 5·10⁻¹⁴), but
// at κ = 50 still 4·10⁻¹⁵ at y = −1.5 (F = 4·10⁻²²). Over the bulk and
// the tails down to F = 10⁻⁶ the errors are below 10⁻¹³ throughout.
func (v VonMises) CDF(x float64) float64 {
	y := x - v.Mu
	switch {
	case y <= -math.Pi:
		return 0
	case y >= math.Pi:
		return 1
	case math.IsNaN(y):
		return math.NaN()
	}
	f, _ := vmCDF(v.Kappa, y, false)
	return f
}

// CDFGrad returns the gradient of the CDF at x with respect to θ: ∂F/∂μ =
// −p(x) and ∂F/∂κ, both 0 outside (μ − π, μ + π). ∂F/∂κ differentiates the
// computation of CDF in forward mode (value–derivative pairs through the
// recurrence of the Bessel ratios, as TensorFlow Probability's
// von_mises_cdf does with autodiff, and through the expansion, whose
// κ-dependence is explicit), never by finite differences.
func (v VonMises) CDFGrad(x float64) (dmu, dkappa float64) {
	y := x - v.Mu
	if !(math.Abs(y) < math.Pi) {
		return 0, 0
	}
	_, dkappa = vmCDF(v.Kappa, y, true)
	return -math.Exp(vmLogKernel(v.Kappa, y) - vmLogNorm(v.Kappa)), dkappa
}

// Noise draws u uniform on (0, 1) (never 0 or 1).
func (VonMises) Noise(eps []float64, rng *rand.Rand) { eps[0] = openUniform(rng) }

// NoiseFromUniform copies u: the noise is the uniform itself (see
// UniformNoise).
func (VonMises) NoiseFromUniform(eps, u []float64) { copy(eps, u) }

// Transform writes x = μ + F⁻¹(u; κ), the u-quantile.
func (v VonMises) Transform(x, eps []float64) {
	y, _ := vmSolve(v.Kappa, eps[0], false)
	x[0] = v.Mu + y
}

// PathVJP adds w (∂x/∂μ, ∂x/∂κ) at x = μ + F⁻¹(u; κ) to dst: ∂x/∂μ = 1 and
// ∂x/∂κ = −(∂F/∂κ)/p, by implicit differentiation of F(y; κ) = u. (Where p
// would underflow, it adds 0 for κ; no u that Noise draws, 2⁻⁵⁴ or more
// from 0 and 1, gets there.)
func (v VonMises) PathVJP(dst, eps, w []float64) {
	_, dy := vmSolve(v.Kappa, eps[0], true)
	dst[0] += w[0]
	dst[1] += w[0] * dy
}

// vmSeriesMax is the concentration from which the expansion replaces the
// Bessel series (see VonMises.CDF).
const vmSeriesMax = 20

// vmMaxTerms bounds the series' terms below vmSeriesMax: vmTerms(20) = 50.
const vmMaxTerms = 64

// vmRecip holds 1/j, j = 0 … vmMaxTerms (1/0 = +Inf is never used).
var vmRecip = func() (r [vmMaxTerms + 1]float64) {
	for j := range r {
		r[j] = 1 / float64(j)
	}
	return r
}()

// vmTiny is the smallest concentration the Bessel ratios are computed at:
// below it 1/κ would overflow, and the family is uniform to within 10⁻³⁰⁰
// anyway (the ratios and their derivatives are analytic at κ = 0).
const vmTiny = 1e-300

// vmMaxK bounds the terms of the expansion.
const vmMaxK = 400

// vmTerms returns the number of terms of the Bessel series, 10 + 9√κ: it
// keeps I_n(κ)/I₀(κ) below 10⁻¹⁷ at the last term for every κ (the ratio
// falls as (κ/2)ⁿ/n! for small κ and as e^{−n²/(2κ)} for large κ; the
// smallest n that does it is 7 at κ = 0.01, 16 at 1, 44 at 20, 91 at 100),
// and the error of starting the recurrence at 0 there, about its square,
// even further.
func vmTerms(k float64) int { return 10 + int(9*math.Sqrt(k)) }

// vmBessel returns log(I₀(κ) e^{−κ}) and A(κ) = I₁(κ)/I₀(κ): below
// vmSeriesMax from the power series I₀ = Σ (κ²/4)^m/(m!)², I₁ = (κ/2) Σ
// (κ²/4)^m/(m!(m+1)!), whose terms are all positive; from it on from the
// asymptotic series of the expansion (vmAsymNorm), 1 − A = −(d/dκ) log(I₀
// e^{−κ}).
func vmBessel(k float64) (logI0e, a float64) {
	if k >= vmSeriesMax {
		b, db := vmAsymNorm(k)
		return math.Log(b) - 0.5*math.Log(2*math.Pi*k), 1 - (0.5/k - db/b)
	}
	q := 0.25 * k * k
	t, i0, i1 := 1.0, 1.0, 1.0 // i1 is I₁/(κ/2)
	for m := 1; m < 200; m++ {
		fm := float64(m)
		t *= q / (fm * fm)
		i0 += t
		i1 += t / (fm + 1)
		if t <= 1e-17*i0 {
			break
		}
	}
	return math.Log(i0) - k, 0.5 * k * i1 / i0
}

// vmAsymNorm returns B = Σ_k b_k (2k−1)!! = Σ_k ((2k−1)!!)²/(k! (8κ)^k) and
// dB/dκ, so that I₀(κ) e^{−κ} = B/√(2πκ) (the asymptotic series, all terms
// positive, summed down to 10⁻¹⁷ relative or to its smallest term).
func vmAsymNorm(k float64) (b, db float64) {
	t := 1.0
	b = 1
	for i := 1; i < vmMaxK; i++ {
		fi := float64(i)
		tn := t * (2*fi - 1) * (2*fi - 1) / (8 * fi * k)
		if tn > t {
			break
		}
		t = tn
		b += t
		db -= fi * t / k
		if t <= 1e-17*b {
			break
		}
	}
	return b, db
}

// vmExpansion returns S = Σ_k b_k M_k(a) (see VonMises.CDF) and, with
// deriv, dS/dκ at fixed y, where a = −2 sin(y/2)√κ ≥ 0 and so da/dκ =
// a/(2κ): dS/dκ = Σ_k (−(k/κ) b_k M_k(a) − (a/(2κ)) b_k a^{2k} e^{−a²/2}).
// It stops where the terms fall below 10⁻¹⁷ of the sums or start to grow.
func vmExpansion(k, a float64, deriv bool) (s, ds float64) {
	e := math.Exp(-0.5 * a * a)
	if e == 0 {
		return 0, 0 // so is every M_k (and a² might overflow)
	}
	m := math.Sqrt(0.5*math.Pi) * math.Erfc(a/math.Sqrt2) // M₀
	a2, q := a*a, a*e                                     // q = a^{2k−1} e^{−a²/2}
	ak := 0.5 * a / k
	s, ds = m, -ak*e
	b, prev := 1.0, m
	inv := 1 / (8 * k)
	for i := 1; i < vmMaxK; i++ {
		fi := float64(i)
		b *= (2*fi - 1) / fi * inv
		m = q + (2*fi-1)*m
		t := b * m
		if t > prev {
			break
		}
		prev = t
		s += t
		if !deriv {
			if t <= 1e-17*s {
				break
			}
			q *= a2
			continue
		}
		dt := -fi/k*t - ak*b*a*q
		ds += dt
		q *= a2
		if t <= 1e-17*s && math.Abs(dt) <= 1e-17*math.Abs(ds) {
			break
		}
	}
	return s, ds
}

// vmSeries holds the coefficients c_j = (I_j/I₀)/j of the series of F
// (and their κ-derivatives), j = 1 … n, for one κ below vmSeriesMax.
type vmSeries struct {
	n      int
	c, dc  [vmMaxTerms]float64
	rhoSum float64 // Σ_j I_j/I₀, for the rounding error of the sum
}

// init computes the coefficients for κ, the ratios r_j = I_j/I_{j−1} by
// the backward recurrence from r_{n+1} = 0, then their products.
func (t *vmSeries) init(k float64, deriv bool) {
	t.n = vmTerms(k)
	k = max(k, vmTiny)
	var r, dr [vmMaxTerms]float64
	var rj, drj float64
	ik := 1 / k
	for j := t.n; j >= 1; j-- {
		rj, drj = vmRatioStep(ik, float64(j), rj, drj)
		r[j-1], dr[j-1] = rj, drj
	}
	rho, drho := 1.0, 0.0
	t.rhoSum = 0
	for j := 1; j <= t.n; j++ {
		rho, drho = rho*r[j-1], drho*r[j-1]+rho*dr[j-1]
		t.rhoSum += rho
		t.c[j-1] = rho * vmRecip[j]
		if deriv {
			t.dc[j-1] = drho * vmRecip[j]
		}
	}
}

// sum returns Σ_j c_j sin(jy) (dc with deriv), the sines from the rotation
// (cos jy, sin jy) → (cos (j+1)y, sin (j+1)y), whose rounding errors grow
// only linearly in j.
func (t *vmSeries) sum(y float64, c *[vmMaxTerms]float64) float64 {
	sy, cy := math.Sincos(y)
	s, co := sy, cy
	var acc float64
	for j := range t.n {
		acc += c[j] * s
		s, co = s*cy+co*sy, co*cy-s*sy
	}
	return acc
}

// g returns F(y) − ½ = y/(2π) + (1/π) Σ_j c_j sin(jy), odd in y.
func (t *vmSeries) g(y float64) float64 { return y/(2*math.Pi) + t.sum(y, &t.c)/math.Pi }

// vmCDF returns F(y; κ) for −π < y < π and, with deriv, ∂F/∂κ.
func vmCDF(k, y float64, deriv bool) (f, df float64) {
	switch {
	case y == 0:
		return 0.5, 0 // by symmetry, for every κ
	case k < vmSeriesMax:
		var t vmSeries
		t.init(k, deriv)
		f = 0.5 + t.g(y)
		if deriv {
			df = t.sum(y, &t.dc) / math.Pi
		}
		return f, df
	}
	b, db := vmAsymNorm(k)
	fl, dfl := vmLower(k, math.Min(y, -y), b, db, deriv)
	if y > 0 {
		return 1 - fl, -dfl
	}
	return fl, dfl
}

// vmLower returns F(y) and ∂F/∂κ for y ≤ 0 by the expansion, given B and
// dB/dκ from vmAsymNorm: F = S/(√(2π) B), ∂F/∂κ = F (S'/S − B'/B).
func vmLower(k, y, b, db float64, deriv bool) (f, df float64) {
	a := -2 * math.Sin(0.5*y) * math.Sqrt(k)
	s, ds := vmExpansion(k, a, deriv)
	f = s / (math.Sqrt(2*math.Pi) * b)
	if deriv && s > 0 {
		df = f * (ds/s - db/b)
	}
	return f, df
}

// vmQuantile returns y with F(y; κ) = u, 0 < u < 1.
func vmQuantile(k, u float64) float64 {
	y, _ := vmSolve(k, u, false)
	return y
}

// vmSolve returns y = F⁻¹(u; κ), 0 < u < 1, and, with deriv, ∂y/∂κ =
// −(∂F/∂κ)/p at fixed u. For u > ½ it returns −F⁻¹(1 − u) (1 − u is exact
// there), so the lower half is all it solves.
func vmSolve(k, u float64, deriv bool) (y, dy float64) {
	switch {
	case u == 0.5:
		return 0, 0
	case u > 0.5:
		y, dy = vmSolveLower(k, 1-u, deriv)
		return -y, -dy
	}
	return vmSolveLower(k, u, deriv)
}

// vmSolveLower returns y ∈ [−π, 0] with F(y; κ) = u, 0 < u < ½, and, with
// deriv, ∂y/∂κ.
//
// Below vmSeriesMax: Halley steps on F(y) − u (F′ = p, F″ = −κ sin(y) p),
// kept inside a bracket of the root (bisecting if a step leaves it), from
// a normal approximation in s = 2 sin(y/2) (F ≈ Φ(s√κ)) for κ ≥ 1 and
// from y = 2π(u − ½)/(1 + 2A) (the series to first order, at y = 0)
// below. A Halley step below 10⁻⁷|y| is the last: the error after it is
// about K·10⁻²¹|y|³, K = (F″/(2F′))² − F‴/(6F′) ≤ κ², below 10⁻¹⁶|y|
// for κ < 20. So is one where F − u is within the rounding error of the
// series (then followed by a Newton step), and the hundredth. Usually
// that is 2 or 3 evaluations of the series.
func vmSolveLower(k, u float64, deriv bool) (y, dy float64) {
	if k >= vmSeriesMax {
		return vmSolveExpansion(k, u, deriv)
	}
	var t vmSeries
	t.init(k, deriv)
	lnorm := vmLogNorm(k)
	h := 0.5 - u // F − u = h + g(y)
	if k >= 1 {
		a := -mathext.NormalQuantile(u) / (2 * math.Sqrt(k))
		y = -2 * math.Asin(math.Min(a, 1))
	} else {
		_, a := vmBessel(k)
		y = math.Max(-math.Pi, 2*math.Pi*(u-0.5)/(1+2*a))
	}
	lo, hi := -math.Pi, 0.0
	for range 100 {
		r := h + t.g(y)
		if r == 0 {
			break
		}
		if r > 0 {
			hi = y
		} else {
			lo = y
		}
		p := math.Exp(vmLogKernel(k, y) - lnorm)
		// Rounding error of h + g: that of h and of the sum, whose terms
		// are at most |y| (I_j/I₀) in size.
		noise := 2.3e-16 * (math.Abs(h) + math.Abs(y)*(1+2*t.rhoSum)/(2*math.Pi))
		if math.Abs(r) <= 4*noise {
			if yn := y - r/p; yn >= lo && yn <= hi {
				y = yn
			}
			break
		}
		step := r / p
		step /= 1 + 0.5*math.Max(-1, math.Min(1, step*k*math.Sin(y))) // Halley
		yn := y - step
		if !(yn > lo && yn < hi) {
			y = 0.5 * (lo + hi)
			continue
		}
		y = yn
		if math.Abs(step) <= 1e-7*math.Abs(y) {
			break
		}
	}
	if deriv {
		if p := math.Exp(vmLogKernel(k, y) - lnorm); p > 0 {
			dy = -t.sum(y, &t.dc) / (math.Pi * p)
		}
	}
	return y, dy
}

// vmSolveExpansion is vmSolveLower from vmSeriesMax on: Halley steps on
// log F as a function of a = −s√κ, s = 2 sin(y/2) (log F is nearly linear
// in a in the tail, like the log of a normal tail), from a = −Φ⁻¹(u),
// inside the bracket [0, 2√κ]. With c = cos(y/2) = √(1 − a²/(4κ)), dS/da =
// −e^{−a²/2}/c and d²S/da² = −a (dS/da)(1 − 1/(4κc²)), from the binomial
// series summed in closed form. A step below 10⁻⁶ max(a, 1) is the last
// (the error after it is of order 10⁻¹⁸): usually 2 or 3 evaluations.
func vmSolveExpansion(k, u float64, deriv bool) (y, dy float64) {
	b, db := vmAsymNorm(k)
	sk := math.Sqrt(k)
	lt := math.Log(math.Sqrt(2*math.Pi) * b * u) // log S at the root
	amax := 2 * sk
	a := math.Min(-mathext.NormalQuantile(u), amax)
	lo, hi := 0.0, amax
	for range 100 {
		s, _ := vmExpansion(k, a, false)
		if !(s > 0) {
			hi = a
			a = 0.5 * (lo + hi)
			continue
		}
		r := math.Log(s) - lt
		if r == 0 {
			break
		}
		if r > 0 {
			lo = a // S decreases in a
		} else {
			hi = a
		}
		c2 := math.Max(0, 1-a*a/(4*k))
		d1 := -math.Exp(-0.5*a*a) / (math.Sqrt(c2) * s) // (log S)′ = S′/S
		d2 := -a*d1*(1-1/(4*k*c2)) - d1*d1              // (log S)″ = S″/S − (S′/S)²
		step := r / d1
		step /= 1 - 0.5*math.Max(-1, math.Min(1, step*d2/d1)) // Halley
		an := a - step
		if !(an >= lo && an <= hi) {
			a = 0.5 * (lo + hi)
			continue
		}
		a = an
		if math.Abs(step) <= 1e-6*math.Max(a, 1) {
			break
		}
	}
	y = -2 * math.Asin(math.Min(1, a/(2*sk)))
	if deriv {
		if p := math.Exp(vmLogKernel(k, y) - vmLogNorm(k)); p > 0 {
			_, df := vmLower(k, y, b, db, true)
			dy = -df / p
		}
	}
	return y, dy
}

func init() {
	Register(Family{
		Name: "von-mises",
		Doc:  "von Mises(mu, kappa) on [mu − π, mu + π); reparameterized (implicitly: −∇θF/p), quantile",
		Params: []Param{
			{Name: "mu", Default: 0, Doc: "location μ (the mode; the support is [μ − π, μ + π))"},
			{Name: "kappa", Default: 1, Doc: "concentration κ, > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewVonMises(p["mu"], p["kappa"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
