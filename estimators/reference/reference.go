// Package reference computes reference values of ∇θ E_{x~p(x;θ)}[f(x)], the
// quantity every gradient estimator estimates, and the exact per-sample
// variances of the basic estimators on the univariate normal family.
//
// A reference gradient comes from one of four methods, tried in this order
// when the method is MethodAuto:
//
//   - closed: a closed form, for the normal families (dist.Normal,
//     dist.MVNDiag) and objectives implementing objective.NormalExpectation;
//   - enumeration: an exact sum over the support of a dist.Finite family;
//   - quadrature: adaptive composite Gauss–Legendre quadrature of
//     ∫ f(x) p(x;θ) ∇θ log p(x;θ) dx for a 1-D continuous family with a
//     quantile function;
//   - montecarlo: the mean of a large pathwise or score-function sample, with
//     its standard error.
//
// Every Result records the method that produced it.
package reference

import (
	"errors"
	"fmt"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Method names a way of computing a reference gradient.
type Method string

// The methods. MethodAuto is only a request: it selects the first of closed,
// enumeration, quadrature and montecarlo that applies.
const (
	MethodAuto        Method = "auto"
	MethodClosed      Method = "closed"
	MethodEnumeration Method = "enumeration"
	MethodQuadrature  Method = "quadrature"
	MethodMonteCarlo  Method = "montecarlo"
)

// Methods returns the methods in the order MethodAuto tries them.
func Methods() []Method {
	return []Method{MethodClosed, MethodEnumeration, MethodQuadrature, MethodMonteCarlo}
}

// ParseMethod returns the method named s ("auto", "closed", "enumeration",
// "quadrature" or "montecarlo"), or an error.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case MethodAuto, MethodClosed, MethodEnumeration, MethodQuadrature, MethodMonteCarlo:
		return m, nil
	}
	return "", fmt.Errorf("unknown reference method %q (known: auto, closed, enumeration, quadrature, montecarlo)", s)
}

// ErrNotApplicable is wrapped by the error returned when a requested method
// cannot handle the family or the objective.
var ErrNotApplicable = errors.New("reference method not applicable")

// notApplicable returns an error wrapping ErrNotApplicable that says why.
func notApplicable(m Method, format string, args ...any) error {
	return fmt.Errorf("reference: %s: %w: %s", m, ErrNotApplicable, fmt.Sprintf(format, args...))
}

// Default option values.
const (
	DefaultSamples = 1_000_000
	DefaultTol     = 1e-12
)

// Options tunes the numerical methods. The zero value is ready to use.
type Options struct {
	// Samples is the Monte Carlo sample size; 0 means DefaultSamples.
	Samples int
	// Seed seeds the Monte Carlo generator (PCG); every seed, 0 included,
	// is a valid explicit seed.
	Seed uint64
	// Tol is the relative tolerance of adaptive quadrature: refinement stops
	// when doubling the panels changes each component by at most Tol times
	// the integral of its absolute value. 0 means DefaultTol.
	Tol float64
}

func (o Options) samples() int {
	if o.Samples <= 0 {
		return DefaultSamples
	}
	return o.Samples
}

func (o Options) tol() float64 {
	if o.Tol <= 0 {
		return DefaultTol
	}
	return o.Tol
}

// Result is a reference gradient.
type Result struct {
	// Grad is ∇θ E[f], in the order of p.ParamNames().
	Grad []float64
	// SE is the standard error of each component of Grad: the Monte Carlo
	// standard error for MethodMonteCarlo, the estimated quadrature error
	// for MethodQuadrature, and zero for the exact methods.
	SE []float64
	// Value is E[f] (a Monte Carlo estimate for MethodMonteCarlo).
	Value float64
	// Method is the method that produced the result (never MethodAuto).
	Method Method
	// Detail describes the computation, e.g. "pathwise, n = 1000000, seed 1"
	// or "2560 panels × 20 nodes".
	Detail string
}

// Gradient returns the reference gradient ∇θ E_{p(θ)}[f] computed by method
// m. It returns an error wrapping ErrNotApplicable if m cannot handle p or f
// (with MethodAuto: if none can), and an error if the computation fails, for
// example if f is not finite where p has mass.
func Gradient(p dist.Distribution, f objective.Objective, m Method, opts Options) (Result, error) {
	switch m {
	case MethodClosed:
		return closed(p, f)
	case MethodEnumeration:
		return enumeration(p, f)
	case MethodQuadrature:
		return quadrature(p, f, opts)
	case MethodMonteCarlo:
		return monteCarlo(p, f, opts)
	case MethodAuto:
		var reasons []error
		for _, m := range Methods() {
			r, err := Gradient(p, f, m, opts)
			if err == nil || !errors.Is(err, ErrNotApplicable) {
				return r, err
			}
			reasons = append(reasons, err)
		}
		return Result{}, errors.Join(reasons...)
	}
	return Result{}, fmt.Errorf("reference: unknown method %q", m)
}

// Applicable reports whether method m (not MethodAuto) can handle p and f,
// returning nil or an error wrapping ErrNotApplicable that says why not. It
// does not run the computation.
func Applicable(p dist.Distribution, f objective.Objective, m Method) error {
	switch m {
	case MethodClosed:
		_, _, err := closedSetup(p, f)
		return err
	case MethodEnumeration:
		_, err := enumerationSetup(p)
		return err
	case MethodQuadrature:
		_, err := quadratureSetup(p)
		return err
	case MethodMonteCarlo:
		return nil
	}
	return fmt.Errorf("reference: unknown method %q", m)
}
