package estimators

// The straight-through Gumbel-Softmax estimator (Jang, Gu, Poole 2017):
// the forward pass uses the discrete sample b = H(z) and the backward pass
// the Jacobian of the relaxation,
//
//	∇θ E[f] ≈ (1/n) Σ_i (∂z/∂θ)ᵀ (∂σ_τ/∂z)ᵀ ∇f(H(z_i)).
//
// It is biased at every τ; it is GumbelSoftmax with Straight set.
func init() {
	Register("st-gumbel", func(o *Options) (Estimator, error) {
		tau, err := o.Float("tau", 0.5)
		if err != nil {
			return nil, err
		}
		return NewGumbelSoftmax(tau, true)
	})
}
