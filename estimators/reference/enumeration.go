package reference

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// enumerationSetup checks that p has finite support.
func enumerationSetup(p dist.Distribution) (dist.Finite, error) {
	q, ok := p.(dist.Finite)
	if !ok {
		return nil, notApplicable(MethodEnumeration, "family %s does not have finite support", p.Name())
	}
	if q.SupportSize() < 1 {
		return nil, notApplicable(MethodEnumeration, "family %s has support size %d", p.Name(), q.SupportSize())
	}
	return q, nil
}

// enumeration returns Σ_i p_i f(x_i) ∇θ log p(x_i) over the support.
func enumeration(p dist.Distribution, f objective.Objective) (Result, error) {
	q, err := enumerationSetup(p)
	if err != nil {
		return Result{}, err
	}
	np := p.NumParams()
	x, s := make([]float64, p.Dim()), make([]float64, np)
	r := Result{Grad: make([]float64, np), SE: make([]float64, np), Method: MethodEnumeration}
	total := 0.0
	n := q.SupportSize()
	for i := range n {
		prob := q.Outcome(x, i)
		if prob == 0 {
			continue
		}
		total += prob
		fx := f.Value(x)
		if math.IsNaN(fx) || math.IsInf(fx, 0) {
			return Result{}, fmt.Errorf("reference: enumeration: objective %s is %v at outcome %v of %s", f.Name(), fx, x, p.Name())
		}
		r.Value += prob * fx
		p.Score(s, x)
		for j := range s {
			r.Grad[j] += prob * fx * s[j]
		}
	}
	if math.Abs(total-1) > 1e-9 {
		return Result{}, fmt.Errorf("reference: enumeration: probabilities of %s sum to %v, want 1", p.Name(), total)
	}
	r.Detail = fmt.Sprintf("%d outcomes", n)
	if err := checkFiniteResult(r); err != nil {
		return Result{}, fmt.Errorf("reference: enumeration of %s under %s: %w", f.Name(), p.Name(), err)
	}
	return r, nil
}
