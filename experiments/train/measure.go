package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/stats"
)

// Objective methods recorded in curves.csv.
const (
	MethodClosed      = string(reference.MethodClosed)
	MethodEnumeration = string(reference.MethodEnumeration)
	MethodMonteCarlo  = string(reference.MethodMonteCarlo)
)

// objectiveMethod returns how E_{p}[f] is measured for the family of p and
// the objective f: in closed form for the normal families and objectives
// with a normal expectation, by enumeration for finite families, and
// otherwise by Monte Carlo.
func objectiveMethod(p dist.Distribution, f objective.Objective) string {
	for _, m := range []reference.Method{reference.MethodClosed, reference.MethodEnumeration} {
		if reference.Applicable(p, f, m) == nil {
			return string(m)
		}
	}
	return MethodMonteCarlo
}

// measurer records the state of a run at θ: the objective and the variance
// of the gradient estimate. It draws only from its own generator.
type measurer struct {
	f       objective.Objective
	method  string
	samples int // Monte Carlo objective samples
	draws   int // variance draws (0: not measured)
	n       int // samples per gradient estimate
	est     estimators.Estimator
	rng     *rand.Rand

	x    []float64
	g    []float64
	comp []stats.Moments
}

// objective returns E_p[f] and its standard error (0 when exact).
func (m *measurer) objective(p dist.Distribution) (value, se float64, err error) {
	if m.method != MethodMonteCarlo {
		r, err := reference.Gradient(p, m.f, reference.Method(m.method), reference.Options{})
		if err != nil {
			return math.NaN(), math.NaN(), err
		}
		return r.Value, 0, nil
	}
	if len(m.x) != p.Dim() {
		m.x = make([]float64, p.Dim())
	}
	var acc stats.Moments
	for range m.samples {
		p.Rand(m.x, m.rng)
		acc.Add(m.f.Value(m.x))
	}
	if acc.NonFinite() > 0 {
		return math.NaN(), math.NaN(), fmt.Errorf("%d of %d Monte Carlo values of f are not finite", acc.NonFinite(), m.samples)
	}
	return acc.Mean(), acc.SE(), nil
}

// gradVariance returns the mean over components of the sample variance of
// m.draws gradient estimates at p, and the number of draws excluded as not
// finite (the variance is NaN if fewer than two are finite). For an
// estimators.Adaptive training estimator (REBAR, RELAX) the draws come from
// a frozen clone of it, so they measure the estimator in its current tuned
// state without changing it. Otherwise the measuring estimator is reset
// first: for another stateful estimator (a moving-average baseline) this is
// the variance of a freshly reset one.
func (m *measurer) gradVariance(p dist.Distribution, training estimators.Estimator) (v float64, nonfinite int, err error) {
	if m.draws == 0 {
		return math.NaN(), 0, nil
	}
	k := p.NumParams()
	if len(m.g) != k {
		m.g, m.comp = make([]float64, k), make([]stats.Moments, k)
	}
	clear(m.comp)
	est := m.est
	if a, ok := training.(estimators.Adaptive); ok {
		c := a.Clone()
		if ca, ok := c.(estimators.Adaptive); ok {
			ca.SetFrozen(true)
		}
		est = c
	} else if r, ok := est.(estimators.Resetter); ok {
		r.Reset()
	}
	for range m.draws {
		if _, err := est.Estimate(m.g, p, m.f, m.n, m.rng); err != nil {
			return math.NaN(), 0, err
		}
		if !allFinite(m.g) {
			nonfinite++
			continue
		}
		stats.AddVec(m.comp, m.g)
	}
	if m.draws-nonfinite < 2 {
		return math.NaN(), nonfinite, nil
	}
	s := 0.0
	for i := range m.comp {
		s += m.comp[i].Variance()
	}
	return s / float64(k), nonfinite, nil
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
