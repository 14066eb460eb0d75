package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
)

// close reports whether a and b agree to a central-difference tolerance
// (fd's error is O(h²) ≈ 1e-8 relative on these smooth functions).
func closeTo(a, b []float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-5*(1+math.Abs(b[i])) {
			return false
		}
	}
	return true
}

var central = &fd.Settings{Formula: fd.Central}

func randSlice(n int, rng *rand.Rand) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func TestDenseGradients(t *testing.T) {
	for _, batch := range []int{1, 3} {
		testDenseGradients(t, batch)
	}
}

func testDenseGradients(t *testing.T, batch int) {
	rng := rand.New(rand.NewPCG(1, 2))
	const in, out = 4, 5
	l := NewDense(in, out, rng)
	for i := range l.B {
		l.B[i] = rng.NormFloat64()
	}
	x, c := randSlice(batch*in, rng), randSlice(batch*out, rng)
	y := make([]float64, batch*out)
	loss := func() float64 { l.Forward(y, x); return floats.Dot(c, y) }

	dx := make([]float64, len(x))
	l.Backward(dx, x, c) // dL/dy = c
	check := func(name string, v, got []float64) {
		want := fd.Gradient(nil, func(p []float64) float64 {
			old := append([]float64(nil), v...)
			copy(v, p)
			r := loss()
			copy(v, old)
			return r
		}, append([]float64(nil), v...), central)
		if !closeTo(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	check("dW", l.W, l.GW)
	check("db", l.B, l.GB)
	check("dx", x, dx)
	dx2 := make([]float64, len(x))
	l.BackwardInput(dx2, c)
	check("dx (BackwardInput)", x, dx2)

	// Backward accumulates.
	gw := append([]float64(nil), l.GW...)
	l.Backward(nil, x, c)
	for i := range gw {
		if math.Abs(l.GW[i]-2*gw[i]) > 1e-12*(1+math.Abs(gw[i])) {
			t.Fatalf("GW[%d] = %v after two passes, want %v", i, l.GW[i], 2*gw[i])
		}
	}
}

func TestPack(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := NewDense(2, 3, rng), NewDense(3, 1, rng)
	w0 := append([]float64(nil), a.W...)
	p, g := Pack(a, b)
	if len(p) != a.NumParams()+b.NumParams() || len(g) != len(p) {
		t.Fatalf("len = %d, %d", len(p), len(g))
	}
	if !floats.Equal(a.W, w0) {
		t.Fatal("Pack changed the weights")
	}
	p[0] = 42
	g[len(g)-1] = 7
	if a.W[0] != 42 || b.GB[0] != 7 {
		t.Fatal("layers do not share the packed slices")
	}
}

func TestActivationGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randSlice(7, rng)
	x[0] = -0.5 // leaky side, away from the kink
	x[1] = 0.5
	c := randSlice(7, rng)
	for _, a := range []Activation{Identity, Tanh, Sigmoid, LeakyReLU} {
		y := make([]float64, len(x))
		a.Apply(y, x)
		dx := make([]float64, len(x))
		a.Backward(dx, y, c)
		want := fd.Gradient(nil, func(p []float64) float64 {
			z := make([]float64, len(p))
			a.Apply(z, p)
			return floats.Dot(c, z)
		}, x, central)
		if !closeTo(dx, want) {
			t.Errorf("activation %d: got %v, want %v", a, dx, want)
		}
	}
}

func TestStableFunctions(t *testing.T) {
	for _, v := range []struct{ x, sp, ls float64 }{
		{0, math.Ln2, -math.Ln2},
		{800, 800, 0},
		{-800, 0, -800},
		{40, 40 + math.Exp(-40), -math.Exp(-40)},
	} {
		if got := Softplus(v.x); math.Abs(got-v.sp) > 1e-12*max(1, math.Abs(v.sp)) {
			t.Errorf("Softplus(%v) = %v, want %v", v.x, got, v.sp)
		}
		if got := LogSigmoid(v.x); math.Abs(got-v.ls) > 1e-12*max(1, math.Abs(v.ls)) && !(v.ls != 0 && math.Abs(got/v.ls-1) < 1e-12) {
			t.Errorf("LogSigmoid(%v) = %v, want %v", v.x, got, v.ls)
		}
	}
	if s := Sigm(-800); s != 0 || math.IsNaN(s) {
		t.Errorf("Sigm(-800) = %v", s)
	}
	y := make([]float64, 3)
	LogSoftmax(y, []float64{1000, 1000, -1000})
	if math.Abs(y[0]+math.Ln2) > 1e-12 || y[2] > -1999 {
		t.Errorf("LogSoftmax = %v", y)
	}
}

func TestLogLikGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	l := randSlice(6, rng)
	x := []float64{0, 1, 1, 0, 0.3, 1}
	got := make([]float64, len(l))
	BernoulliLogLik(got, x, l)
	want := fd.Gradient(nil, func(p []float64) float64 { return BernoulliLogLik(nil, x, p) }, l, central)
	if !closeTo(got, want) {
		t.Errorf("BernoulliLogLik: got %v, want %v", got, want)
	}
	c := randSlice(6, rng)
	y := make([]float64, 6)
	LogSoftmax(y, l)
	dx := make([]float64, 6)
	LogSoftmaxBackward(dx, y, c)
	want = fd.Gradient(nil, func(p []float64) float64 {
		z := make([]float64, len(p))
		LogSoftmax(z, p)
		return floats.Dot(c, z)
	}, l, central)
	if !closeTo(dx, want) {
		t.Errorf("LogSoftmax: got %v, want %v", dx, want)
	}
}

// TestDenseAllocs checks the one-row path (the per-sample objectives of the
// models) allocates nothing; gonum's Dgemm for several rows may start
// goroutines.
func TestDenseAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	l := NewDense(30, 20, rng)
	x, y, dx := make([]float64, 30), make([]float64, 20), make([]float64, 30)
	if a := testing.AllocsPerRun(10, func() { l.Forward(y, x); l.Backward(dx, x, y); l.BackwardInput(dx, y) }); a != 0 {
		t.Errorf("Forward+Backward allocate %v times", a)
	}
}
