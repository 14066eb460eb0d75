package estimators

// The REBAR estimator (Tucker, Mnih, Maddison, Lawson, Sohl-Dickstein
// 2017): RelaxCV with the surrogate η f(σ_τ(z)). Options: eta (initial η,
// default 1), tau (initial τ, default 0.5), lr (Adam learning rate of the
// variance minimisation, default 0.01; 0 never adapts), tune_tau (default
// true; needs the objective's curvature: its diagonal Hessian, or the full
// one where it implements objective.Hessian), beta1 (Adam's first-moment
// decay, default 0.9), and objective (what the minibatch path's single
// step per minibatch minimises: params, the default, the squared norm of
// the model-parameter gradient where the minibatch is a GradMetric, else,
// and always with example, the sum of the examples' squared estimates;
// Estimate's per-call step is unaffected).
func init() { Register("rebar", relaxCVFactory(false)) }
