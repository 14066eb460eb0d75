package estimators

// The RELAX estimator (Grathwohl, Choi, Wu, Roeder, Duvenaud 2018):
// RelaxCV with the surrogate η f(σ_τ(z)) + r_φ(z), r_φ a one-hidden-layer
// tanh network. Options: those of rebar and hidden (units, default 16).
func init() { Register("relax", relaxCVFactory(true)) }
