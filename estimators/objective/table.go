package objective

import (
	"fmt"
	"math"
)

// maxTableSize bounds the size parameter of the registered "table"
// objective.
const maxTableSize = 1 << 20

// Table is a value table over a discrete outcome: f(x) = Σ_d V[x_d] for
// integer x_d in [0, len(V)). It is meant for Bernoulli (len(V) = 2) and
// categorical families and is not differentiable.
type Table struct {
	V []float64
}

// Name returns "table".
func (Table) Name() string { return "table" }

// Value returns Σ_d V[x_d], or NaN if some x_d is not an integer in
// [0, len(V)).
func (t Table) Value(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		i := int(v)
		if v < 0 || v >= float64(len(t.V)) || float64(i) != v {
			return math.NaN()
		}
		s += t.V[i]
	}
	return s
}

// NewSquareTable returns the table V[i] = (i − c)², i = 0, …, size−1. It
// returns an error if size is not an integer in [1, 2²⁰] or c is not finite.
func NewSquareTable(size, c float64) (Table, error) {
	if size < 1 || size > maxTableSize || size != math.Trunc(size) {
		return Table{}, fmt.Errorf("objective \"table\": parameter size = %v, want an integer in [1, %d]", size, maxTableSize)
	}
	if math.IsNaN(c) || math.IsInf(c, 0) {
		return Table{}, fmt.Errorf("objective \"table\": parameter c = %v, want a finite number", c)
	}
	v := make([]float64, int(size))
	for i := range v {
		d := float64(i) - c
		v[i] = d * d
	}
	return Table{V: v}, nil
}

func init() {
	Register(Kind{
		Name:    "table",
		Formula: "Σ (x − c)², x ∈ {0, …, size−1}",
		Params: []Param{
			{Name: "size", Default: 2, Doc: "number of outcomes (2 for Bernoulli)"},
			{Name: "c", Default: 0.49, Doc: "target; the default is the REBAR toy problem's 0.49"},
		},
		Make: func(p map[string]float64) (Objective, error) { return NewSquareTable(p["size"], p["c"]) },
	})
}
