package objective

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestDiscreteGradHessDiag checks the gradients and diagonal Hessians of
// the discrete objectives against central differences at relaxed points.
func TestDiscreteGradHessDiag(t *testing.T) {
	points := [][]float64{{0.3}, {0.2, 0.7, 0.1}, {1, 0, 0.5, 0.25}}
	for _, f := range []Curved{TargetQuadratic{T: 0.45, Step: 0.1}, OneHotTable{C: 1.3}, LinQuad{A: 0.5, Q: -2}} {
		for _, x := range points {
			n := len(x)
			g := make([]float64, n)
			if v := f.Grad(g, x); v != f.Value(x) {
				t.Errorf("%s%v: Grad returned %v, Value %v", f.Name(), x, v, f.Value(x))
			}
			want := fd.Gradient(nil, f.Value, x, &fd.Settings{Formula: fd.Central})
			h := make([]float64, n)
			f.HessDiag(h, x)
			for i := range g {
				if !scalar.EqualWithinAbsOrRel(g[i], want[i], 1e-6, 1e-6) {
					t.Errorf("%s%v: grad[%d] = %v, fd %v", f.Name(), x, i, g[i], want[i])
				}
				gi := func(xi float64) float64 {
					y := append([]float64(nil), x...)
					y[i] = xi
					gg := make([]float64, n)
					f.Grad(gg, y)
					return gg[i]
				}
				if w := fd.Derivative(gi, x[i], &fd.Settings{Formula: fd.Central}); !scalar.EqualWithinAbsOrRel(h[i], w, 1e-5, 1e-6) {
					t.Errorf("%s%v: hess[%d] = %v, fd %v", f.Name(), x, i, h[i], w)
				}
			}
		}
	}
}

// TestDiscreteValues checks the objectives on binary and one-hot outcomes:
// quadratic-t is (b − t)² per coordinate, onehot-table equals table at the
// class index, and linquad is linear on {0, 1}.
func TestDiscreteValues(t *testing.T) {
	q := TargetQuadratic{T: 0.499, Step: 0.25}
	if got, want := q.Value([]float64{1, 0}), 0.501*0.501+0.749*0.749; math.Abs(got-want) > 1e-15 {
		t.Errorf("quadratic-t(1, 0) = %v, want %v", got, want)
	}
	tab, err := NewSquareTable(4, 1.3)
	if err != nil {
		t.Fatal(err)
	}
	oh := OneHotTable{C: 1.3}
	for k := range 4 {
		x := make([]float64, 4)
		x[k] = 1
		if a, b := oh.Value(x), tab.Value([]float64{float64(k)}); a != b {
			t.Errorf("onehot-table(e_%d) = %v, table(%d) = %v", k, a, k, b)
		}
	}
	l := LinQuad{A: 0.5, Q: -2}
	if got := l.Value([]float64{1, 0, 1}); got != 2*(0.5-2) {
		t.Errorf("linquad(1,0,1) = %v, want %v", got, 2*(0.5-2))
	}
	for _, name := range []string{"quadratic-t", "onehot-table", "linquad"} {
		if _, err := New(name, nil); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
}
