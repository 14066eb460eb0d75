package objective

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestOneHotVecObjectives checks the gradients of onehot-poly and
// onehot-abs against central differences at relaxed points (blocks on
// the simplex, away from the kinks), and their values on one-hot points.
func TestOneHotVecObjectives(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		f Differentiable
		k int
	}{
		{OneHotPoly{K: 2, C: 0, T: 0.45, P: 2}, 2},
		{OneHotPoly{K: 2, C: 0, T: 0.45, P: 1.5}, 2},
		{OneHotPoly{K: 3, C: 1, T: 0.3, P: 3}, 3},
		{OneHotAbs{K: 3, Seed: 7}, 3},
		{OneHotAbs{K: 10, Seed: 1}, 10},
	} {
		for D := 1; D <= 4; D++ {
			x := make([]float64, D*c.k)
			for d := range D {
				s := 0.0
				for j := range c.k {
					x[d*c.k+j] = rng.Float64() + 0.05
					s += x[d*c.k+j]
				}
				for j := range c.k {
					x[d*c.k+j] /= s
				}
			}
			g := make([]float64, len(x))
			v := c.f.Grad(g, x)
			if v != c.f.Value(x) {
				t.Errorf("%s: Grad returns %v, Value %v", c.f.Name(), v, c.f.Value(x))
			}
			want := fd.Gradient(nil, c.f.Value, x, &fd.Settings{Formula: fd.Central})
			for i := range g {
				if !scalar.EqualWithinAbsOrRel(g[i], want[i], 1e-6, 1e-6) {
					t.Errorf("%s D=%d: ∂f/∂x[%d] = %v, finite differences %v", c.f.Name(), D, i, g[i], want[i])
				}
			}
		}
	}
	// Values on one-hot points.
	p := OneHotPoly{K: 2, C: 0, T: 0.45, P: 2}
	if got, want := p.Value([]float64{1, 0, 0, 1}), (0.55*0.55+0.45*0.45)/2; math.Abs(got-want) > 1e-15 {
		t.Errorf("onehot-poly at (z = 1, z = 0) = %v, want %v", got, want)
	}
	a := OneHotAbs{K: 4, Seed: 3}
	x := make([]float64, 3*4)
	want := 0.0
	for d, k := range []int{0, 3, 1} {
		x[d*4+k] = 1
		b := a.Target(d)
		if b < 0 || b >= 4 {
			t.Fatalf("target %d of block %d out of range", b, d)
		}
		want += math.Abs(float64(k - b))
	}
	if got := a.Value(x); got != want {
		t.Errorf("onehot-abs = %v, want %v", got, want)
	}
	if !math.IsNaN(a.Value(make([]float64, 5))) || !math.IsNaN(p.Value(make([]float64, 3))) {
		t.Error("a length not a multiple of k gives a number, want NaN")
	}
	for _, bad := range []map[string]float64{{"p": 0.5}, {"c": 2}, {"k": 0}} {
		if _, err := New("onehot-poly", bad); err == nil {
			t.Errorf("onehot-poly %v accepted", bad)
		}
	}
}
