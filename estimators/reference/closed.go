package reference

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// normalLayout is a diagonal normal's parameters and where each of them sits
// in θ.
type normalLayout struct {
	mu, sigma       []float64
	muIdx, sigmaIdx []int
}

// closedSetup checks that p is a normal family and f has a closed-form
// normal expectation.
func closedSetup(p dist.Distribution, f objective.Objective) (normalLayout, objective.NormalExpectation, error) {
	var l normalLayout
	switch q := p.(type) {
	case dist.Normal:
		l = normalLayout{mu: []float64{q.Mu}, sigma: []float64{q.Sigma}, muIdx: []int{0}, sigmaIdx: []int{1}}
	case dist.MVNDiag:
		d := len(q.Mu)
		l = normalLayout{mu: q.Mu, sigma: q.Sigma, muIdx: make([]int, d), sigmaIdx: make([]int, d)}
		for i := range d {
			l.muIdx[i], l.sigmaIdx[i] = i, d+i
		}
	default:
		return l, nil, notApplicable(MethodClosed, "family %s is not a normal family", p.Name())
	}
	ne, ok := f.(objective.NormalExpectation)
	if !ok {
		return l, nil, notApplicable(MethodClosed, "objective %s has no closed-form normal expectation", f.Name())
	}
	return l, ne, nil
}

// closed returns the closed-form reference gradient.
func closed(p dist.Distribution, f objective.Objective) (Result, error) {
	l, ne, err := closedSetup(p, f)
	if err != nil {
		return Result{}, err
	}
	d := len(l.mu)
	dmu, dsigma := make([]float64, d), make([]float64, d)
	v := ne.NormalExpectation(dmu, dsigma, l.mu, l.sigma)
	r := Result{Grad: make([]float64, p.NumParams()), SE: make([]float64, p.NumParams()), Value: v, Method: MethodClosed, Detail: "closed form"}
	for i := range d {
		r.Grad[l.muIdx[i]] = dmu[i]
		r.Grad[l.sigmaIdx[i]] = dsigma[i]
	}
	if err := checkFiniteResult(r); err != nil {
		return Result{}, fmt.Errorf("reference: closed form of %s under %s: %w", f.Name(), p.Name(), err)
	}
	return r, nil
}

// checkFiniteResult returns an error if the value or a gradient component is
// not finite.
func checkFiniteResult(r Result) error {
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		return fmt.Errorf("expectation is %v", r.Value)
	}
	for j, g := range r.Grad {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("gradient component %d is %v", j, g)
		}
	}
	return nil
}
