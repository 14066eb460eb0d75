package dist

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
)

// The Gamma family is reparameterized implicitly (Figurnov, Mohamed & Mnih
// 2018): x = F⁻¹(u; θ) with u uniform on (0, 1), and the derivative of x at
// fixed u is ∇θ x = −∇θ F(x; θ) / p(x; θ), computed from the derivative of
// the regularized incomplete gamma function with respect to its shape
// (gammaShapeGrad), never by differentiating the inversion. For the rate,
// x = y/β with y ~ Gamma(α, 1), so ∂x/∂β = −x/β.

// Noise draws u uniform on (0, 1) (never 0 or 1).
func (Gamma) Noise(eps []float64, rng *rand.Rand) { eps[0] = openUniform(rng) }

// Transform writes x = F⁻¹(u; α, β), the u-quantile.
func (g Gamma) Transform(x, eps []float64) { x[0] = gammaQuantile(g.Alpha, eps[0]) / g.Beta }

// PathVJP adds v (∂x/∂α, ∂x/∂β) at x = F⁻¹(u) to dst: ∂x/∂α = (1/β)
// ∂y/∂α by implicit differentiation of P(α, y) = u, y = βx, and ∂x/∂β =
// −x/β.
func (g Gamma) PathVJP(dst, eps, v []float64) {
	y := gammaQuantile(g.Alpha, eps[0])
	x := y / g.Beta
	dst[0] += v[0] * gammaShapeGrad(g.Alpha, y) / g.Beta
	dst[1] -= v[0] * x / g.Beta
}

// gammaQuantile returns y with P(α, y) = u, 0 < u < 1, without allocating:
// the starting points of Numerical Recipes' invgammp (Wilson–Hilferty for α
// > 1, the two limbs of the density for α ≤ 1), then Halley steps on P − u
// with P from gammaP, to a relative 10⁻¹⁴. Where y underflows it returns
// 0.
func gammaQuantile(a, u float64) float64 {
	lg, _ := math.Lgamma(a)
	var y float64
	if a > 1 {
		z := roughNormalQuantile(u)
		y = max(1e-3, a*math.Pow(1-1/(9*a)-z/(3*math.Sqrt(a)), 3))
	} else {
		t := 1 - a*(0.253+a*0.12)
		if u < t {
			y = math.Pow(u/t, 1/a)
		} else {
			y = 1 - math.Log(1-(u-t)/(1-t))
		}
	}
	for range 100 {
		if !(y > 0) {
			return 0
		}
		err := gammaP(a, y) - u
		pdf := math.Exp((a-1)*math.Log(y) - y - lg)
		if pdf == 0 {
			break
		}
		r := err / pdf
		step := r / (1 - 0.5*min(1, r*((a-1)/y-1))) // Halley
		ny := y - step
		if ny <= 0 {
			ny = 0.5 * y
		}
		y, step = ny, y-ny
		if math.Abs(step) < 1e-14*y {
			break
		}
	}
	return y
}

// gammaP returns the regularized lower incomplete gamma function P(α, y)
// from the series (y < α + 1) or 1 − Q from the continued fraction.
func gammaP(a, y float64) float64 {
	lg, _ := math.Lgamma(a)
	if y < a+1 {
		s, _ := gammaSeries(a, y)
		lg1, _ := math.Lgamma(a + 1)
		return math.Exp(a*math.Log(y)-y-lg1) * s
	}
	c, _ := gammaCF(a, y)
	return 1 - math.Exp(a*math.Log(y)-y-lg)*c
}

// roughNormalQuantile returns the standard normal u-quantile to about
// 3·10⁻³ (Abramowitz & Stegun 26.2.22): the starting point of the Gamma and
// Beta quantiles' Newton–Halley iterations.
func roughNormalQuantile(u float64) float64 {
	pp := u
	if u >= 0.5 {
		pp = 1 - u
	}
	t := math.Sqrt(-2 * math.Log(pp))
	z := (2.30753+t*0.27061)/(1+t*(0.99229+t*0.04481)) - t
	if u < 0.5 {
		z = -z
	}
	return z
}

// openUniform draws u uniform on the open interval (0, 1): the midpoints of
// the 2⁵³ cells of [0, 1).
func openUniform(rng *rand.Rand) float64 {
	return (float64(rng.Uint64()>>11) + 0.5) / (1 << 53)
}

// gammaShapeGrad returns ∂y/∂α at fixed u = P(α, y), the regularized lower
// incomplete gamma function: −(∂P/∂α)(α, y) / p(y; α), p the Gamma(α, 1)
// density. It is 0 at y = 0 and y = +Inf.
//
// ∂P/∂α comes from forward-mode differentiation (a value and its derivative
// carried through every operation) of the series P = y^α e^{−y}/Γ(α+1) ·
// Σ_n y^n/((α+1)…(α+n)) for y < α + 1 and of the continued fraction of
// Q = 1 − P = y^α e^{−y}/Γ(α) · CF (modified Lentz) otherwise, as
// Numerical Recipes evaluates P and Q themselves. The common factors
// y^α e^{−y} of P (or Q) and of p cancel in the ratio, which therefore
// neither underflows nor overflows where p does: with S the series and S'
// its derivative, ∂y/∂α = −(y/α)(S (log y − ψ(α+1)) + S'); with the
// continued fraction, ∂y/∂α = y (C (log y − ψ(α)) + C').
func gammaShapeGrad(a, y float64) float64 {
	switch {
	case !(y > 0) || math.IsInf(y, 1):
		return 0
	case y < a+1:
		s, ds := gammaSeries(a, y)
		return -(y / a) * (s*(math.Log(y)-mathext.Digamma(a+1)) + ds)
	default:
		c, dc := gammaCF(a, y)
		return y * (c*(math.Log(y)-mathext.Digamma(a)) + dc)
	}
}

// gammaSeries returns S = Σ_{n≥0} yⁿ/((α+1)…(α+n)) and ∂S/∂α.
func gammaSeries(a, y float64) (s, ds float64) {
	t, dt := 1.0, 0.0 // the term and its derivative
	s, ds = t, dt
	for n := 1; n < 100000; n++ {
		r := y / (a + float64(n))
		// t_n = t_{n−1} · y/(α+n): d/dα (y/(α+n)) = −r/(α+n).
		t, dt = t*r, dt*r-t*r/(a+float64(n))
		s += t
		ds += dt
		if math.Abs(t) <= 1e-17*math.Abs(s) && math.Abs(dt) <= 1e-17*math.Abs(ds) {
			break
		}
	}
	return s, ds
}

// gammaCF returns the continued fraction C of Q(α, y) = y^α e^{−y} C /
// Γ(α), C = 1/(y+1−α− 1(1−α)/(y+3−α− 2(2−α)/(y+5−α− …))), and ∂C/∂α, by
// the modified Lentz method carried out on value–derivative pairs.
func gammaCF(a, y float64) (c, dc float64) {
	const tiny = 1e-300
	// b_i = y + 2i + 1 − α (∂b/∂α = −1); a_i = −i(i − α) (∂a_i/∂α = i).
	b, db := y+1-a, -1.0
	cc, dcc := 1/tiny, 0.0 // Lentz's C_i
	d, dd := 1/b, db/(-b*b)
	h, dh := d, dd
	for i := 1; i < 100000; i++ {
		an, dan := -float64(i)*(float64(i)-a), float64(i)
		b += 2
		// d = 1/(an d + b)
		den, dden := an*d+b, dan*d+an*dd+db
		if math.Abs(den) < tiny {
			den, dden = tiny, 0
		}
		d, dd = 1/den, -dden/(den*den)
		// cc = b + an/cc
		cc, dcc = b+an/cc, db+(dan*cc-an*dcc)/(cc*cc)
		if math.Abs(cc) < tiny {
			cc, dcc = tiny, 0
		}
		del, ddel := d*cc, dd*cc+d*dcc
		h, dh = h*del, dh*del+h*ddel
		if math.Abs(del-1) <= 1e-16 && math.Abs(ddel) <= 1e-16*math.Abs(dh/h) {
			break
		}
	}
	return h, dh
}
