package dist

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mathext"
)

// Dirichlet is the Dirichlet distribution of dimension K ≥ 2 with
// concentrations Alpha[0], …, Alpha[K−1], density
//
//	Γ(α₀)/Π_k Γ(α_k) · Π_k x_k^{α_k − 1},  α₀ = Σ_k α_k,
//
// on the simplex {x : x_k ≥ 0, Σ_k x_k = 1} (with respect to Lebesgue
// measure on the first K − 1 coordinates), with parameters θ = (alpha[0],
// …, alpha[K−1]). An outcome x holds all K coordinates, so Dim is K; the
// coordinates are dependent (they sum to 1, Cov[x_i, x_j] = −α_i α_j /
// (α₀²(α₀+1)) for i ≠ j). Objectives that make sense on it are the
// smooth functions of x on the simplex, e.g. the quadratic Σ (x_k − c)²
// (whose gradient under p is that of E Σ x_k², since Σ x_k = 1), cos,
// gaussian or quartic; a linear Σ a x_k is constant there (gradient 0).
//
// It is reparameterized implicitly through the Gamma construction: x_k =
// G_k / Σ_j G_j with G_k = P⁻¹(α_k, u_k) ~ Gamma(α_k, 1), u uniform on
// (0, 1)^K, and ∂G_k/∂α_k = −(∂P/∂α)/p from the Gamma family's implicit
// gradient (Figurnov, Mohamed & Mnih 2018; see the comment above
// dirichletTailLog).
// The G_k are carried as logarithms, so that a tiny concentration (where
// G_k underflows, as Gamma's draws do) still gives a finite x and a finite
// gradient. Its per-coordinate mean and variance are known in closed form
// (Moments). Where α_k is so small that x_k underflows to 0 (for α_k =
// 0.01 with probability about 6·10⁻⁴ per coordinate, below 10⁻¹⁵ for α_k ≥
// 0.05), LogProb is +Inf and Score is −Inf in that coordinate, as for
// Gamma; Transform and PathVJP stay finite.
//
// The derivatives are accurate to about 10⁻⁹ relative (tested to 10⁻⁶
// against finite differences and quadrature) for every α_k in [0.01, 100];
// other positive values are accepted and use the same formulas.
type Dirichlet struct {
	Alpha []float64
}

// NewDirichlet returns the Dirichlet distribution with concentrations
// alpha, which it copies, or an error if there are fewer than 2 or one is
// not finite and positive.
func NewDirichlet(alpha []float64) (Dirichlet, error) {
	d := Dirichlet{Alpha: append([]float64(nil), alpha...)}
	return d, d.Validate()
}

// Validate returns an error if the parameters are invalid.
func (d Dirichlet) Validate() error {
	if len(d.Alpha) < 2 {
		return fmt.Errorf("%w: dirichlet: len(alpha) = %d, want ≥ 2", ErrParam, len(d.Alpha))
	}
	for k, a := range d.Alpha {
		if err := checkPositive("dirichlet", fmt.Sprintf("alpha[%d]", k), a); err != nil {
			return err
		}
	}
	return nil
}

// Name returns "dirichlet".
func (Dirichlet) Name() string { return "dirichlet" }

// Dim returns K = len(Alpha): an outcome holds every coordinate, the last
// included (they sum to 1).
func (d Dirichlet) Dim() int { return len(d.Alpha) }

// NumParams returns K.
func (d Dirichlet) NumParams() int { return len(d.Alpha) }

// ParamNames returns ["alpha[0]", …, "alpha[K−1]"], in a new slice.
func (d Dirichlet) ParamNames() []string { return paramNames("alpha", len(d.Alpha)) }

// Params writes alpha into dst and returns it.
func (d Dirichlet) Params(dst []float64) []float64 {
	dst = useDst("Dirichlet.Params", dst, len(d.Alpha))
	copy(dst, d.Alpha)
	return dst
}

// WithParams returns the Dirichlet distribution with θ = theta (copied).
func (d Dirichlet) WithParams(theta []float64) (Distribution, error) {
	checkLen("Dirichlet.WithParams", theta, len(d.Alpha))
	n, err := NewDirichlet(theta)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Rand draws x ~ Dirichlet(Alpha) into x (len K) exactly: log G_k with G_k
// ~ Gamma(α_k, 1) by the method of Marsaglia and Tsang (2000), in log
// space for α_k < 1 (logGammaRand), then x_k = G_k/Σ_j G_j normalized in
// log space (x_k = exp(log G_k − log Σ_j G_j)), which cannot give 0/0.
func (d Dirichlet) Rand(x []float64, rng *rand.Rand) {
	checkLen("Dirichlet.Rand", x, len(d.Alpha))
	for k, a := range d.Alpha {
		x[k] = logGammaRand(a, rng)
	}
	softmaxInPlace(x)
}

// softmaxInPlace replaces the logarithms l in x by exp(l_k)/Σ_j exp(l_j).
func softmaxInPlace(x []float64) {
	m := math.Inf(-1)
	for _, l := range x {
		m = max(m, l)
	}
	var s float64
	for k, l := range x {
		x[k] = math.Exp(l - m)
		s += x[k]
	}
	for k := range x {
		x[k] /= s
	}
}

// dirichletSumTol is how far Σ_k x_k may be from 1 for x to count as a
// point of the simplex in LogProb: far above the rounding of a normalized
// sample (about K·10⁻¹⁶), far below any real departure.
const dirichletSumTol = 1e-9

// LogProb returns log Γ(α₀) − Σ_k log Γ(α_k) + Σ_k (α_k − 1) log x_k for x
// (len K) on the simplex (every x_k ≥ 0, |Σ_k x_k − 1| ≤ 10⁻⁹), −Inf
// otherwise. A coordinate x_k = 0 contributes 0 if α_k = 1, −Inf if α_k >
// 1 and +Inf if α_k < 1.
func (d Dirichlet) LogProb(x []float64) float64 {
	checkLen("Dirichlet.LogProb", x, len(d.Alpha))
	var sum, a0 float64
	for _, v := range x {
		if !(v >= 0) {
			return math.Inf(-1)
		}
		sum += v
	}
	if !(math.Abs(sum-1) <= dirichletSumTol) {
		return math.Inf(-1)
	}
	var lp float64
	for k, a := range d.Alpha {
		a0 += a
		lg, _ := math.Lgamma(a)
		lp -= lg
		switch v := x[k]; {
		case v > 0:
			lp += (a - 1) * math.Log(v)
		case a > 1:
			return math.Inf(-1)
		case a < 1:
			lp = math.Inf(1)
		}
	}
	lg0, _ := math.Lgamma(a0)
	return lp + lg0
}

// Score writes ∇θ log p(x) into dst (len K): ψ(α₀) − ψ(α_k) + log x_k for
// alpha[k].
func (d Dirichlet) Score(dst, x []float64) {
	K := len(d.Alpha)
	checkLen("Dirichlet.Score", dst, K)
	checkLen("Dirichlet.Score", x, K)
	var a0 float64
	for _, a := range d.Alpha {
		a0 += a
	}
	psi0 := mathext.Digamma(a0)
	for k, a := range d.Alpha {
		dst[k] = psi0 - mathext.Digamma(a) + math.Log(x[k])
	}
}

// Mean writes E[x_k] = α_k/α₀ into dst (len K).
func (d Dirichlet) Mean(dst []float64) {
	checkLen("Dirichlet.Mean", dst, len(d.Alpha))
	a0 := d.alpha0()
	for k, a := range d.Alpha {
		dst[k] = a / a0
	}
}

// Variance writes Var[x_k] = α_k(α₀ − α_k)/(α₀²(α₀ + 1)) into dst (len K).
func (d Dirichlet) Variance(dst []float64) {
	checkLen("Dirichlet.Variance", dst, len(d.Alpha))
	a0 := d.alpha0()
	for k, a := range d.Alpha {
		m := a / a0
		dst[k] = m * (1 - m) / (a0 + 1)
	}
}

// MomentsVJP adds Σ_i a[i] ∂E[x_i]/∂α_k + b[i] ∂Var[x_i]/∂α_k to dst[k].
// With m_i = α_i/α₀ and V_i = m_i(1 − m_i)/(α₀ + 1): ∂m_i/∂α_k = (δ_ik −
// m_i)/α₀ and ∂V_i/∂α_k = (1 − 2m_i)(δ_ik − m_i)/(α₀(α₀ + 1)) − V_i/(α₀ +
// 1), so the sums over i are computed once and the VJP costs O(K).
func (d Dirichlet) MomentsVJP(dst, a, b []float64) {
	K := len(d.Alpha)
	checkLen("Dirichlet.MomentsVJP", dst, K)
	checkLen("Dirichlet.MomentsVJP", a, K)
	checkLen("Dirichlet.MomentsVJP", b, K)
	a0 := d.alpha0()
	c := 1 / (a0 * (a0 + 1))
	var am, bm, bv float64 // Σ a_i m_i, Σ b_i (1 − 2m_i) m_i, Σ b_i V_i
	for i, al := range d.Alpha {
		m := al / a0
		am += a[i] * m
		bm += b[i] * (1 - 2*m) * m
		bv += b[i] * m * (1 - m) / (a0 + 1)
	}
	shared := -am/a0 - bm*c - bv/(a0+1)
	for k, al := range d.Alpha {
		m := al / a0
		dst[k] += a[k]/a0 + b[k]*(1-2*m)*c + shared
	}
}

func (d Dirichlet) alpha0() float64 {
	var a0 float64
	for _, a := range d.Alpha {
		a0 += a
	}
	return a0
}

// The implicit reparameterization (Figurnov, Mohamed & Mnih 2018, who
// obtain the Beta and Dirichlet gradients from the Gamma's this way): G_k = P⁻¹(α_k, u_k) with P(α, y) the
// regularized lower incomplete gamma function and u_k uniform, x_k = G_k /
// Σ_j G_j. Only G_k depends on α_k, with ∂G_k/∂α_k = −(∂P/∂α)(α_k, G_k) /
// p(G_k; α_k) computed by gammaShapeGrad (forward-mode differentiation of
// the series and continued fraction of P, as Numerical Recipes evaluates
// them). With L_k = log G_k and ∂L_k/∂α_k = (∂G_k/∂α_k)/G_k, the quotient
// rule gives
//
//	∂x_i/∂α_k = (δ_ik − x_i) x_k ∂L_k/∂α_k,
//	Σ_i v_i ∂x_i/∂α_k = x_k ∂L_k/∂α_k (v_k − Σ_i v_i x_i),
//
// so PathVJP costs O(K) beyond the K quantiles. Where the leading term of
// the series, P(α, y) = y^α/Γ(α + 1) · (1 + O(y)), puts y below e^{−500}
// (tiny α and u: gammaQuantile would underflow to 0 below 10⁻³⁰⁸), L_k
// and its derivative come from that term in closed form instead, L = (log
// u + log Γ(α + 1))/α and ∂L/∂α = (ψ(α + 1) − L)/α (DLMF 8.7.1, with the
// neglected terms of relative size y < 10⁻²¹⁷).

// dirichletTailLog is the log G below which the closed-form leading term
// replaces the quantile.
const dirichletTailLog = -500

// dirichletUpperTail is the u above which dirichletLogQuantile refines
// the quantile on the upper tail's Q = 1 − P.
const dirichletUpperTail = 0.999

// dirichletStackDim is the largest K for which PathVJP keeps the per-
// coordinate logarithms and derivatives on the stack; above it, it
// computes the quantiles twice instead of allocating.
const dirichletStackDim = 256

// dirichletLogQuantile returns L = log P⁻¹(α, u) and y = e^L (0 where the
// tail term is used, tail set).
func dirichletLogQuantile(a, u float64) (l, y float64, tail bool) {
	lg1, _ := math.Lgamma(a + 1)
	l0 := (math.Log(u) + lg1) / a // log of the leading term's root, ≤ L
	if l0 < dirichletTailLog {
		return l0, 0, true
	}
	y = gammaQuantile(a, u)
	if !(y > 0) {
		return l0, 0, true // not reached: y ≥ e^{l0} > 0
	}
	if u > dirichletUpperTail && y > a+1 {
		// gammaQuantile solves P(α, y) = u, whose rounding (10⁻¹⁶
		// absolute in P) leaves y off by 10⁻¹⁶/p(y), 10⁻⁸ relative at 1 −
		// u = 10⁻⁹. One Newton step on log Q(α, y) = log(1 − u), Q = 1 −
		// P = y^α e^{−y} C/Γ(α) from the continued fraction C (where it
		// converges, y > α + 1), with ∂log Q/∂y = −1/(yC), restores full
		// precision: 1 − u is exact there.
		lg, _ := math.Lgamma(a)
		c, _ := gammaCF(a, y)
		r := a*math.Log(y) - y - lg + math.Log(c) - math.Log1p(-u)
		y += r * y * c
	}
	return math.Log(y), y, false
}

// dirichletLogGrad returns L = log P⁻¹(α, u) and ∂L/∂α at fixed u.
func dirichletLogGrad(a, u float64) (l, dl float64) {
	l, y, tail := dirichletLogQuantile(a, u)
	if tail {
		return l, (mathext.Digamma(a+1) - l) / a
	}
	return l, gammaShapeGrad(a, y) / y
}

// Noise draws u uniform on (0, 1)^K (never 0 or 1) into eps (len K).
func (d Dirichlet) Noise(eps []float64, rng *rand.Rand) {
	checkLen("Dirichlet.Noise", eps, len(d.Alpha))
	for k := range eps {
		eps[k] = openUniform(rng)
	}
}

// NoiseFromUniform copies u: the noise is the uniforms themselves (see
// UniformNoise).
func (Dirichlet) NoiseFromUniform(eps, u []float64) { copy(eps, u) }

// Transform writes x_k = G_k/Σ_j G_j with G_k = P⁻¹(α_k, u_k), the
// u_k-quantile of Gamma(α_k, 1), normalized in log space.
func (d Dirichlet) Transform(x, eps []float64) {
	checkLen("Dirichlet.Transform", x, len(d.Alpha))
	checkLen("Dirichlet.Transform", eps, len(d.Alpha))
	for k, a := range d.Alpha {
		x[k], _, _ = dirichletLogQuantile(a, eps[k])
	}
	softmaxInPlace(x)
}

// PathVJP adds Σ_i v_i ∂x_i/∂α_k = x_k ∂L_k/∂α_k (v_k − Σ_i v_i x_i) to
// dst[k], at x = Transform(u) (see the comment above dirichletTailLog). It
// allocates nothing: for K ≤ 256 the logarithms and their derivatives stay
// on the stack; beyond, the quantiles are computed twice. For the largest
// coordinate, v_k − Σ_i v_i x_i is summed as Σ_{i≠k} (v_k − v_i) x_i,
// which stays accurate when x_k is within rounding of 1.
func (d Dirichlet) PathVJP(dst, eps, v []float64) {
	K := len(d.Alpha)
	checkLen("Dirichlet.PathVJP", dst, K)
	checkLen("Dirichlet.PathVJP", eps, K)
	checkLen("Dirichlet.PathVJP", v, K)
	var buf [2 * dirichletStackDim]float64
	stored := K <= dirichletStackDim
	var ls, dls []float64
	if stored {
		ls, dls = buf[:K], buf[dirichletStackDim:dirichletStackDim+K]
	}
	// One pass, rescaling on a new maximum: m = max_k L_k at index km, c =
	// Σ_{j≠km} e^{L_j − m}, r = Σ_{j≠km} v_j e^{L_j − m}, w = Σ_{j≠km}
	// (v_km − v_j) e^{L_j − m}; then s = 1 + c is Σ_j e^{L_j − m}.
	var m float64
	var km int
	var c, r, w float64
	for k, a := range d.Alpha {
		var l float64
		if stored {
			l, dls[k] = dirichletLogGrad(a, eps[k])
			ls[k] = l
		} else {
			l, _, _ = dirichletLogQuantile(a, eps[k])
		}
		if k == 0 || l > m {
			if k > 0 {
				// The old maximum joins the others, rescaled by f; w
				// is re-centred on v_k: Σ (v_k − v_j) e_j = (v_k −
				// v_km) Σ e_j + Σ (v_km − v_j) e_j.
				f := math.Exp(m - l)
				dvk := v[k] - v[km]
				w = (dvk*(c+1) + w) * f
				c, r = (c+1)*f, (r+v[km])*f
			}
			m, km = l, k
			continue
		}
		e := math.Exp(l - m)
		c += e
		r += v[k] * e
		w += (v[km] - v[k]) * e
	}
	s := 1 + c
	vbar := (v[km] + r) / s
	for k, a := range d.Alpha {
		var l, dl float64
		if stored {
			l, dl = ls[k], dls[k]
		} else {
			l, dl = dirichletLogGrad(a, eps[k])
		}
		xk := math.Exp(l-m) / s
		dv := v[k] - vbar
		if k == km {
			dv = w / s
		}
		dst[k] += xk * dl * dv
	}
}

func init() {
	Register(Family{
		Name: "dirichlet",
		Doc:  "Dirichlet(alpha, …, alpha) on the simplex, x of length dim; reparameterized (implicitly: Gamma construction, −∇θF/p), moments",
		Params: []Param{
			{Name: "dim", Default: 3, Doc: "number of coordinates K (x on the (K−1)-simplex), integer in [2, 10000]"},
			{Name: "alpha", Default: 1, Doc: "concentration of every coordinate (alpha[k] = alpha), > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			K, err := intParam("dirichlet", "dim", p["dim"], 2, 10000)
			if err != nil {
				return nil, err
			}
			if err := checkPositive("dirichlet", "alpha", p["alpha"]); err != nil {
				return nil, err
			}
			d := Dirichlet{Alpha: make([]float64, K)}
			for k := range K {
				d.Alpha[k] = p["alpha"]
			}
			return d, nil
		},
	})
}
