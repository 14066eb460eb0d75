package estimators

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ARMS is the antithetic REINFORCE multi-sample estimator of Dimitriev and
// Zhou (2021, "ARMS: Antithetic-REINFORCE-Multi-Sample gradient for binary
// variables") for independent Bernoulli coordinates with logits α (a
// dist.Binary family). Each of the n samples is a group of N outcomes
// (option N; with N = 0 the n samples of an estimate are one group of
// N = n) b^1, …, b^N whose coordinates d are coupled by a copula: b^i_d =
// 1[u^i_d < p_d], p_d = σ(α_d), with (u^1_d, …, u^N_d) negatively
// dependent, each uniform, independent across coordinates. The estimate is
// the leave-one-out REINFORCE estimate of each group, debiased for the
// coupling, averaged over the G groups:
//
//	∂/∂α_d E[f] ≈ (1/G) Σ_groups (1/(N−1)) Σ_i (f(b^i) − f̄) (b^i_d − p_d) · p_d(1 − p_d) / (p_d − J_d),
//
// with f̄ the mean of f over the group and J_d = P(b^i_d = b^j_d = 1), i ≠
// j. It is unbiased for every exchangeable copula with uniform marginals
// (E[Σ_i (f_i − f̄)(b^i_d − p_d)] = (N − 1)(p_d − J_d)(E[f | b_d = 1] −
// E[f | b_d = 0])), and costs N evaluations of f per group.
//
// Copulas (option copula):
//
//   - "dirichlet" (ARMS-D, the default): u^i = (1 − w_i)^{N−1}, w ~
//     Dirichlet(1, …, 1), used as is when p_d < ½ and as 1 − u^i when p_d
//     ≥ ½; then J_d = C(q, q) for q = min(p_d, 1 − p_d) and the bivariate
//     copula C(a, b) = max(a^{1/(N−1)} + b^{1/(N−1)} − 1, 0)^{N−1}, so p_d −
//     J_d is q − C(q, q) (computed in that form, without cancellation).
//   - "gaussian" (ARMS-N): u^i = Φ(g_i), g multivariate normal with unit
//     variances and correlations −1/(N−1) (the centred iid normals scaled
//     by √(N/(N−1))); J_d = Φ₂(h, h; −1/(N−1)), h = Φ⁻¹(p_d), with p_d − J_d
//     = p_d(1 − p_d) + (1/2π) ∫_{asin ρ}^0 exp(−h²/(1 + sin t)) dt computed
//     by 20-point Gauss–Legendre quadrature.
//
// For N = 2 both copulas are the antithetic pair (u, 1 − u), and ARMS is
// DisARM: both then draw u = rng.Float64() per coordinate and use (u,
// 1 − u) for every p_d (the pair is symmetric, so the reflection at p_d ≥
// ½ is omitted), giving the pairs and, to rounding, the estimates of
// disarm on the same random stream (N = 2 at n, or N = 0 at 2n, against
// disarm at n).
//
// It follows the estimator of alekdimi/arms (toy_problem.py, networks.py)
// and deviates in that the debiasing factor is computed exactly (the
// reference adds 10⁻⁶ to its denominator) and the Gaussian copula's
// bivariate normal probability by quadrature (the reference calls
// scipy).
type ARMS struct {
	// N is the number of coupled outcomes per sample, ≥ 2, or 0: the n
	// samples of an estimate form one group of N = n coupled outcomes.
	N int
	// Copula is "dirichlet" or "gaussian".
	Copula string

	info   Info
	m      int       // the group size of the current estimate
	nodesN int       // the group size the quadrature nodes are for
	nodes  []float64 // Gauss–Legendre: 1/(1 + sin t_j)
	wts    []float64 // and weights/(2π)
	b, fs  []float64
	th     []float64
	deb    []float64
	h, g   []float64
	ex     []float64
	normal distuv.Normal
}

// NewARMS returns the estimator with N coupled outcomes per sample and the
// named copula ("dirichlet" or "gaussian"), or an error.
func NewARMS(N int, copula string) (*ARMS, error) {
	if N != 0 && (N < 2 || N > 1<<16) {
		return nil, fmt.Errorf("option N = %d: want 0 (the n samples form one group) or an integer in [2, 65536]", N)
	}
	if copula != "dirichlet" && copula != "gaussian" {
		return nil, fmt.Errorf("option copula = %q: want \"dirichlet\" or \"gaussian\"", copula)
	}
	e := &ARMS{N: N, Copula: copula, normal: distuv.UnitNormal}
	e.info = Info{
		Name:     "arms",
		Summary:  fmt.Sprintf("ARMS (Dimitriev & Zhou 2021): leave-one-out REINFORCE over N = %d outcomes coupled by a %s copula, debiased (independent Bernoulli)", N, copula),
		Unbiased: true,
		Needs:    NeedsBinary,
		Cost:     fmt.Sprintf("%d f", N),
	}
	if N == 0 {
		e.info.Summary = fmt.Sprintf("ARMS (Dimitriev & Zhou 2021): leave-one-out REINFORCE over the n samples coupled by a %s copula, debiased (independent Bernoulli)", copula)
		e.info.MinSamples = 2
		e.info.Cost = "1 f"
	}
	return e, nil
}

// setGroup sets the group size to N, computing the Gaussian copula's
// quadrature nodes for a new N > 2.
func (e *ARMS) setGroup(N int) {
	e.m = N
	if e.Copula != "gaussian" || N <= 2 || e.nodesN == N {
		return
	}
	const m = 20
	e.nodes, e.wts = grow(e.nodes, m), grow(e.wts, m)
	quad.Legendre{}.FixedLocations(e.nodes, e.wts, math.Asin(-1/float64(N-1)), 0)
	for j := range e.nodes {
		e.nodes[j] = 1 / (1 + math.Sin(e.nodes[j]))
		e.wts[j] /= 2 * math.Pi
	}
	e.nodesN = N
}

// Info describes the estimator.
func (e *ARMS) Info() Info { return e.info }

// Estimate writes the estimate from n groups of N coupled outcomes into
// grad.
func (e *ARMS) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if err := Supports(e, p, f, n); err != nil {
		return Cost{}, err
	}
	checkGrad(grad, p)
	bp := p.(dist.Binary)
	N, groups := e.N, n
	if N == 0 {
		N, groups = n, 1
	}
	e.setGroup(N)
	D := p.Dim()
	e.b, e.fs = grow(e.b, N*D), grow(e.fs, N)
	e.th, e.deb, e.h, e.g = grow(e.th, D), grow(e.deb, D), grow(e.h, D), grow(e.g, D)
	e.ex = grow(e.ex, N)
	for d := range D {
		a := bp.LogitAt(d)
		e.th[d] = sigmoidF(a)
		e.deb[d] = e.debias(a, d)
	}
	zero(grad)
	w := 1 / (float64(N-1) * float64(groups))
	for range groups {
		for d := range D {
			e.draw(d, D, rng)
		}
		fbar := 0.0
		for i := range N {
			e.fs[i] = f.Value(e.b[i*D : (i+1)*D : (i+1)*D])
			fbar += e.fs[i]
		}
		fbar /= float64(N)
		for d := range D {
			s := 0.0
			for i := range N {
				s += (e.fs[i] - fbar) * (e.b[i*D+d] - e.th[d])
			}
			e.g[d] = e.deb[d] * s * w
		}
		bp.LogitVJP(grad, e.g)
	}
	return Cost{F: N * groups}, nil
}

// debias returns p(1 − p)/(p − J) for the coordinate with logit a, and
// for the Gaussian copula stores h = Φ⁻¹(p) in e.h[d].
func (e *ARMS) debias(a float64, d int) float64 {
	pq := sigmoidF(a) * sigmoidF(-a)
	if pq == 0 {
		return 0 // every outcome of the group is the same: no gradient
	}
	q := sigmoidF(-math.Abs(a)) // min(p, 1 − p)
	N := float64(e.m)
	if e.Copula == "gaussian" {
		h := e.normal.Quantile(q) // Φ⁻¹(min(p, 1 − p)) = −|Φ⁻¹(p)|
		if a > 0 {
			e.h[d] = -h
		} else {
			e.h[d] = h
		}
		if e.m == 2 {
			return pq / q
		}
		s := 0.0
		for j, c := range e.nodes {
			s += e.wts[j] * math.Exp(-h*h*c)
		}
		return pq / (pq + s)
	}
	if e.m == 2 {
		return pq / q
	}
	c := math.Pow(max(2*math.Pow(q, 1/(N-1))-1, 0), N-1)
	return pq / (q - c)
}

// draw writes coordinate d of the N coupled outcomes into e.b (outcome i
// at e.b[i·D + d]).
func (e *ARMS) draw(d, D int, rng *rand.Rand) {
	N, th := e.m, e.th[d]
	b := e.b
	if e.Copula == "gaussian" && N > 2 {
		m := 0.0
		for i := range N {
			e.ex[i] = rng.NormFloat64()
			m += e.ex[i]
		}
		m /= float64(N)
		sc := math.Sqrt(float64(N) / float64(N-1))
		for i := range N {
			setBit(b, i*D+d, sc*(e.ex[i]-m) < e.h[d])
		}
		return
	}
	if N == 2 { // both copulas: the antithetic pair (u, 1 − u), as DisARM
		u := rng.Float64()
		setBit(b, d, u < th)
		setBit(b, D+d, 1-u < th)
		return
	}
	s := 0.0
	for i := range N {
		e.ex[i] = -math.Log(1 - rng.Float64())
		s += e.ex[i]
	}
	for i := range N {
		// 1 − w_i = Σ_{j≠i} e_j / Σ_j e_j: a difference only where e_i is
		// at most half the sum (no cancellation), else summed.
		rest := s - e.ex[i]
		if e.ex[i] > s/2 {
			rest = 0
			for j, v := range e.ex {
				if j != i {
					rest += v
				}
			}
		}
		u := math.Pow(rest/s, float64(N-1))
		if th < 0.5 {
			setBit(b, i*D+d, u < th)
		} else {
			setBit(b, i*D+d, 1-u < th)
		}
	}
}

func init() {
	Register("arms", func(o *Options) (Estimator, error) {
		N, err := o.Int("N", 4)
		if err != nil {
			return nil, err
		}
		c, err := o.String("copula", "dirichlet")
		if err != nil {
			return nil, err
		}
		return NewARMS(N, c)
	})
}

// setBit writes 1 into b[k] if on, else 0.
func setBit(b []float64, k int, on bool) {
	b[k] = 0
	if on {
		b[k] = 1
	}
}
