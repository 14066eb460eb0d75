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

// TestDenseGradients checks Backward and BackwardInput against central
// differences, in both weight layouts, for one row and for a batch.
func TestDenseGradients(t *testing.T) {
	t.Parallel()
	for _, inMajor := range []bool{false, true} {
		for _, batch := range []int{1, 3} {
			testDenseGradients(t, batch, inMajor)
		}
	}
}

func testDenseGradients(t *testing.T, batch int, inMajor bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	const in, out = 4, 5
	l := NewDense(in, out, rng)
	if inMajor {
		l = NewDenseInMajor(in, out, rand.New(rand.NewPCG(1, 2)))
	}
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
			t.Errorf("in-major %v, batch %d: %s: got %v, want %v", inMajor, batch, name, got, want)
		}
	}
	check("dW", l.W, l.GW)
	check("db", l.B, l.GB)
	check("dx", x, dx)
	dx2 := make([]float64, len(x))
	l.BackwardInput(dx2, c)
	check("dx (BackwardInput)", x, dx2)

	// AddTangent: c · (dx Wᵀ) = (c W) · dx, the directional derivative.
	dir, ty := randSlice(len(x), rng), make([]float64, len(y))
	l.AddTangent(ty, dir)
	if got, want := floats.Dot(c, ty), floats.Dot(dx2, dir); math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
		t.Errorf("in-major %v, batch %d: AddTangent: c·dy = %v, want %v", inMajor, batch, got, want)
	}

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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// TestBernoulliLogLikBlocked: the blocked sum agrees with BernoulliLogLik
// to 1e-13 relative (plus 1e-13 absolute) and its gradient to 1e-15, on
// 784 logits of every size from −40 to 40 (tiny and large e^(−|l|)) with
// binary and grey targets, and on short and ragged lengths.
func TestBernoulliLogLikBlocked(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 31, 32, 33, 784} {
		for rep := range 50 {
			l, x := make([]float64, n), make([]float64, n)
			for d := range l {
				l[d] = 80 * (rng.Float64() - 0.5)
				if rep%2 == 0 {
					l[d] = 4 * rng.NormFloat64()
				}
				x[d] = float64(rng.IntN(2))
				if rep%3 == 0 {
					x[d] = rng.Float64()
				}
			}
			g1, g2 := make([]float64, n), make([]float64, n)
			want := BernoulliLogLik(g1, x, l)
			got := BernoulliLogLikBlocked(g2, x, l)
			if math.Abs(got-want) > 1e-13*(1+math.Abs(want)) {
				t.Fatalf("n %d: %v, want %v (diff %g)", n, got, want, got-want)
			}
			if v := BernoulliLogLikBlocked(nil, x, l); v != got {
				t.Fatalf("n %d: without gradient %v, with %v", n, v, got)
			}
			for d := range g1 {
				if math.Abs(g1[d]-g2[d]) > 1e-15 {
					t.Fatalf("n %d: gradient %d: %v, want %v", n, d, g2[d], g1[d])
				}
			}
		}
	}
}

// TestLeakyReLUBits checks that the branch-free leaky ReLU gives the bits of
// the branch it replaces (scale v and dy by LeakySlope where v < 0, keep
// them otherwise), on random values of both signs and sizes and on ±0, ±Inf
// and NaN, for the output and for the gradient.
func TestLeakyReLUBits(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	// −0 is not negative: its gradient is dy, not 0.3 dy (a select on the
	// sign bit would get it wrong; dy[1] = 1 shows it), and neither is a
	// NaN with its sign bit set.
	x := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(), -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64}
	for range 10000 {
		x = append(x, rng.NormFloat64()*math.Pow(10, 20*rng.Float64()-10))
	}
	dy := make([]float64, len(x))
	for i := range dy {
		dy[i] = rng.NormFloat64()
	}
	dy[0], dy[1], dy[2] = math.Copysign(0, -1), 1, math.Inf(-1)
	y, dx := make([]float64, len(x)), make([]float64, len(x))
	LeakyReLU.Apply(y, x)
	LeakyReLU.Backward(dx, x, dy)
	for i, v := range x {
		wy, wdx := v, dy[i]
		if v < 0 {
			wy, wdx = v*LeakySlope, dy[i]*LeakySlope
		}
		if math.Float64bits(y[i]) != math.Float64bits(wy) || math.Float64bits(dx[i]) != math.Float64bits(wdx) {
			t.Fatalf("x = %v, dy = %v: got %v, %v; want %v, %v", v, dy[i], y[i], dx[i], wy, wdx)
		}
	}
}

// BenchmarkLeakyReLU times the activation and its gradient on a 100 × 200
// batch of random signs (the nonlinear decoder's hidden layer at 100
// importance samples).
func BenchmarkLeakyReLU(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := randSlice(100*200, rng)
	y, dx := make([]float64, len(x)), make([]float64, len(x))
	for b.Loop() {
		LeakyReLU.Apply(y, x)
		LeakyReLU.Backward(dx, y, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*len(x)), "ns/value")
}
