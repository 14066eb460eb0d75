package objective

// Objectives for discrete outcomes that also take relaxed inputs (points of
// [0, 1]^D or of the probability simplex) and have gradients there, as the
// relaxation-based estimators need. Quadratic with K = t is the scalar
// (b − t)² of the REBAR toy problem.

// TargetQuadratic is f(x) = Σ_d (x_d − t_d)² with per-coordinate targets
// t_d = T + Step·d, for binary outcomes x ∈ {0, 1}^D and their relaxations.
type TargetQuadratic struct {
	T, Step float64
}

// Name returns "quadratic-t".
func (TargetQuadratic) Name() string { return "quadratic-t" }

// Value returns Σ_d (x_d − t_d)².
func (q TargetQuadratic) Value(x []float64) float64 {
	s := 0.0
	for d, v := range x {
		e := v - q.T - q.Step*float64(d)
		s += e * e
	}
	return s
}

// Grad writes 2(x_d − t_d) into dst and returns f(x).
func (q TargetQuadratic) Grad(dst, x []float64) float64 {
	s := 0.0
	for d, v := range x {
		e := v - q.T - q.Step*float64(d)
		s += e * e
		dst[d] = 2 * e
	}
	return s
}

// HessDiag writes 2 into every element of dst.
func (TargetQuadratic) HessDiag(dst, _ []float64) {
	for i := range dst {
		dst[i] = 2
	}
}

// OneHotTable is the value table over one-hot categorical outcomes,
// f(x) = Σ_k v_k x_k with v_k = (k − C)², k = 0, …, K−1 and K = len(x). It is
// linear in x, so it extends to the simplex, and on the unit vector e_k it
// equals the Table objective (i − c)² at the class index i = k.
type OneHotTable struct {
	C float64
}

// Name returns "onehot-table".
func (OneHotTable) Name() string { return "onehot-table" }

// Value returns Σ_k (k − C)² x_k.
func (o OneHotTable) Value(x []float64) float64 {
	s := 0.0
	for k, v := range x {
		e := float64(k) - o.C
		s += e * e * v
	}
	return s
}

// Grad writes v_k = (k − C)² into dst and returns f(x).
func (o OneHotTable) Grad(dst, x []float64) float64 {
	s := 0.0
	for k, v := range x {
		e := float64(k) - o.C
		dst[k] = e * e
		s += e * e * v
	}
	return s
}

// HessDiag writes 0 into every element of dst.
func (OneHotTable) HessDiag(dst, _ []float64) { clear(dst) }

// LinQuad is f(x) = Σ_d (A x_d + Q x_d²). On binary outcomes x_d² = x_d, so
// f is linear there, but not on the relaxed points in between: relaxations
// see a curvature the discrete problem does not have.
type LinQuad struct {
	A, Q float64
}

// Name returns "linquad".
func (LinQuad) Name() string { return "linquad" }

// Value returns Σ_d (A x_d + Q x_d²).
func (l LinQuad) Value(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += (l.A + l.Q*v) * v
	}
	return s
}

// Grad writes A + 2Q x_d into dst and returns f(x).
func (l LinQuad) Grad(dst, x []float64) float64 {
	s := 0.0
	for d, v := range x {
		s += (l.A + l.Q*v) * v
		dst[d] = l.A + 2*l.Q*v
	}
	return s
}

// HessDiag writes 2Q into every element of dst.
func (l LinQuad) HessDiag(dst, _ []float64) {
	for i := range dst {
		dst[i] = 2 * l.Q
	}
}

func init() {
	Register(Kind{
		Name:    "quadratic-t",
		Formula: "Σ_d (x_d − t − step·d)²",
		Params: []Param{
			{Name: "t", Default: 0.49, Doc: "target of the first coordinate"},
			{Name: "step", Default: 0, Doc: "increment of the target per coordinate"},
		},
		Make: func(p map[string]float64) (Objective, error) { return TargetQuadratic{T: p["t"], Step: p["step"]}, nil },
	})
	Register(Kind{
		Name:    "onehot-table",
		Formula: "Σ_k (k − c)² x_k, x one-hot",
		Params:  []Param{{Name: "c", Default: 0.49, Doc: "centre of the table"}},
		Make:    func(p map[string]float64) (Objective, error) { return OneHotTable{C: p["c"]}, nil },
	})
	Register(Kind{
		Name:    "linquad",
		Formula: "Σ (a x + q x²)",
		Params: []Param{
			{Name: "a", Default: 1, Doc: "linear coefficient"},
			{Name: "q", Default: -1, Doc: "quadratic coefficient"},
		},
		Make: func(p map[string]float64) (Objective, error) { return LinQuad{A: p["a"], Q: p["q"]}, nil },
	})
}
