package train

import (
	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/optim"
	"github.com/gradbench/gradbench/experiments/store"
)

// Model is what the engine trains: the parameters of a [train] spec's
// family, Bayesian logistic regression, or a VAE. One Model value belongs to
// one run; it is not safe for concurrent use.
//
// A training step is: Step writes the gradient of the loss into every
// group's Grad; the engine checks the gradient is finite and moves each
// group's Params with the group's optimizer; Update then checks the new
// parameters. A step whose Step or Update fails, or whose gradient or
// parameters are not finite, stops the run there (a stopped curve point),
// the same way for every model.
type Model interface {
	// Groups returns the parameter groups the optimizers move, each with
	// its own optimizer and schedule. The slices are the model's own
	// storage: the engine updates them in place.
	Groups() []Group
	// Step computes the gradient of one training step into the groups'
	// Grad, with est for the gradient of the expectation. The estimator's
	// own draws come from r.Estimator, everything else from r.Data. It
	// returns the evaluations est used and the step's training objective
	// (NaN if the model has none).
	Step(est estimators.Estimator, r *Streams) (estimators.Cost, float64, error)
	// Update checks the parameters after the optimizers moved them and
	// recomputes what depends on them; an error stops the run.
	Update() error
	// Evaluate measures the model at the current parameters. Evaluations
	// draw from r.Eval; a gradient-variance measurement draws est's samples
	// from r.Variance and its minibatches from r.VarianceData. est is a
	// frozen snapshot of the training estimator (estimators.Snapshot), so
	// measuring never changes the training run.
	Evaluate(est estimators.Estimator, r *Streams) (Evaluation, error)
	// MarshalBinary encodes the model's state beyond its groups'
	// parameters (minibatch order, for example) for a checkpoint.
	MarshalBinary() ([]byte, error)
	// UnmarshalBinary restores it; the engine then restores the groups'
	// parameters and calls Update.
	UnmarshalBinary([]byte) error
}

// Group is a vector of parameters with its gradient, optimizer and
// learning-rate schedule.
type Group struct {
	Name         string
	Params, Grad []float64
	Optimizer    optim.Optimizer
	Schedule     optim.Schedule
}

// finalEvaluator is a Model with metrics measured at the last step only
// (after Evaluate's, in the same evaluation): the Bernoulli VAE's bound on
// the whole test set.
type finalEvaluator interface {
	EvaluateFinal(r *Streams) []store.KV
}

// Evaluation is what a Model's Evaluate measures.
type Evaluation struct {
	// Objective is the curve's objective (E_p[f] for a [train] spec, the
	// full-data ELBO for blr, the held-out bound for the VAEs), with its
	// standard error (0 when exact) and method.
	Objective, ObjectiveSE float64
	ObjectiveMethod        string
	// GradVariance is the gradient variance written to curves.csv (NaN if
	// not measured), GradNonfinite the measuring draws left out.
	GradVariance  float64
	GradNonfinite int
	// Metrics are written to metrics.csv, in order (model specs).
	Metrics []store.KV
}

// thetaer is implemented by models whose curve points carry their
// parameters as theta.* columns (the [train] model).
type thetaer interface {
	Theta() []store.KV
}
