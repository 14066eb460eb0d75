package objective

// OneHotQuadratic is f(x) = (Σ_k k·x_k − M)² over one-hot categorical
// outcomes x ∈ {e_0, …, e_{K−1}} (K = len(x)) and their relaxations on the
// probability simplex: the square of the distance between the (relaxed)
// class index Σ_k k·x_k and the target M. On the unit vector e_k it equals
// (k − M)², the OneHotTable value with C = M, so the two objectives have
// the same expectation and the same exact gradient under every categorical
// law; between the vertices f is quadratic, not linear, so relaxations
// (Gumbel-Softmax, straight-through) and MuProp's first-order control
// variate see a curvature that OneHotTable lacks. Its Hessian 2·v·vᵀ with
// v_k = k is dense: it implements Hessian.
type OneHotQuadratic struct {
	M float64
}

// Name returns "onehot-quadratic".
func (OneHotQuadratic) Name() string { return "onehot-quadratic" }

// index returns Σ_k k·x_k − M.
func (o OneHotQuadratic) index(x []float64) float64 {
	s := -o.M
	for k, v := range x {
		s += float64(k) * v
	}
	return s
}

// Value returns (Σ_k k·x_k − M)².
func (o OneHotQuadratic) Value(x []float64) float64 {
	e := o.index(x)
	return e * e
}

// Grad writes 2k(Σ_j j·x_j − M) into dst[k] and returns f(x).
func (o OneHotQuadratic) Grad(dst, x []float64) float64 {
	e := o.index(x)
	for k := range x {
		dst[k] = 2 * float64(k) * e
	}
	return e * e
}

// HessDiag writes 2k² into dst[k].
func (OneHotQuadratic) HessDiag(dst, _ []float64) {
	for k := range dst {
		dst[k] = 2 * float64(k) * float64(k)
	}
}

// Hessian writes the constant Hessian 2jk (row j, column k, row-major) into
// dst (len(x)² values).
func (OneHotQuadratic) Hessian(dst, x []float64) {
	n := len(x)
	for j := range n {
		for k := range n {
			dst[j*n+k] = 2 * float64(j) * float64(k)
		}
	}
}

func init() {
	Register(Kind{
		Name:    "onehot-quadratic",
		Formula: "(Σ_k k x_k − m)², x one-hot",
		Params:  []Param{{Name: "m", Default: 0.49, Doc: "target of the class index"}},
		Make:    func(p map[string]float64) (Objective, error) { return OneHotQuadratic{M: p["m"]}, nil },
	})
}
