// Package dist defines the parametric families p(x;θ) whose expectations the
// gradient estimators differentiate, and the optional capabilities a family may
// have (reparameterization, finite support, measure-valued decomposition).
//
// A family's parameters θ form a flat []float64 whose components are named by
// ParamNames, in that order (for example "mu", "sigma" or "mu[0]", …,
// "sigma[D-1]"). Outcomes x are []float64 of length Dim; discrete outcomes are
// stored as float64 values (0/1 for Bernoulli, the category index for
// Categorical).
//
// Methods that take a destination slice panic if its length is wrong, following
// gonum's convention; they never allocate. All randomness comes from the
// *rand.Rand passed in.
package dist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Distribution is a parametric family p(x;θ) at a fixed θ.
type Distribution interface {
	// Name returns the registered name of the family, e.g. "normal".
	Name() string
	// Dim returns the length of an outcome x.
	Dim() int
	// NumParams returns the length of θ.
	NumParams() int
	// ParamNames returns the names of the components of θ, in order.
	ParamNames() []string
	// Params writes θ into dst (len NumParams; nil allocates) and returns it.
	Params(dst []float64) []float64
	// WithParams returns the family at parameters theta, or an error if theta
	// is invalid (for example σ ≤ 0 or NaN).
	WithParams(theta []float64) (Distribution, error)
	// Rand draws x ~ p(·;θ) into x (len Dim).
	Rand(x []float64, rng *rand.Rand)
	// LogProb returns log p(x;θ) (a log-density or a log-probability).
	LogProb(x []float64) float64
	// Score writes ∇θ log p(x;θ) into dst (len NumParams).
	Score(dst, x []float64)
}

// Reparameterized is a family with a pathwise representation x = g(θ, ε),
// ε drawn from a base distribution that does not depend on θ.
type Reparameterized interface {
	Distribution
	// Noise draws base noise ε into eps (len Dim).
	Noise(eps []float64, rng *rand.Rand)
	// Transform writes x = g(θ, ε) into x (len Dim).
	Transform(x, eps []float64)
	// PathVJP adds (∂x/∂θ)ᵀ v to dst, that is dst[j] += Σ_d v[d] ∂x_d/∂θ_j,
	// where x = g(θ, ε). len(dst) = NumParams, len(eps) = len(v) = Dim.
	PathVJP(dst, eps, v []float64)
}

// Finite is a family with finite support, whose outcomes can be enumerated
// for exact expectations.
type Finite interface {
	Distribution
	// SupportSize returns the number of outcomes.
	SupportSize() int
	// Outcome writes the i-th outcome (0 ≤ i < SupportSize) into x and
	// returns its probability.
	Outcome(x []float64, i int) float64
}

// MeasureValued is a family with a measure-valued derivative: for every
// parameter j, ∂/∂θ_j E_p[f] = c_j (E_{p⁺_j}[f] − E_{p⁻_j}[f]).
type MeasureValued interface {
	Distribution
	// MVDSample draws xp ~ p⁺_j and xm ~ p⁻_j (each len Dim) and returns
	// the constant c_j. With coupled set, the two samples share randomness.
	MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64
}

// PartialMeasureValued is a MeasureValued family with a measure-valued
// derivative for some parameters only: MVDSample is called only for the
// parameters j with HasMVD(j) (the others have no known decomposition
// with samplers, such as a Gamma or Weibull shape), and estimators that
// need every parameter's refuse the family or estimate the others another
// way.
type PartialMeasureValued interface {
	MeasureValued
	// HasMVD reports whether parameter j has a measure-valued derivative.
	HasMVD(j int) bool
}

// MovingSupport is implemented by families whose support's ends depend on
// their parameters (the von Mises family's [μ − π, μ + π)): the derivative
// of E[f] then has a boundary term besides ∫ f ∂p/∂θ, which references
// built on that integral (quadrature of f times the score) must not leave
// out.
type MovingSupport interface {
	Distribution
	// MovingSupport reports whether the support's ends move with θ.
	MovingSupport() bool
}

// ErrParam is wrapped by every parameter-validation error.
var ErrParam = errors.New("invalid parameter")

// paramError returns an error wrapping ErrParam that names the family and
// the parameter.
func paramError(family, param string, value float64, want string) error {
	return fmt.Errorf("%w: %s %s = %v, want %s", ErrParam, family, param, value, want)
}

// checkFinite reports whether v is neither NaN nor infinite, else an error.
func checkFinite(family, param string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return paramError(family, param, v, "a finite number")
	}
	return nil
}

// checkPositive returns an error unless v is finite and > 0.
func checkPositive(family, param string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return paramError(family, param, v, "a finite number > 0")
	}
	return nil
}

// checkLen panics if len(s) != n, naming the method.
func checkLen(method string, s []float64, n int) {
	if len(s) != n {
		panic(fmt.Sprintf("dist: %s: slice length %d, want %d", method, len(s), n))
	}
}

// useDst returns dst if it has length n, a new slice if dst is nil, and
// panics otherwise.
func useDst(method string, dst []float64, n int) []float64 {
	if dst == nil {
		return make([]float64, n)
	}
	checkLen(method, dst, n)
	return dst
}

// Moments is a family whose per-dimension mean and variance are known in
// closed form with their θ-gradients, as the delta-method control variate
// needs.
type Moments interface {
	Distribution
	// Mean writes E[x_d] into dst (len Dim).
	Mean(dst []float64)
	// Variance writes Var[x_d] into dst (len Dim).
	Variance(dst []float64)
	// MomentsVJP adds Σ_d a[d] ∂E[x_d]/∂θ_j + b[d] ∂Var[x_d]/∂θ_j to dst[j]
	// (len(dst) = NumParams, len(a) = len(b) = Dim).
	MomentsVJP(dst, a, b []float64)
}

// Quantiler is a 1-D continuous family with a quantile function and a
// cumulative distribution function, used for quadrature references.
type Quantiler interface {
	Distribution
	// Quantile returns the p-quantile, for 0 ≤ p ≤ 1. It panics if p is
	// outside [0, 1].
	Quantile(p float64) float64
	// CDF returns P(x' ≤ x).
	CDF(x float64) float64
}

// BatchReparameterized is a reparameterized family that also draws and
// transforms many samples per call, which saves an interface call per
// sample in the estimators' hot loops. Rows are stored one after another:
// a slice of k samples has length k·Dim. The batch methods consume the
// random stream and round exactly as the per-sample methods would, sample
// after sample, so estimates do not depend on which path is taken.
type BatchReparameterized interface {
	Reparameterized
	// NoiseN draws len(eps)/Dim rows of base noise into eps.
	NoiseN(eps []float64, rng *rand.Rand)
	// TransformN writes x_i = g(θ, ε_i) for every row.
	TransformN(x, eps []float64)
	// PathVJPN adds Σ_i (∂x_i/∂θ)ᵀ v_i to dst, rows in order.
	PathVJPN(dst, eps, v []float64)
}

// SymmetricNoise is implemented by reparameterized families that can say
// whether their base noise ε has the distribution of −ε (antithetic
// pairs (ε, −ε) then keep the pathwise estimator unbiased).
type SymmetricNoise interface {
	Reparameterized
	SymmetricNoise() bool
}

// BatchMeasureValued is a MeasureValued family that draws the pairs of many
// samples per call.
type BatchMeasureValued interface {
	MeasureValued
	// MVDSampleN draws the pairs of len(c)/NumParams samples: pair u = t·P
	// + j (sample t, parameter j) into rows u of xp and xm and its constant
	// into c[u], consuming rng and rounding as MVDSample calls for t = 0,
	// 1, … and, within each, j = 0 … P − 1 would.
	MVDSampleN(xp, xm, c []float64, coupled bool, rng *rand.Rand)
}

// GroupReparameterized is a BatchReparameterized family that also averages
// the path VJPs of groups of rows in one call: the batched replications of
// a sweep, n samples per estimate.
type GroupReparameterized interface {
	BatchReparameterized
	// PathMeans writes into row r of dst (NumParams values per row) the
	// mean over rows i = rn … rn + n − 1 of (∂x_i/∂θ)ᵀ v_i, rounding as
	// zeroing the row, PathVJPN over its rows and multiplying by 1/n
	// would.
	PathMeans(dst, eps, v []float64, n int)
}

// GroupScorer is a BatchScorer that also averages the weighted scores of
// groups of rows in one call, as GroupReparameterized does.
type GroupScorer interface {
	BatchScorer
	// ScoreMeans writes into row r of dst the mean over rows i = rn … rn +
	// n − 1 of w[i] ∇θ log p(x_i;θ), rounding as zeroing the row,
	// ScoreVJPN over its rows and multiplying by 1/n would.
	ScoreMeans(dst, x, w []float64, n int)
}

// BatchScorer is a family that draws samples and accumulates weighted
// scores for many samples per call (rows as in BatchReparameterized).
type BatchScorer interface {
	Distribution
	// RandN draws len(x)/Dim rows x_i ~ p(·;θ) into x.
	RandN(x []float64, rng *rand.Rand)
	// ScoreVJPN adds Σ_i w[i] ∇θ log p(x_i;θ) to dst, rows in order
	// (len(w) = len(x)/Dim).
	ScoreVJPN(dst, x, w []float64)
}
