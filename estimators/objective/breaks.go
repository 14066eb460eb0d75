package objective

// Breakpointer is an objective f(x) = Σ_d g(x_d) whose scalar function g is
// smooth except at finitely many points (jumps or kinks). Quadrature rules
// place panel edges at these points so that the non-smoothness does not spoil
// their accuracy.
type Breakpointer interface {
	Objective
	// Breakpoints returns the points where g is not smooth, in increasing
	// order. The caller must not modify the returned slice.
	Breakpoints() []float64
}
