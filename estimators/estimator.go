// Package estimators defines the Monte Carlo gradient estimator interface,
// the registry that makes estimators available by name, and the built-in
// estimators, one file each.
//
// An estimator writes one n-sample estimate of ∇θ E_{x~p(x;θ)}[f(x)]. Every
// built-in estimator registers itself from an init function in its own file;
// adding an estimator means adding one file that calls Register, and it then
// appears in `gradbench list`, in every spec, and in the conformance kit
// (package estimatortest) with no other change.
package estimators

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Needs is a set of capabilities an estimator requires of the family and the
// objective.
type Needs uint16

// The capabilities an estimator may need.
const (
	// NeedsReparam: the family implements dist.Reparameterized.
	NeedsReparam Needs = 1 << iota
	// NeedsGrad: the objective implements objective.Differentiable.
	NeedsGrad
	// NeedsCurvature: the objective implements objective.Curved.
	NeedsCurvature
	// NeedsFinite: the family implements dist.Finite.
	NeedsFinite
	// NeedsMVD: the family implements dist.MeasureValued.
	NeedsMVD
	// NeedsMoments: the family implements dist.Moments.
	NeedsMoments
	// NeedsBinary: the family implements dist.Binary (independent
	// Bernoullis).
	NeedsBinary
	// NeedsRelaxed: the family implements dist.Relaxed (Concrete /
	// Gumbel-Softmax relaxation).
	NeedsRelaxed
	// NeedsRelaxedConditional: the family implements
	// dist.RelaxedConditional (the relaxation given the discrete outcome).
	NeedsRelaxedConditional
	// NeedsCurvatureProducts: the objective implements objective.Curved or
	// objective.HessVec (second derivatives along a direction).
	NeedsCurvatureProducts
	// NeedsFactorized: the family implements dist.Factorized (independent
	// categorical coordinates with their own logits).
	NeedsFactorized
	// NeedsRelaxedLocation: the family implements dist.RelaxedLocation
	// (pre-activations are logits plus noise independent of θ).
	NeedsRelaxedLocation
)

// Info describes an estimator: what it is, what it needs and what it costs.
type Info struct {
	// Name is the registered name.
	Name string
	// Summary is a one-line description.
	Summary string
	// Unbiased reports whether E[estimate] = ∇θ E[f] exactly.
	Unbiased bool
	// Needs lists the capabilities required of the family and objective.
	Needs Needs
	// MinSamples is the smallest n the estimator accepts (1 if zero).
	MinSamples int
	// Cost describes the evaluations one sample costs, e.g. "1 f" or
	// "2·P f" (P = number of parameters).
	Cost string
	// Stateful reports whether estimates depend on earlier calls; the
	// estimator then implements Stateful (and so Resetter), and otherwise
	// does not.
	Stateful bool
}

// Cost counts the evaluations one estimate used.
type Cost struct {
	F    int // evaluations of f
	Grad int // evaluations of ∇f (each also yields f)
}

// Estimator estimates gradients of expectations.
//
// An Estimator value is not safe for concurrent use: it may keep scratch
// buffers and state. Create one per goroutine with New.
type Estimator interface {
	// Info describes the estimator.
	Info() Info
	// Estimate writes one n-sample estimate of ∇θ E_{p(θ)}[f] into grad
	// (len p.NumParams(); wrong length panics) and returns the evaluations it
	// used. It returns an error wrapping ErrUnsupported, leaving grad
	// unspecified, if p, f or n lacks something the estimator needs.
	// In steady state it allocates nothing.
	Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error)
}

// Resetter is implemented by stateful estimators (moving-average baselines,
// online-tuned control variates). Reset returns the estimator to its initial
// state; runners call it at the start of every independent replication block
// so that results do not depend on scheduling.
type Resetter interface {
	Reset()
}

// ErrUnsupported is wrapped by the error an estimator returns for a
// (family, objective, n) it cannot handle.
var ErrUnsupported = errors.New("unsupported")

// Unsupported returns an error wrapping ErrUnsupported that names the
// estimator and says why.
func Unsupported(name, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", name, ErrUnsupported, fmt.Sprintf(format, args...))
}

// grow returns buf resliced to length n, reallocating only when its capacity
// is too small.
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// zero sets every element of s to 0.
func zero(s []float64) {
	for i := range s {
		s[i] = 0
	}
}

// scale multiplies every element of s by a.
func scale(a float64, s []float64) {
	for i := range s {
		s[i] *= a
	}
}

// checkGrad panics if len(grad) is not p.NumParams().
func checkGrad(grad []float64, p dist.Distribution) {
	if len(grad) != p.NumParams() {
		panic(fmt.Sprintf("estimators: gradient length %d, want %d parameters of %s", len(grad), p.NumParams(), p.Name()))
	}
}

// chunkRows returns how many samples of dimension d a batched hot loop
// processes per call: up to 256 samples and 4096 values, at least 1, at
// most n.
func chunkRows(n, d int) int {
	return max(1, min(n, 256, 4096/max(d, 1)))
}
