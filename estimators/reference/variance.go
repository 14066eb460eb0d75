package reference

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// stdRange is the half-width, in standard units, of the integration ranges
// of PerSampleVariance: the standard normal, Rayleigh and double-sided
// Maxwell densities are below 10⁻⁴⁰ beyond it.
const stdRange = 14.0

// PerSampleEstimators lists the estimators PerSampleVariance knows, in the
// order of Mohamed et al. (2020), Figs 2–3.
var PerSampleEstimators = []string{"score", "score+optimal", "pathwise", "mvd"}

// PerSampleVariance returns the exact variances of one-sample estimates of
// ∂/∂μ and ∂/∂σ of E_{N(μ,σ²)}[f] by the named estimator, computed by
// adaptive Gauss–Legendre quadrature (relative tolerance DefaultTol) of the
// estimator's centred second moment. The estimators are:
//
//   - "score": f(x) s_j(x), with s_μ = z/σ, s_σ = (z² − 1)/σ, z = (x − μ)/σ;
//   - "score+optimal": (f(x) − b_j) s_j(x) with the per-component
//     variance-minimizing constant b_j = E[f s_j²]/E[s_j²] (assumed known
//     exactly, as in the paper's figures);
//   - "pathwise": f'(x) ∂x/∂θ_j with x = μ + σε, ∂x/∂μ = 1, ∂x/∂σ = ε (f
//     must be objective.Differentiable);
//   - "mvd": the measure-valued derivative c_j (f(x⁺) − f(x⁻)) of
//     dist.Normal: for μ, c = 1/(σ√(2π)) and x± = μ ± σw with w Rayleigh;
//     for σ, c = 1/σ, x⁺ = μ + σm with m double-sided Maxwell, and x⁻ ~ N(μ,
//     σ²). Coupled, x⁺ and x⁻ share w, or x⁻ = μ + σmu with u ~ U(0, 1);
//     uncoupled, they are independent.
//
// coupled matters only for "mvd". Only the scalar g(x) of f (f evaluated at
// 1-element slices) is used. PerSampleVariance returns an error for an
// unknown estimator, invalid p, a non-differentiable f with "pathwise", or a
// quadrature failure (for example f not finite, or too irregular to
// converge).
func PerSampleVariance(estimator string, p dist.Normal, f objective.Objective, coupled bool) (vmu, vsigma float64, err error) {
	if err := p.Validate(); err != nil {
		return 0, 0, fmt.Errorf("reference: per-sample variance: %w", err)
	}
	v := newVarianceProblem(p, f)
	switch estimator {
	case "score":
		vmu, vsigma, err = v.score(false)
	case "score+optimal":
		vmu, vsigma, err = v.score(true)
	case "pathwise":
		df, ok := f.(objective.Differentiable)
		if !ok {
			return 0, 0, fmt.Errorf("reference: per-sample variance: %w: objective %s is not differentiable", ErrNotApplicable, f.Name())
		}
		vmu, vsigma, err = v.pathwise(df)
	case "mvd":
		vmu, vsigma, err = v.mvd(coupled)
	default:
		return 0, 0, fmt.Errorf("reference: per-sample variance: unknown estimator %q (known: score, score+optimal, pathwise, mvd)", estimator)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reference: per-sample variance of %s for %s under N(%g, %g²): %w", estimator, f.Name(), p.Mu, p.Sigma, err)
	}
	return vmu, vsigma, nil
}

// varianceProblem holds a normal family, an objective and scratch space.
type varianceProblem struct {
	mu, sigma float64
	f         objective.Objective
	x         []float64
	breaks    []float64
	tol       float64
	// atol is the absolute tolerance of the centred second moments, set
	// to tol² times their natural scale (E[f²]/σ², or E[f'²] for
	// pathwise) so that an exactly zero variance, computed from rounding
	// noise, still converges.
	atol float64
}

func newVarianceProblem(p dist.Normal, f objective.Objective) *varianceProblem {
	v := &varianceProblem{mu: p.Mu, sigma: p.Sigma, f: f, x: make([]float64, 1), tol: DefaultTol}
	if b, ok := f.(objective.Breakpointer); ok {
		v.breaks = b.Breakpoints()
	}
	return v
}

// at returns f(μ + σt).
func (v *varianceProblem) at(t float64) float64 {
	v.x[0] = v.mu + v.sigma*t
	return v.f.Value(v.x)
}

// stdBreaks returns the breakpoints of f in standard units, t = (b − μ)/σ,
// and, with mirror, also their negatives.
func (v *varianceProblem) stdBreaks(mirror bool) []float64 {
	var t []float64
	for _, b := range v.breaks {
		z := (b - v.mu) / v.sigma
		t = append(t, z)
		if mirror {
			t = append(t, -z)
		}
	}
	return t
}

// integrate integrates the k components of h over [lo, hi], with panel
// edges at the standardized breakpoints (mirrored if mirror is set).
func (v *varianceProblem) integrate(k int, h integrand, lo, hi float64, mirror bool) ([]float64, error) {
	br := v.stdBreaks(mirror)
	val, _, _, err := adaptive(k, h, func(n int) []float64 { return uniformEdges(lo, hi, n, br) }, v.tol, v.atol)
	return val, err
}

// phi is the standard normal density.
func phi(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }

// rayleigh is the Rayleigh density w exp(−w²/2) on w ≥ 0.
func rayleigh(w float64) float64 { return w * math.Exp(-w*w/2) }

// maxwell is the double-sided Maxwell density m² φ(m).
func maxwell(m float64) float64 { return m * m * phi(m) }

// score returns the variances of the score-function estimator, with the
// optimal constant baselines if optimal is set.
func (v *varianceProblem) score(optimal bool) (vmu, vsigma float64, err error) {
	s := v.sigma
	// Pass 1: g_j = E[f s_j] and E[f s_j²].
	m1, err := v.integrate(5, func(o []float64, z float64) {
		w := phi(z)
		fz := v.at(z)
		sm, ss := z/s, (z*z-1)/s
		o[0], o[1] = w*fz*sm, w*fz*ss
		o[2], o[3] = w*fz*sm*sm, w*fz*ss*ss
		o[4] = w * fz * fz
	}, -stdRange, stdRange, false)
	if err != nil {
		return 0, 0, err
	}
	v.atol = v.tol * v.tol * m1[4] / (s * s)
	gm, gs := m1[0], m1[1]
	var bm, bs float64
	if optimal {
		// E[s_μ²] = 1/σ², E[s_σ²] = 2/σ².
		bm, bs = m1[2]*s*s, m1[3]*s*s/2
	}
	// Pass 2: E[((f − b_j) s_j − g_j)²].
	m2, err := v.integrate(2, func(o []float64, z float64) {
		w := phi(z)
		fz := v.at(z)
		em := (fz-bm)*z/s - gm
		es := (fz-bs)*(z*z-1)/s - gs
		o[0], o[1] = w*em*em, w*es*es
	}, -stdRange, stdRange, false)
	if err != nil {
		return 0, 0, err
	}
	return m2[0], m2[1], nil
}

// pathwise returns the variances of the pathwise estimator.
func (v *varianceProblem) pathwise(df objective.Differentiable) (vmu, vsigma float64, err error) {
	g := make([]float64, 1)
	fprime := func(z float64) float64 {
		v.x[0] = v.mu + v.sigma*z
		df.Grad(g, v.x)
		return g[0]
	}
	m1, err := v.integrate(3, func(o []float64, z float64) {
		w, d := phi(z), fprime(z)
		o[0], o[1], o[2] = w*d, w*d*z, w*d*d
	}, -stdRange, stdRange, false)
	if err != nil {
		return 0, 0, err
	}
	v.atol = v.tol * v.tol * m1[2]
	m2, err := v.integrate(2, func(o []float64, z float64) {
		w, d := phi(z), fprime(z)
		em, es := d-m1[0], d*z-m1[1]
		o[0], o[1] = w*em*em, w*es*es
	}, -stdRange, stdRange, false)
	if err != nil {
		return 0, 0, err
	}
	return m2[0], m2[1], nil
}

// mvd returns the variances of the measure-valued estimator.
func (v *varianceProblem) mvd(coupled bool) (vmu, vsigma float64, err error) {
	cm := 1 / (v.sigma * math.Sqrt(2*math.Pi))
	cs := 1 / v.sigma

	// Means: E f(μ+σw), E f(μ−σw) over Rayleigh w; E f(μ+σm) over Maxwell
	// m; E f(μ+σz) over normal z.
	ray, err := v.integrate(2, func(o []float64, w float64) {
		r := rayleigh(w)
		o[0], o[1] = r*v.at(w), r*v.at(-w)
	}, 0, stdRange, true)
	if err != nil {
		return 0, 0, err
	}
	sym, err := v.integrate(3, func(o []float64, t float64) {
		ft := v.at(t)
		o[0], o[1], o[2] = maxwell(t)*ft, phi(t)*ft, phi(t)*ft*ft
	}, -stdRange, stdRange, false)
	if err != nil {
		return 0, 0, err
	}
	v.atol = v.tol * v.tol * sym[2] / (v.sigma * v.sigma)
	ep, em, eMax, eNorm := ray[0], ray[1], sym[0], sym[1]

	// Centred second moments.
	rayVar, err := v.integrate(3, func(o []float64, w float64) {
		r := rayleigh(w)
		fp, fm := v.at(w), v.at(-w)
		d := cm*(fp-fm) - cm*(ep-em)
		o[0], o[1], o[2] = r*d*d, r*(fp-ep)*(fp-ep), r*(fm-em)*(fm-em)
	}, 0, stdRange, true)
	if err != nil {
		return 0, 0, err
	}
	symVar, err := v.integrate(2, func(o []float64, t float64) {
		ft := v.at(t)
		o[0], o[1] = maxwell(t)*(ft-eMax)*(ft-eMax), phi(t)*(ft-eNorm)*(ft-eNorm)
	}, -stdRange, stdRange, false)
	if err != nil {
		return 0, 0, err
	}
	if !coupled {
		vmu = cm * cm * (rayVar[1] + rayVar[2])
		vsigma = cs * cs * (symVar[0] + symVar[1])
		return vmu, vsigma, nil
	}
	vmu = rayVar[0]
	// Coupled σ: Var = c² (Var f(x⁺) + Var f(x⁻) − 2 Cov(f(x⁺), f(x⁻))),
	// with Cov = E[f̃(x⁺) f̃(x⁻)] for f̃ = f − E_N[f].
	cov := 0.0
	for _, sign := range []float64{1, -1} {
		c, err := v.triangle(sign, eNorm)
		if err != nil {
			return 0, 0, err
		}
		cov += c
	}
	vsigma = math.Max(0, cs*cs*(symVar[0]+symVar[1]-2*cov))
	return vmu, vsigma, nil
}

// triangle returns ∫₀^L dm f̃(μ + sσm) m φ(m) ∫₀^m f̃(μ + sσy) dy for
// s = ±1 and f̃ = f − shift: the half of E[f̃(x⁺) f̃(x⁻)] where the
// coupled Maxwell variable m has sign s, since (m, y = mu) has density
// |m| φ(m) on 0 < sy < sm.
//
// The double integral is split into panels: off-diagonal panel pairs factor
// into products of 1-D Gauss–Legendre sums, and each diagonal triangle takes
// a nested rule. Panels double until the result changes by at most the
// tolerance times the same integral of absolute values.
func (v *varianceProblem) triangle(s, shift float64) (float64, error) {
	F := func(y float64) float64 { return v.at(s*y) - shift }
	G := func(m float64) float64 { return F(m) * m * phi(m) }
	var br []float64
	for _, t := range v.stdBreaks(false) {
		br = append(br, s*t)
	}
	compute := func(n int) (val, abs float64) {
		e := uniformEdges(0, stdRange, n, br)
		np := len(e) - 1
		fi, fa := make([]float64, np), make([]float64, np)
		gi, ga := make([]float64, np), make([]float64, np)
		for i := range np {
			a, b := e[i], e[i+1]
			half, mid := (b-a)/2, (a+b)/2
			for k, x := range glX {
				w := glW[k] * half
				m := mid + half*x
				fv, gv := F(m), G(m)
				fi[i] += w * fv
				fa[i] += w * math.Abs(fv)
				gi[i] += w * gv
				ga[i] += w * math.Abs(gv)
				// Diagonal triangle: ∫_a^m F.
				ih := (m - a) / 2
				inner, innerAbs := 0.0, 0.0
				for l, xl := range glX {
					fy := F(a + ih*(1+xl))
					inner += glW[l] * ih * fy
					innerAbs += glW[l] * ih * math.Abs(fy)
				}
				val += w * gv * inner
				abs += w * math.Abs(gv) * innerAbs
			}
		}
		// Off-diagonal: Σ_i G_i Σ_{j<i} F_j.
		sumF, sumFa := 0.0, 0.0
		for i := range np {
			val += gi[i] * sumF
			abs += ga[i] * sumFa
			sumF += fi[i]
			sumFa += fa[i]
		}
		return val, abs
	}
	prev, _ := compute(minPanels)
	for n := 2 * minPanels; n <= maxPanels/8; n *= 2 {
		val, abs := compute(n)
		if math.IsNaN(val) || math.IsInf(val, 0) {
			return 0, fmt.Errorf("coupled covariance is %v", val)
		}
		if math.Abs(val-prev) <= v.tol*abs+v.atol*v.sigma*v.sigma {
			return val, nil
		}
		prev = val
	}
	return 0, fmt.Errorf("%w: coupled covariance with %d panels", errNoConvergence, maxPanels/8)
}
