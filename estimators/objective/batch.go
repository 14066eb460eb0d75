package objective

// rowValues writes value(x_i) for every row of x into dst, the rows having
// length len(x)/len(dst).
func rowValues[F Objective](f F, dst, x []float64) {
	if len(dst) == 0 {
		return
	}
	d := len(x) / len(dst)
	for i := range dst {
		dst[i] = f.Value(x[i*d : (i+1)*d])
	}
}

// The separable objectives Σ_d g(x_d) compute per-row gradients of a
// concatenation of rows with one call to Grad.

// Values writes f(x_i) for every row into dst.
func (q Quadratic) Values(dst, x []float64) {
	if len(dst) != len(x) {
		rowValues(q, dst, x)
		return
	}
	for i, v := range x {
		d := v - q.K
		dst[i] = d * d
	}
}

// Grads writes ∇f(x_i) for every row into g.
func (q Quadratic) Grads(g, x []float64) { q.Grad(g, x) }

// Values writes f(x_i) for every row into dst.
func (l Linear) Values(dst, x []float64) { rowValues(l, dst, x) }

// Grads writes ∇f(x_i) for every row into g.
func (l Linear) Grads(g, x []float64) { l.Grad(g, x) }

// Values writes f(x_i) for every row into dst.
func (c Cos) Values(dst, x []float64) { rowValues(c, dst, x) }

// Grads writes ∇f(x_i) for every row into g.
func (c Cos) Grads(g, x []float64) { c.Grad(g, x) }

// Values writes f(x_i) for every row into dst.
func (o Gaussian) Values(dst, x []float64) { rowValues(o, dst, x) }

// Grads writes ∇f(x_i) for every row into g.
func (o Gaussian) Grads(g, x []float64) { o.Grad(g, x) }

// Values writes f(x_i) for every row into dst.
func (q Quartic) Values(dst, x []float64) { rowValues(q, dst, x) }

// Grads writes ∇f(x_i) for every row into g.
func (q Quartic) Grads(g, x []float64) { q.Grad(g, x) }

// Values writes f(x_i) for every row into dst.
func (s Step) Values(dst, x []float64) { rowValues(s, dst, x) }
