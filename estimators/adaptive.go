package estimators

// Adaptive is implemented by stateful estimators that tune internal
// parameters online, such as REBAR's η and τ and RELAX's surrogate network.
//
// The update step is part of Estimate: each call first computes its estimate
// with the current parameters, then, unless frozen, takes one optimizer step
// on them using the same samples (for REBAR and RELAX, a stochastic
// gradient of the estimator's variance). The estimate never depends on its
// own samples through the parameters, so an unbiased estimator stays
// unbiased: successive estimates are martingale differences around the true
// gradient. Reset restores the initial parameters.
type Adaptive interface {
	Estimator
	Resetter
	// SetFrozen stops (true) or resumes (false) the update step of Estimate.
	SetFrozen(frozen bool)
	// Frozen reports whether the update step is stopped.
	Frozen() bool
	// Tuned returns the current values of the tuned scalar parameters, by
	// name (for example "eta" and "tau"), in a new map.
	Tuned() map[string]float64
	// Clone returns an independent estimator in the same state (parameters,
	// optimizer moments, frozen flag), for example to measure the variance
	// of the current estimator without disturbing the one being trained.
	Clone() Estimator
}
