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
	for _, f := range []Curved{TargetQuadratic{T: 0.45, Step: 0.1}, OneHotTable{C: 1.3}, LinQuad{A: 0.5, Q: -2}, OneHotQuadratic{M: 1.3}} {
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
// class index, onehot-quadratic equals onehot-table at the vertices but not
// in between, and linquad is linear on {0, 1}.
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
	oq := OneHotQuadratic{M: 1.3}
	for k := range 4 {
		x := make([]float64, 4)
		x[k] = 1
		if a, b := oq.Value(x), oh.Value(x); math.Abs(a-b) > 1e-15 {
			t.Errorf("onehot-quadratic(e_%d) = %v, onehot-table(e_%d) = %v", k, a, k, b)
		}
	}
	// Between the vertices it is not linear: at the uniform point the
	// relaxed index is 1.5, f = 0.2², while the vertex average is 1.45.
	if got, want := oq.Value([]float64{0.25, 0.25, 0.25, 0.25}), 0.2*0.2; math.Abs(got-want) > 1e-15 {
		t.Errorf("onehot-quadratic(uniform) = %v, want %v", got, want)
	}
	for _, name := range []string{"quadratic-t", "onehot-table", "linquad", "onehot-quadratic"} {
		if _, err := New(name, nil); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
}

// TestOneHotQuadraticHessian checks the full Hessian of onehot-quadratic
// against central differences of its gradient, and its diagonal against
// HessDiag.
func TestOneHotQuadraticHessian(t *testing.T) {
	f := OneHotQuadratic{M: 2.2}
	for _, x := range [][]float64{{0.3}, {0.2, 0.7, 0.1}, {1, 0, 0.5, 0.25}} {
		n := len(x)
		h := make([]float64, n*n)
		f.Hessian(h, x)
		d := make([]float64, n)
		f.HessDiag(d, x)
		for j := range n {
			gj := func(y []float64) float64 {
				g := make([]float64, n)
				f.Grad(g, y)
				return g[j]
			}
			want := fd.Gradient(nil, gj, x, &fd.Settings{Formula: fd.Central})
			for k := range n {
				if !scalar.EqualWithinAbsOrRel(h[j*n+k], want[k], 1e-5, 1e-6) {
					t.Errorf("%v: hessian[%d][%d] = %v, fd %v", x, j, k, h[j*n+k], want[k])
				}
			}
			if d[j] != h[j*n+j] {
				t.Errorf("%v: HessDiag[%d] = %v, Hessian %v", x, j, d[j], h[j*n+j])
			}
		}
	}
	var _ Hessian = f
}
