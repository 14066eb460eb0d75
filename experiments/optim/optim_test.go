package optim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// quadGrad writes the gradient of f(x) = Σ a_i (x_i − c_i)² into g and
// returns f(x).
func quadGrad(g, x, a, c []float64) float64 {
	f := 0.0
	for i := range x {
		d := x[i] - c[i]
		f += a[i] * d * d
		g[i] = 2 * a[i] * d
	}
	return f
}

// TestOptimizersConverge runs every optimizer with every schedule on the
// deterministic quadratic f(x) = Σ a_i (x_i − c_i)² with curvatures 2a_i
// from 1 to 4, from x = 0, for 1000 steps.
//
// Plain SGD multiplies the error of coordinate i by 1 − 2η_t a_i ∈ [0, 1)
// at each step (all rates here have 2η_t a_i ≤ 0.8), which is at most
// exp(−2η_t a_i), so |x_i − c_i| ≤ |c_i| exp(−2a_i Σ_t η_t): the test
// computes this bound from the schedule (about 1e-5 for inverse-sqrt, far
// smaller for the others) and allows 1e-12 for rounding. Heavy-ball
// momentum (β = 0.5) contracts each coordinate by at least √β ≈ 0.71 per
// step at constant rate; it is held to 1e-3. Adam's step is η_t m̂/(√v̂+ε)
// where v̂ is a weighted mean of past g² with weights summing to 1, so
// √v̂ ≤ G_i = max_t |g_i|; treating m̂ as the current gradient, Adam is SGD
// at rate at least η_t/G_i, and its error is bounded as above with Σ η_t/G_i,
// plus the oscillation of about one step (twice the last rate) that its
// normalised steps leave around the minimum, plus 1e-3.
func TestOptimizersConverge(t *testing.T) {
	t.Parallel()
	a := []float64{0.5, 1, 2}
	c := []float64{3, -2, 0.5}
	const steps = 1000
	for _, tc := range []struct {
		opt      string
		momentum float64
		lr       float64
	}{{"sgd", 0, 0.2}, {"sgd", 0.5, 0.2}, {"adam", 0, 0.1}} {
		for _, sname := range []string{"constant", "cosine", "quarter-cosine", "inverse-sqrt"} {
			opt, err := New(tc.opt, tc.momentum)
			if err != nil {
				t.Fatal(err)
			}
			sched, err := NewSchedule(sname, tc.lr, steps)
			if err != nil {
				t.Fatal(err)
			}
			x, g := make([]float64, 3), make([]float64, 3)
			f0 := quadGrad(g, x, a, c)
			sum := 0.0
			gmax := make([]float64, 3)
			for s := range steps {
				quadGrad(g, x, a, c)
				for i := range g {
					gmax[i] = max(gmax[i], math.Abs(g[i]))
				}
				opt.Step(x, g, sched(s))
				sum += sched(s)
			}
			f := quadGrad(g, x, a, c)
			for i := range x {
				var bound float64
				switch {
				case tc.opt == "adam":
					bound = math.Abs(c[i])*math.Exp(-2*a[i]*sum/gmax[i]) + 2*sched(steps-1) + 1e-3
				case tc.momentum > 0:
					bound = 1e-3
				default:
					bound = math.Abs(c[i])*math.Exp(-2*a[i]*sum) + 1e-12
				}
				if d := math.Abs(x[i] - c[i]); d > bound || !(f < f0) {
					t.Errorf("%s (momentum %v), %s schedule: |x[%d] − c| = %.3g (bound %.3g), f %.3g → %.3g",
						tc.opt, tc.momentum, sname, i, d, bound, f0, f)
				}
			}
		}
	}
}

// TestSGDSteps checks plain and momentum SGD against hand computation.
func TestSGDSteps(t *testing.T) {
	t.Parallel()
	o, _ := New("sgd", 0.5)
	x := []float64{1, 2}
	o.Step(x, []float64{1, -2}, 0.1) // v = (1, −2), x = (0.9, 2.2)
	o.Step(x, []float64{1, 0}, 0.1)  // v = (1.5, −1), x = (0.75, 2.3)
	if math.Abs(x[0]-0.75) > 1e-15 || math.Abs(x[1]-2.3) > 1e-15 {
		t.Errorf("momentum SGD: x = %v, want [0.75 2.3]", x)
	}
	o.Reset()
	o.Step(x, []float64{1, 0}, 0.1) // v reset: x = (0.65, 2.3)
	if math.Abs(x[0]-0.65) > 1e-15 {
		t.Errorf("momentum SGD after Reset: x = %v, want [0.65 2.3]", x)
	}
}

// TestAdamSteps checks the bias correction: the first Adam step is
// −lr·g/(|g| + ε) in each coordinate, about −lr·sign(g), and a second step
// with the same gradient is the same.
func TestAdamSteps(t *testing.T) {
	t.Parallel()
	o := NewAdam()
	x := []float64{0, 0, 0}
	g := []float64{1e3, -1e-3, 0}
	o.Step(x, g, 0.1)
	want := []float64{-0.1 * 1e3 / (1e3 + 1e-8), 0.1 * 1e-3 / (1e-3 + 1e-8), 0}
	for i := range x {
		if math.Abs(x[i]-want[i]) > 1e-15 {
			t.Errorf("first Adam step: x[%d] = %v, want %v", i, x[i], want[i])
		}
	}
	o.Step(x, g, 0.1)
	for i := range x {
		if math.Abs(x[i]-2*want[i]) > 1e-14 {
			t.Errorf("second Adam step: x[%d] = %v, want %v", i, x[i], 2*want[i])
		}
	}
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	const lr, steps = 0.4, 100
	for _, tc := range []struct {
		name string
		t    int
		want float64
	}{
		{"constant", 0, lr}, {"constant", 99, lr},
		{"cosine", 0, lr}, {"cosine", 50, lr / 2}, {"cosine", 100, 0},
		{"quarter-cosine", 0, lr}, {"quarter-cosine", 50, lr * math.Sqrt2 / 2}, {"quarter-cosine", 100, 0},
		{"inverse-sqrt", 0, lr}, {"inverse-sqrt", 3, lr / 2}, {"inverse-sqrt", 99, lr / 10},
	} {
		s, err := NewSchedule(tc.name, lr, steps)
		if err != nil {
			t.Fatal(err)
		}
		if got := s(tc.t); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s(%d) = %v, want %v", tc.name, tc.t, got, tc.want)
		}
	}
	if s, _ := NewSchedule("cosine", lr, steps); !(s(steps-1) > 0) {
		t.Errorf("cosine: last step has rate %v, want > 0", s(steps-1))
	}
}

func TestOptimizerErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		momentum float64
	}{{"rmsprop", 0}, {"sgd", 1}, {"sgd", -0.1}, {"sgd", math.NaN()}, {"adam", 0.9}} {
		if _, err := New(tc.name, tc.momentum); err == nil {
			t.Errorf("New(%q, %v): no error", tc.name, tc.momentum)
		}
	}
	for _, tc := range []struct {
		name  string
		lr    float64
		steps int
	}{{"linear", 0.1, 10}, {"constant", 0, 10}, {"constant", math.Inf(1), 10}, {"cosine", 0.1, 0}} {
		if _, err := NewSchedule(tc.name, tc.lr, tc.steps); err == nil {
			t.Errorf("NewSchedule(%q, %v, %d): no error", tc.name, tc.lr, tc.steps)
		}
	}
}

// TestAdamVectorSameBits: Adam.Step with its vector kernel (where this
// build has one) leaves the parameters and both moments with the bits of
// its scalar loop alone, over 20 steps of 1001 coordinates (odd, so the
// scalar tail runs too) whose gradients range from 0 and ±1e-300 to ±1e30,
// at constant and changing learning rates.
func TestAdamVectorSameBits(t *testing.T) {
	// Not parallel: it switches the kernel off for the package.
	rng := rand.New(rand.NewPCG(8, 9))
	const n = 1001
	x, g := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	xs := slices.Clone(x)
	vec, one := NewAdam(), NewAdam()
	for step := range 20 {
		for i := range g {
			g[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(61)-30))
			switch rng.IntN(50) {
			case 0:
				g[i] = 0
			case 1:
				g[i] = math.Copysign(1e-300, rng.NormFloat64())
			}
		}
		lr := 1e-3 / float64(1+step%3)
		vec.Step(x, g, lr)
		adamPortable = true
		one.Step(xs, g, lr)
		adamPortable = false
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(xs[i]) || math.Float64bits(vec.m[i]) != math.Float64bits(one.m[i]) || math.Float64bits(vec.v[i]) != math.Float64bits(one.v[i]) {
				t.Fatalf("step %d, coordinate %d (g = %v): vector x %v m %v v %v, scalar x %v m %v v %v", step, i, g[i], x[i], vec.m[i], vec.v[i], xs[i], one.m[i], one.v[i])
			}
		}
	}
}

// BenchmarkAdam: one Adam step over the linear Bernoulli VAE's 314 584
// parameters, with the vector kernel and with the scalar loop alone.
func BenchmarkAdam(b *testing.B) {
	const n = 2*784*200 + 784 + 200
	rng := rand.New(rand.NewPCG(1, 2))
	x, g := make([]float64, n), make([]float64, n)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	for _, portable := range []bool{false, true} {
		name := "vector"
		if portable {
			name = "scalar"
		}
		b.Run(name, func(b *testing.B) {
			o := NewAdam()
			adamPortable = portable
			defer func() { adamPortable = false }()
			for b.Loop() {
				o.Step(x, g, 1e-4)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/param")
		})
	}
}
