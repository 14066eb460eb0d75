package estimators

// The REBAR estimator (Tucker, Mnih, Maddison, Lawson, Sohl-Dickstein
// 2017): RelaxCV with the surrogate η f(σ_τ(z)). Options: eta (initial η,
// default 1), tau (initial τ, default 0.5), lr (Adam learning rate of the
// variance minimisation, default 0.01; 0 never adapts), tune_tau (default
// true; needs the objective's curvature: its diagonal Hessian, or the full
// one where it implements objective.Hessian).
func init() { Register("rebar", relaxCVFactory(false)) }
