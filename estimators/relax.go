package estimators

// The RELAX estimator (Grathwohl, Choi, Wu, Roeder, Duvenaud 2018):
// RelaxCV with the surrogate η f(σ_τ(z)) + r_φ, r_φ a one-hidden-layer
// network. Options: those of rebar, and
//
//	hidden      units of the network (default 16)
//	activation  tanh (default) or leaky_relu (slope 0.3, as the DisARM
//	            reference's 137-unit network)
//	input       z (default): the network sees z; xz: the example's
//	            conditioning input x followed by z, as in the references
//	            (needs a ContextMinibatch: Estimate and other minibatches
//	            return an error wrapping ErrUnsupported)
//	scale_net   false (default); true: η scales the network too,
//	            c = η (f(σ_τ(z)) + r_φ), as in the references
//
// The DisARM reference's setup is hidden = 137, activation = leaky_relu,
// input = xz, scale_net = true, tau = 0.1, lr = 1e-4, beta1 = 0.999 and
// objective = params on a minibatch with a GradMetric (see
// relaxcv_minibatch.go).
func init() { Register("relax", relaxCVFactory(true)) }
