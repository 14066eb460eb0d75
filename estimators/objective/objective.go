// Package objective defines the integrands f(x) whose expectations the
// gradient estimators differentiate, with their optional capabilities:
// gradients, diagonal curvature, and closed-form expectations under the
// normal family (the reference gradients).
//
// Objectives on vectors are mostly sums over dimensions of one scalar
// function, f(x) = Σ_d g(x_d); a 1-D objective is the case D = 1. Those
// whose Hessian is not diagonal (onehot-quadratic here, the log-likelihood
// of experiments/models/blr) implement Hessian.
package objective

import "github.com/gradbench/gradbench/estimators/internal/params"

// Objective is an integrand f: R^D → R.
type Objective interface {
	// Name returns the registered name, e.g. "quadratic".
	Name() string
	// Value returns f(x).
	Value(x []float64) float64
}

// Differentiable is an objective with a gradient.
type Differentiable interface {
	Objective
	// Grad writes ∇f(x) into dst (len(dst) = len(x)) and returns f(x).
	Grad(dst, x []float64) float64
}

// Curved is an objective with second derivatives, as the delta-method
// control variate needs. A Curved objective that does not also implement
// Hessian has a diagonal Hessian (true of every sum over dimensions).
type Curved interface {
	Differentiable
	// HessDiag writes the diagonal of ∇²f(x) into dst.
	HessDiag(dst, x []float64)
}

// HessVec is a Differentiable objective with Hessian–vector products, for
// objectives whose Hessian is too large to form and whose diagonal costs no
// less than a product (a neural network's log-likelihood): RelaxCV's
// minibatch path tunes τ with it.
type HessVec interface {
	Differentiable
	// HessVec writes ∇²f(x) v into dst (dst, x and v of one length).
	HessVec(dst, x, v []float64)
}

// Hessian is implemented by Curved objectives whose Hessian is not
// diagonal, such as a log-likelihood of a linear model.
type Hessian interface {
	Curved
	// Hessian writes ∇²f(x) into dst (len(x)² values, row-major).
	Hessian(dst, x []float64)
}

// NormalExpectation is an objective with a closed-form expectation under a
// diagonal normal x_d ~ N(mu[d], sigma[d]²).
type NormalExpectation interface {
	Objective
	// NormalExpectation writes ∂E/∂mu into dmu and ∂E/∂sigma into dsigma (each
	// len(mu)) and returns E[f(x)].
	NormalExpectation(dmu, dsigma, mu, sigma []float64) float64
}

// Param describes one named scalar parameter of an objective in
// experiment specs (Default NaN: required).
type Param = params.Param

// Kind describes a registered objective: how to build it from named scalar
// parameters, as experiment specs do.
type Kind struct {
	Name    string
	Formula string // e.g. "(x − k)²"
	Params  []Param
	Make    func(p map[string]float64) (Objective, error)
}

var kinds = params.NewRegistry[Kind]("objective")

// Register makes an objective available by name. It panics if the name is
// empty, already registered, or Make is nil.
func Register(k Kind) { kinds.Add(k.Name, k, k.Make != nil) }

// Names returns the registered objective names, sorted.
func Names() []string { return kinds.Names() }

// Lookup returns the registered objective kind with the given name.
func Lookup(name string) (Kind, bool) { return kinds.Lookup(name) }

// New builds the named objective from named scalar parameters, filling in
// defaults; unknown objectives and unknown or missing parameters are errors.
func New(name string, given map[string]float64) (Objective, error) {
	k, err := kinds.Get(name)
	if err != nil {
		return nil, err
	}
	full, err := params.Fill("objective", name, k.Params, given, true)
	if err != nil {
		return nil, err
	}
	return k.Make(full)
}

// Batch is an objective that evaluates many points per call, which saves
// an interface call per sample in the estimators' hot loops. The points are
// rows stored one after another in x; their dimension is len(x)/len(dst)
// for Values. Results equal those of the per-point methods exactly.
type Batch interface {
	Objective
	// Values writes f(x_i) for every row x_i into dst.
	Values(dst, x []float64)
}

// BatchDifferentiable is a Batch objective with gradients.
type BatchDifferentiable interface {
	Differentiable
	Batch
	// Grads writes ∇f(x_i) for every row x_i into g (len(g) = len(x)).
	Grads(g, x []float64)
}
