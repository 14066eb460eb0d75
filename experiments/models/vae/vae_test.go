package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/models/mnist"
	"github.com/gradbench/gradbench/experiments/optim"
)

var central = &fd.Settings{Formula: fd.Central}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-5*(1+math.Abs(b)) }

func images(n int, rng *rand.Rand) []float64 {
	x := make([]float64, n*mnist.Pixels)
	for i := range x {
		x[i] = rng.Float64()
	}
	return x
}

func TestLikelihoodGradient(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	m, err := New(Config{Hidden: 5, Latent: 3, Batch: 1, Samples: 1}, rng)
	if err != nil {
		t.Fatal(err)
	}
	x := images(1, rng)
	mnist.Binarize(x, x, rng)
	f := m.Objective(x)
	z := []float64{0.3, -1, 0.7}
	g := make([]float64, 3)
	if v := f.Grad(g, z); !near(v, f.Value(z)) {
		t.Fatalf("Grad returns %v, Value %v", v, f.Value(z))
	}
	want := fd.Gradient(nil, f.Value, z, central)
	for d := range g {
		if !near(g[d], want[d]) {
			t.Fatalf("∇z[%d] = %v, fd %v", d, g[d], want[d])
		}
	}
}

// fixedPathwise is a pathwise estimator with one fixed noise vector per
// call, in order, so that the encoder gradient is that of a deterministic
// function of the parameters.
type fixedPathwise struct {
	eps [][]float64
	k   int
}

func (*fixedPathwise) Info() estimators.Info { return estimators.Info{Name: "fixed"} }

func (e *fixedPathwise) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, _ *rand.Rand) (estimators.Cost, error) {
	rp := p.(dist.Reparameterized)
	eps := e.eps[e.k%len(e.eps)]
	e.k++
	x, gx := make([]float64, len(eps)), make([]float64, len(eps))
	rp.Transform(x, eps)
	f.(objective.Differentiable).Grad(gx, x)
	clear(grad)
	rp.PathVJP(grad, eps, gx)
	return estimators.Cost{Grad: 1}, nil
}

// TestStepGradient checks every parameter's gradient in Step against finite
// differences: the encoder part against the negated ELBO with the estimator's
// fixed noise, the decoder part against the negated training ELBO that Step
// returns (its separate samples do not depend on the decoder).
func TestStepGradient(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	c := Config{Hidden: 3, Latent: 2, Batch: 2, Samples: 1}
	m, err := New(c, rng)
	if err != nil {
		t.Fatal(err)
	}
	img := images(c.Batch, rng)
	est := &fixedPathwise{eps: [][]float64{{0.5, -1.2}, {-0.3, 0.8}}}
	step := func() float64 {
		est.k = 0
		_, elbo, err := m.Step(img, est, rand.New(rand.NewPCG(9, 9)), rand.New(rand.NewPCG(9, 9)))
		if err != nil {
			t.Fatal(err)
		}
		return elbo
	}
	step()
	grad := append([]float64(nil), m.Grad...)
	x := append([]float64(nil), m.x...)

	nEnc := m.enc1.NumParams() + m.enc2.NumParams() + m.encOut.NumParams()
	L, P := c.Latent, mnist.Pixels
	// Negated ELBO with the fixed noise, for the encoder.
	encLoss := func(params []float64) float64 {
		old := append([]float64(nil), m.Params...)
		copy(m.Params, params)
		defer copy(m.Params, old)
		eo, h1, h2 := make([]float64, c.Batch*2*L), make([]float64, c.Batch*c.Hidden), make([]float64, c.Batch*c.Hidden)
		m.encode(eo, h1, h2, x)
		var s float64
		z := make([]float64, L)
		for i := range c.Batch {
			mu, ell := eo[i*2*L:i*2*L+L], eo[i*2*L+L:(i+1)*2*L]
			for d := range L {
				sd := math.Exp(ell[d])
				z[d] = mu[d] + sd*est.eps[i][d]
				s -= 0.5 * (mu[d]*mu[d] + sd*sd - 1 - 2*ell[d])
			}
			s += m.Objective(x[i*P : (i+1)*P]).Value(z)
		}
		return -s / float64(c.Batch)
	}
	p0 := append([]float64(nil), m.Params...)
	// Check a spread of encoder components (all of enc2 and encOut, every
	// 97th of enc1) to keep the test fast.
	for j := 0; j < nEnc; j++ {
		if j < m.enc1.NumParams() && j%97 != 0 {
			continue
		}
		want := fd.Derivative(func(v float64) float64 {
			p := append([]float64(nil), p0...)
			p[j] = v
			return encLoss(p)
		}, p0[j], central)
		if !near(grad[j], want) {
			t.Fatalf("encoder parameter %d: grad %v, fd %v", j, grad[j], want)
		}
	}
	for j := nEnc; j < len(p0); j++ {
		if j%7 != 0 && j < len(p0)-50 {
			continue
		}
		want := fd.Derivative(func(v float64) float64 {
			old := m.Params[j]
			m.Params[j] = v
			defer func() { m.Params[j] = old }()
			return -step()
		}, p0[j], central)
		if !near(grad[j], want) {
			t.Fatalf("decoder parameter %d: grad %v, fd %v", j, grad[j], want)
		}
	}
}

// TestBoundsOrder checks that the importance-weighted bound with k samples
// is at least the one-sample ELBO on average (Burda et al.), on 20 random
// images with k = 50: the gap is many standard errors wide for an untrained
// model.
func TestBoundsOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	m, _ := New(Config{Hidden: 20, Latent: 4, Batch: 1, Samples: 1}, rng)
	img := images(20, rng)
	elbo, iw := m.Bounds(img, 50, rng)
	if !(iw > elbo) || math.IsNaN(iw) {
		t.Fatalf("ELBO %v, IW bound %v", elbo, iw)
	}
}

// TestStepAllocs checks that the per-sample work allocates nothing: a step
// allocates the same with 1 and with 8 samples per image. (gonum's Dgemm
// starts goroutines for the batched layers, a fixed number of allocations
// per step.)
func TestStepAllocs(t *testing.T) {
	for _, name := range []string{"pathwise", "score", "score+loo", "mvd"} {
		var allocs [2]float64
		for k, n := range []int{2, 8} {
			rng := rand.New(rand.NewPCG(7, 8))
			m, _ := New(Config{Hidden: 10, Latent: 3, Batch: 4, Samples: n}, rng)
			img := images(4, rng)
			est, err := estimators.New(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			m.Step(img, est, rng, rng)
			allocs[k] = testing.AllocsPerRun(5, func() { m.Step(img, est, rng, rng) })
		}
		if allocs[0] != allocs[1] {
			t.Errorf("%s: Step allocates %v times with 2 samples, %v with 8", name, allocs[0], allocs[1])
		}
	}
}

// BenchmarkStep is one training step of the 784-200-200-20 model at batch
// 100 with n = 2 samples per image, as in experiments/vae-gaussian.toml:
// forward, estimator, backward and the Adam update. Beside it, in the same
// run, "floor" is the dense work a pathwise step cannot skip, done as few
// large matrix products: the encoder forward and backward over the batch,
// the decoder forward on the B·n estimator samples and the B separate
// samples, the decoder's input gradient at the B·n samples and its weight
// gradient at the B separate ones. Each sub-benchmark reports ms/step; the
// step sub-benchmarks also report x-floor, their time over the floor's
// measured just before (a ratio, so that a noisy shared machine matters
// less).
func BenchmarkStep(b *testing.B) {
	const batch, n, hidden, latent = 100, 2, 200, 20
	var floor float64 // ns per floor step
	b.Run("floor", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 1))
		m, _ := New(Config{Hidden: hidden, Latent: latent, Batch: batch, Samples: n}, rng)
		x := images(batch, rng)
		mk := func(k int) []float64 { return make([]float64, k) }
		h1, h2, eo := mk(batch*hidden), mk(batch*hidden), mk(batch*2*latent)
		rows := batch * (n + 1) // estimator samples, then the separate ones
		z := mk(rows * latent)
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		zh1, zh2, logit := mk(rows*hidden), mk(rows*hidden), mk(rows*mnist.Pixels)
		dz := mk(rows * latent)
		est, sep := batch*n, func(s []float64, k int) []float64 { return s[batch*n*k:] }
		b.ReportAllocs()
		for b.Loop() {
			m.encode(eo, h1, h2, x)
			m.encOut.Backward(h2, h2, eo)
			m.enc2.Backward(h1, h1, h2)
			m.enc1.Backward(nil, x, h1)
			m.decode(logit, zh1, zh2, z)
			// input gradient at the estimator's samples
			m.decOut.BackwardInput(zh2[:est*hidden], logit[:est*mnist.Pixels])
			m.dec2.BackwardInput(zh1[:est*hidden], zh2[:est*hidden])
			m.dec1.BackwardInput(dz[:est*latent], zh1[:est*hidden])
			// weight gradient at the separate samples
			m.decOut.Backward(nil, sep(zh2, hidden), sep(logit, mnist.Pixels))
			m.dec2.Backward(nil, sep(zh1, hidden), sep(zh2, hidden))
			m.dec1.Backward(nil, sep(z, latent), sep(zh1, hidden))
		}
		floor = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(floor/1e6, "ms/step")
	})
	for _, name := range []string{"pathwise", "score", "score+loo"} {
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			m, _ := New(Config{Hidden: hidden, Latent: latent, Batch: batch, Samples: n}, rng)
			img := images(batch, rng)
			est, _ := estimators.New(name, nil)
			opt := optim.NewAdam()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := m.Step(img, est, rng, rng); err != nil {
					b.Fatal(err)
				}
				opt.Step(m.Params, m.Grad, 1e-3)
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns/1e6, "ms/step")
			if floor > 0 {
				b.ReportMetric(ns/floor, "x-floor")
			}
		})
	}
}
