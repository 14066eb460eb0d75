package dist

import (
	"math"
	"math/rand/v2"
)

// StudentT is the Student-t distribution with DF degrees of freedom ν,
// location Mu and scale Scale s, density
//
//	p(x) = (1 + t²/ν)^{−(ν+1)/2} / (s √ν B(ν/2, ½)),  t = (x − μ)/s,
//
// with parameters θ = (df, mu, scale), in that order.
//
// It is reparameterized implicitly (Figurnov, Mohamed & Mnih 2018, as Gamma
// and Beta are): x = μ + s t with t = F_ν⁻¹(u) the standard t quantile of
// u uniform on (0, 1), so ∂x/∂μ = 1, ∂x/∂s = t and ∂x/∂ν = −s (∂F_ν(t)/∂ν)
// / p_ν(t), from the derivative of the regularized incomplete beta function
// (see PathVJP). Over ν from 0.1 to 1000 and levels u from 10⁻⁶ to 1 −
// 10⁻⁶ the tests (student_t_test.go) check it against finite differences
// and quadrature to 10⁻⁶ relative and against 50-digit arithmetic to
// 10⁻¹⁰ (it is good to about 10⁻¹²). Larger ν are accepted, but the
// cancellation in ∂x/∂ν = O(ν⁻²) grows: about 10⁻⁹ relative at ν = 10⁴ and
// a few 10⁻⁶ at ν = 10⁶.
//
// StudentT deliberately does not implement Moments: the mean exists only
// for ν > 1 and the variance only for ν > 2, and the Moments interface
// (Mean, Variance, MomentsVJP without an error) cannot say that they do not
// exist, while an estimator that needs them (the delta-method control
// variate) finds them by a type assertion on the family, whatever θ. For
// the record, E x = μ (ν > 1) and Var x = s² ν/(ν − 2) (ν > 2).
//
// For ν ≲ 0.06 the tails are so heavy that a draw can exceed the float64
// range (with probability about 3·10⁻¹⁶ per draw at ν = 0.05, 10⁻³¹ at
// ν = 0.1): Rand and Transform then return ±Inf, and PathVJP adds nothing
// for such a draw.
type StudentT struct {
	DF    float64
	Mu    float64
	Scale float64
}

var studentTParams = []string{"df", "mu", "scale"}

// NewStudentT returns the Student-t distribution with df degrees of
// freedom, location mu and scale scale, or an error (wrapping ErrParam) if
// df or scale is not finite and positive or mu is not finite.
func NewStudentT(df, mu, scale float64) (StudentT, error) {
	d := StudentT{DF: df, Mu: mu, Scale: scale}
	return d, d.Validate()
}

// Validate returns an error if the parameters are invalid.
func (d StudentT) Validate() error {
	if err := checkPositive("student-t", "df", d.DF); err != nil {
		return err
	}
	if err := checkFinite("student-t", "mu", d.Mu); err != nil {
		return err
	}
	return checkPositive("student-t", "scale", d.Scale)
}

// Name returns "student-t".
func (StudentT) Name() string { return "student-t" }

// Dim returns 1.
func (StudentT) Dim() int { return 1 }

// NumParams returns 3.
func (StudentT) NumParams() int { return 3 }

// ParamNames returns ["df", "mu", "scale"].
func (StudentT) ParamNames() []string { return studentTParams }

// Params writes (df, mu, scale) into dst and returns it.
func (d StudentT) Params(dst []float64) []float64 {
	dst = useDst("StudentT.Params", dst, 3)
	dst[0], dst[1], dst[2] = d.DF, d.Mu, d.Scale
	return dst
}

// WithParams returns the Student-t distribution with θ = theta = (df, mu,
// scale).
func (StudentT) WithParams(theta []float64) (Distribution, error) {
	checkLen("StudentT.WithParams", theta, 3)
	m, err := NewStudentT(theta[0], theta[1], theta[2])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ StudentT(DF, Mu, Scale) exactly, by the definition t =
// Z/√(V/ν) with Z ~ N(0, 1) and V = 2G ~ χ²_ν, G ~ Gamma(ν/2, 1) drawn by
// Marsaglia and Tsang's (2000) method in log space (logGammaRand), so that
// t = Z exp(½(log(ν/2) − log G)) does not overflow in the intermediate
// steps when G is tiny (small ν); x = μ + s t.
func (d StudentT) Rand(x []float64, rng *rand.Rand) {
	z := rng.NormFloat64()
	lg := logGammaRand(d.DF/2, rng)
	x[0] = d.Mu + d.Scale*(z*math.Exp(0.5*(math.Log(d.DF/2)-lg)))
}

// LogProb returns −((ν+1)/2) log(1 + t²/ν) − log(s √ν B(ν/2, ½)), t =
// (x − μ)/s (−Inf at x = ±Inf).
func (d StudentT) LogProb(x []float64) float64 {
	t := (x[0] - d.Mu) / d.Scale
	_, _, l := studentTZY(d.DF, t)
	return studentTLogNorm(d.DF) - math.Log(d.Scale) - 0.5*(d.DF+1)*l
}

// studentTLogNorm returns −log(√ν B(ν/2, ½)), the log-density of the
// standard t at 0, with log B from lbetaPrecise (which keeps its digits
// when ν/2 ≫ ½).
func studentTLogNorm(nu float64) float64 {
	return -0.5*math.Log(nu) - lbetaPrecise(0.5*nu, 0.5)
}

// studentTZY returns z = ν/(ν + t²), y = t²/(ν + t²) = 1 − z, each to full
// relative precision, and l = log(1 + t²/ν) = −log z, without overflow for
// large |t| (where z underflows to 0, y = 1 and l = 2 log(|t|/√ν)).
func studentTZY(nu, t float64) (z, y, l float64) {
	r2 := t * t / nu
	if r2 < 1e300 {
		return 1 / (1 + r2), r2 / (1 + r2), math.Log1p(r2)
	}
	// 1 + r2 = r2 in float64; (math.Inf: l = +Inf.)
	l = 2 * (math.Log(math.Abs(t)) - 0.5*math.Log(nu))
	return math.Exp(-l), 1, l
}

// Score writes ∇θ log p(x) into dst: with t = (x − μ)/s, y = t²/(ν + t²)
// and ψ the digamma function,
//
//	∂/∂ν = ½ (ψ((ν+1)/2) − ψ(ν/2) − 1/ν − log(1 + t²/ν) + (ν+1) y/ν),
//	∂/∂μ = (ν+1) t/(s (ν + t²)),
//	∂/∂s = ((ν+1) y − 1)/s.
//
// ψ((ν+1)/2) − ψ(ν/2) comes from digammaDiff, which does not cancel at
// large ν.
func (d StudentT) Score(dst, x []float64) {
	nu, s := d.DF, d.Scale
	t := (x[0] - d.Mu) / s
	_, y, l := studentTZY(nu, t)
	dst[0] = 0.5 * (digammaDiff(0.5*nu, 0.5) - 1/nu - l + (nu+1)*y/nu)
	dst[1] = (nu + 1) / (s * (nu/t + t)) // = (ν+1) t/(s(ν+t²)); 0 at t = 0
	dst[2] = ((nu+1)*y - 1) / s
}

// Quantile returns the p-quantile μ + s F_ν⁻¹(p) (−Inf at p = 0, +Inf at
// p = 1). It panics if p is outside [0, 1].
func (d StudentT) Quantile(p float64) float64 {
	checkProb("StudentT.Quantile", p)
	t, _, _ := studentTQuantile(d.DF, p)
	return d.Mu + d.Scale*t
}

// CDF returns P(x' ≤ x) = F_ν((x − μ)/s), computed as the smaller tail
// ½ I_z(ν/2, ½), z = ν/(ν + t²), subtracted from 1 for t > 0, with I from
// Numerical Recipes' continued fraction (betaCF) and lbetaPrecise.
func (d StudentT) CDF(x float64) float64 {
	t := (x - d.Mu) / d.Scale
	switch {
	case math.IsNaN(t):
		return math.NaN()
	case t == 0:
		return 0.5
	}
	tail := studentTTail(d.DF, t)
	if t > 0 {
		return 1 - tail
	}
	return tail
}

// studentTTail returns the tail P(T ≤ −|t|) = ½ I_z(ν/2, ½) of the
// standard t, to nearly full relative precision.
func studentTTail(nu, t float64) float64 {
	a := 0.5 * nu
	z, y, l := studentTZY(nu, t)
	lz, ly := -l, 0.0
	if z > 0 {
		lz, ly = betaLogs(z, y)
	}
	lp := a*lz + 0.5*ly - lbetaPrecise(a, 0.5) // log z^a y^½/B(a, ½)
	if betaLowerSide(a, 0.5, z) {
		return 0.5 * math.Exp(lp) * betaCF(a, 0.5, z) / a
	}
	return 0.5 - math.Exp(lp)*betaCF(0.5, a, y) // ½(1 − I_y(½, a))
}

// studentTTailLogZ is the log z = log(ν/(ν + t²)) below which the quantile
// and its derivative use the leading term of the incomplete beta series
// B_z(a, b) = (z^a/a) ₂F₁(a, 1 − b; a + 1; z) (DLMF §8.17(ii)), that is
// I_z(a, ½) = z^a/(a B(a, ½)) (1 + O(z)): below z = 10⁻³⁰ the omitted
// terms are smaller than 10⁻³⁰ relative.
var studentTTailLogZ = math.Log(1e-30)

// studentTQuantile returns the standard t quantile t = F_ν⁻¹(u), with z =
// ν/(ν + t²) and y = t²/(ν + t²) to full relative precision (z may
// underflow to 0 in the far tails, where |t| > 10¹⁵⁰ or so): t = 0 at u =
// ½, −Inf at u ≤ 0 and +Inf at u ≥ 1.
//
// With p = min(u, 1 − u) (exact), the tail P(T ≤ −|t|) = ½ I_z(ν/2, ½) = p
// is solved for z by betaQuantile(ν/2, ½, 2p), which returns z and y = 1 − z
// both accurately, so t = ±√(ν y/z) keeps its precision near the median
// (small y) and in the tails (small z). Where the leading term of the
// series puts z below 10⁻³⁰ (studentTTailLogZ), log z = (log 2p + log a +
// log B(a, ½))/a, a = ν/2, is used directly: it is exact to 10⁻³⁰, costs
// no iteration and, unlike betaQuantile, does not underflow when z < 10⁻³⁰⁸
// (ν ≲ 0.1 at the extreme levels); t = ±exp(½(log ν − log z)) is then
// ±Inf only where the true quantile exceeds the float64 range.
func studentTQuantile(nu, u float64) (t, z, y float64) {
	switch {
	case u == 0.5:
		return 0, 1, 0
	case !(u > 0): // (NaN too)
		if math.IsNaN(u) {
			return u, u, u
		}
		return math.Inf(-1), 0, 1
	case !(u < 1):
		return math.Inf(1), 0, 1
	}
	p, sign := u, -1.0
	if u > 0.5 {
		p, sign = 1-u, 1
	}
	a := 0.5 * nu
	if lz := (math.Log(2*p) + math.Log(a) + lbetaPrecise(a, 0.5)) / a; lz < studentTTailLogZ {
		return sign * math.Exp(0.5*(math.Log(nu)-lz)), math.Exp(lz), 1
	}
	z, y = betaQuantile(a, 0.5, 2*p)
	return sign * math.Sqrt(nu*y/z), z, y
}

// studentTLogGrad returns g = ∂(log |t|)/∂ν at fixed u = F_ν(t), so that
// ∂t/∂ν = t g, for t ≠ 0 finite, given z = ν/(ν + t²) and y = 1 − z.
//
// For t > 0, F_ν(t) = 1 − ½ I_z(ν/2, ½); differentiating at fixed t, with
// ∂z/∂ν = z y/ν and the beta density p_B of I_z(·; a, ½),
// ∂F/∂ν = −½ p_B(z) (½ ∂I/∂a / p_B + z y/ν), and the t density is
// p_ν(t) = ∂F/∂t = p_B(z) z y/t (∂z/∂t = −2 z y/t). The implicit function
// theorem (Figurnov et al. 2018) then gives
//
//	∂t/∂ν = −(∂F/∂ν)/p_ν(t) = t ((∂I/∂a / p_B)/(4 z y) + 1/(2ν)),
//
// which holds for t < 0 as well (F_ν(t) = ½ I_z there, and both sides
// change sign). The ratio (∂I/∂a)/p_B — in which the factor z^a y^½/B
// common to ∂I/∂a and p_B cancels, so neither underflows — comes from
// betaIncGradRatio, the forward-mode derivative of the incomplete beta
// continued fraction (Boik & Robison-Cox 1998; see beta_implicit.go). At
// large ν the two terms nearly cancel (g = O(ν⁻²) from terms O(ν⁻¹)), which
// costs digits: against 50-digit arithmetic g is good to about 10⁻¹² at
// ν = 10³, 10⁻⁹ at 10⁴ and a few 10⁻⁶ at 10⁶.
//
// Where z < 10⁻³⁰, the leading term a log z − log a − log B(a, ½) = log 2p
// (relative error O(z)) differentiates at fixed p, with ∂(log z)/∂ν = 1/ν −
// 2g + O(z), to
//
//	g = (½ log z + ½ − 1/ν + ½ (ψ(a + ½) − ψ(a)))/ν,  a = ν/2,
//
// with log z = log ν − 2 log |t| + O(z), which stays finite where z
// underflows. Likewise where y < 10⁻³⁰, near the median: F_ν(t) = ½ +
// p_ν(0) t (1 + O(t²)) gives g = −∂(log p_ν(0))/∂ν = 1/(2ν) − ½ (ψ(a + ½)
// − ψ(a)) up to O(y), where the ratio would lose y to underflow.
func studentTLogGrad(nu, t, z, y float64) float64 {
	switch {
	case z < 1e-30:
		lz := math.Log(nu) - 2*math.Log(math.Abs(t))
		return (0.5*lz + 0.5 - 1/nu + 0.5*digammaDiff(0.5*nu, 0.5)) / nu
	case y < 1e-30:
		return 0.5/nu - 0.5*digammaDiff(0.5*nu, 0.5)
	}
	ra, _ := betaIncGradRatio(0.5*nu, 0.5, z, y)
	return ra/z/y/4 + 0.5/nu
}

// Noise draws u uniform on (0, 1) (never 0 or 1).
func (StudentT) Noise(eps []float64, rng *rand.Rand) { eps[0] = openUniform(rng) }

// NoiseFromUniform copies u: the StudentT family's noise is the uniform
// itself (see UniformNoise).
func (StudentT) NoiseFromUniform(eps, u []float64) { copy(eps, u) }

// Transform writes x = μ + s F_ν⁻¹(u), the u-quantile.
func (d StudentT) Transform(x, eps []float64) {
	t, _, _ := studentTQuantile(d.DF, eps[0])
	x[0] = d.Mu + d.Scale*t
}

// PathVJP adds v (∂x/∂ν, ∂x/∂μ, ∂x/∂s) = v (s t g, 1, t) at x = μ + s t,
// t = F_ν⁻¹(u), to dst, g = ∂(log|t|)/∂ν by implicit differentiation of
// F_ν(t) = u (studentTLogGrad). Where s t is infinite (u = 0 or 1, or a
// quantile beyond the float64 range) it adds nothing. It allocates nothing.
func (d StudentT) PathVJP(dst, eps, v []float64) {
	t, z, y := studentTQuantile(d.DF, eps[0])
	st := d.Scale * t
	switch {
	case math.IsInf(st, 0) || math.IsNaN(st):
		return
	case t != 0:
		dst[0] += v[0] * st * studentTLogGrad(d.DF, t, z, y)
	}
	dst[1] += v[0]
	dst[2] += v[0] * t
}

// CDFGrad writes ∇θ F(x; θ) = (∂F/∂ν, ∂F/∂μ, ∂F/∂s) into dst (len 3): with
// t = (x − μ)/s and p the density at x, ∂F/∂μ = −p, ∂F/∂s = −p t and
// ∂F/∂ν = −p s t g, g = ∂(log|t|)/∂ν at fixed F (see studentTLogGrad); the
// last is formed as −exp(log p + log|s t|) sign(t) g, which does not
// underflow in the far tails where p does. It is 0 at x = ±Inf.
func (d StudentT) CDFGrad(dst []float64, x float64) {
	checkLen("StudentT.CDFGrad", dst, 3)
	nu, s := d.DF, d.Scale
	t := (x - d.Mu) / s
	if math.IsInf(t, 0) {
		dst[0], dst[1], dst[2] = 0, 0, 0
		return
	}
	z, y, l := studentTZY(nu, t)
	lp := studentTLogNorm(nu) - math.Log(s) - 0.5*(nu+1)*l
	p := math.Exp(lp)
	dst[0] = 0
	if t != 0 {
		dst[0] = -math.Copysign(math.Exp(lp+math.Log(s)+math.Log(math.Abs(t))), t) * studentTLogGrad(nu, t, z, y)
	}
	dst[1] = -p
	dst[2] = -p * t
}

func init() {
	Register(Family{
		Name: "student-t",
		Doc:  "Student-t(df ν, mu location, scale s); reparameterized (implicitly: −∇θF/p), quantile; no moments (no variance for ν ≤ 2)",
		Params: []Param{
			{Name: "df", Default: 3, Doc: "degrees of freedom ν, > 0 (gradients checked for 0.1 ≤ ν ≤ 1000)"},
			{Name: "mu", Default: 0, Doc: "location μ: the median (and the mean when ν > 1)"},
			{Name: "scale", Default: 1, Doc: "scale s, > 0 (the standard deviation is s√(ν/(ν−2)) when ν > 2)"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewStudentT(p["df"], p["mu"], p["scale"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
