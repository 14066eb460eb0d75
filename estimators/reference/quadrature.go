package reference

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// tailProb is the probability left out in an infinite lower tail by the
// quadrature range. An infinite upper tail cannot be cut as finely, as
// 1 − tailProb rounds to 1: it is cut at the 1 − 2⁻⁵³ quantile and extended
// by twice the distance from the 1 − 10⁻¹³ quantile (for the normal, to
// about 10σ, leaving about 10⁻²³).
const tailProb = 1e-20

// topProb is the largest float64 below 1.
const topProb = 1 - 0x1p-53

// quantiler is the part of dist.Quantiler that quadrature needs.
type quantiler interface {
	Quantile(p float64) float64
}

// quadratureSetup checks that p is a 1-D continuous family with a quantile
// function.
func quadratureSetup(p dist.Distribution) (quantiler, error) {
	if p.Dim() != 1 {
		return nil, notApplicable(MethodQuadrature, "family %s has dimension %d, want 1", p.Name(), p.Dim())
	}
	if _, ok := p.(dist.Finite); ok {
		return nil, notApplicable(MethodQuadrature, "family %s is discrete", p.Name())
	}
	q, ok := p.(quantiler)
	if !ok {
		return nil, notApplicable(MethodQuadrature, "family %s has no quantile function", p.Name())
	}
	if m, ok := p.(dist.MovingSupport); ok && m.MovingSupport() {
		// ∫ f ∂p/∂θ misses the boundary term of the moving ends (for von
		// Mises p(μ + π)(f(μ + π) − f(μ − π)), unless f is 2π-periodic,
		// which an objective does not declare).
		return nil, notApplicable(MethodQuadrature, "family %s has a support that moves with its parameters (the Monte Carlo reference is right for every objective)", p.Name())
	}
	return q, nil
}

// quadratureRange returns the integration range of a quantiler: the support
// bounds where finite, else cut as tailProb describes.
func quadratureRange(q quantiler) (lo, hi float64, err error) {
	lo, hi = q.Quantile(0), q.Quantile(1)
	if math.IsInf(lo, 0) || math.IsNaN(lo) {
		lo = q.Quantile(tailProb)
	}
	if math.IsInf(hi, 0) || math.IsNaN(hi) {
		hi = q.Quantile(topProb)
		hi += 2 * (hi - q.Quantile(1-1e-13))
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(lo < hi) {
		return 0, 0, fmt.Errorf("reference: quadrature: bad range [%v, %v]", lo, hi)
	}
	return lo, hi, nil
}

// quantileEdges returns panel edges on [lo, hi]: n uniform panels; the
// quantiles at probabilities i/(m+1), i = 1, …, m, with m = n/2, and the
// median (a kink of the Laplace density); in each tail, n/4 quantiles at
// probabilities falling geometrically from 1/(m+1) to tailProb, which resolve
// heavy tails and singular densities at a finite support bound; and the
// breakpoints of f. Every group refines as n doubles, so the doubling error
// estimate sees every region.
func quantileEdges(q quantiler, lo, hi float64, n int, breaks []float64) []float64 {
	e := make([]float64, 0, 3*n)
	for i := 0; i <= n; i++ {
		e = append(e, lo+(hi-lo)*float64(i)/float64(n))
	}
	extra := make([]float64, 0, 2*n+len(breaks))
	m := n / 2
	for i := 1; i <= m; i++ {
		extra = append(extra, q.Quantile(float64(i)/float64(m+1)))
	}
	extra = append(extra, q.Quantile(0.5))
	first := 1 / float64(m+1)
	ratio := tailProb / first
	tails := n / 4
	for i := 1; i <= tails; i++ {
		p := first * math.Pow(ratio, float64(i)/float64(tails))
		extra = append(extra, q.Quantile(p))
		if 1-p < 1 {
			extra = append(extra, q.Quantile(1-p))
		}
	}
	extra = append(extra, breaks...)
	return endEdges(q, addEdges(e, lo, hi, extra))
}

// endGeometric is the number of edges added towards a finite support bound.
const endGeometric = 64

// endEdges adds edges approaching each finite support bound of q
// geometrically, halving the distance each time, so that densities or
// scores singular at the bound (Gamma or Beta shapes below 1, log x terms)
// are integrated accurately: the Gauss–Legendre error on a panel [a, 2a]
// away from a singularity at 0 is far below rounding, and the last panel
// holds a negligible mass.
func endEdges(q quantiler, e []float64) []float64 {
	lo, hi := e[0], e[len(e)-1]
	var extra []float64
	if v := q.Quantile(0); v == lo && len(e) > 1 {
		w := e[1] - lo
		for j := 1; j <= endGeometric; j++ {
			w /= 2
			extra = append(extra, lo+w)
		}
	}
	if v := q.Quantile(1); v == hi && len(e) > 1 {
		w := hi - e[len(e)-2]
		for j := 1; j <= endGeometric; j++ {
			w /= 2
			extra = append(extra, hi-w)
		}
	}
	if extra == nil {
		return e
	}
	return addEdges(e, lo, hi, extra)
}

// quadrature returns ∫ f(x) p(x;θ) ∇θ log p(x;θ) dx over the quadrature
// range by adaptive composite Gauss–Legendre quadrature. It also integrates
// the density, and fails if that is not 1 within 1e-8 (a discrete family, or
// a density that does not match its quantile function).
func quadrature(p dist.Distribution, f objective.Objective, opts Options) (Result, error) {
	q, err := quadratureSetup(p)
	if err != nil {
		return Result{}, err
	}
	lo, hi, err := quadratureRange(q)
	if err != nil {
		return Result{}, err
	}
	var breaks []float64
	if b, ok := f.(objective.Breakpointer); ok {
		breaks = b.Breakpoints()
	}
	np := p.NumParams()
	x, s := make([]float64, 1), make([]float64, np)
	var bad error
	// Components: p, p f, p f s_0, …, p f s_{np−1}.
	h := func(v []float64, t float64) {
		x[0] = t
		dens := math.Exp(p.LogProb(x))
		if dens == 0 {
			clear(v)
			return
		}
		fx := f.Value(x)
		if (math.IsNaN(fx) || math.IsInf(fx, 0) || math.IsNaN(dens)) && bad == nil {
			bad = fmt.Errorf("reference: quadrature: objective %s is %v (density %v) at %v", f.Name(), fx, dens, t)
		}
		p.Score(s, x)
		v[0] = dens
		v[1] = dens * fx
		for j, sj := range s {
			v[2+j] = dens * fx * sj
		}
	}
	var panels int
	edges := func(n int) []float64 {
		e := quantileEdges(q, lo, hi, n, breaks)
		panels = len(e) - 1
		return e
	}
	val, _, errEst, err := adaptive(2+np, h, edges, opts.tol(), 0)
	if bad != nil {
		return Result{}, bad
	}
	if err != nil {
		return Result{}, fmt.Errorf("reference: quadrature of %s under %s: %w", f.Name(), p.Name(), err)
	}
	if math.Abs(val[0]-1) > 1e-8 {
		return Result{}, fmt.Errorf("reference: quadrature: density of %s integrates to %v over [%v, %v], want 1", p.Name(), val[0], lo, hi)
	}
	r := Result{Grad: val[2:], SE: errEst[2:], Value: val[1], Method: MethodQuadrature,
		Detail: fmt.Sprintf("%d panels × %d Gauss–Legendre nodes on [%.6g, %.6g]", panels, glOrder, lo, hi)}
	return r, nil
}
