package bvae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/models/mnist"
	"github.com/gradbench/gradbench/experiments/models/nn"
	"github.com/gradbench/gradbench/experiments/optim"
)

var central = &fd.Settings{Formula: fd.Central}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-5*(1+math.Abs(b)) }

// binaryImages returns n images of 0/1 intensities (so that binarising
// them is the identity) with about a fifth of the pixels on.
// bits returns n values, each 1 with probability p and 0 otherwise.
func bits(n int, p float64, rng *rand.Rand) []float64 {
	x := make([]float64, n)
	for i := range x {
		if rng.Float64() < p {
			x[i] = 1
		}
	}
	return x
}

func binaryImages(n int, rng *rand.Rand) []float64 {
	x := make([]float64, n*mnist.Pixels)
	for i := range x {
		if rng.Float64() < 0.2 {
			x[i] = 1
		}
	}
	return x
}

func models(t testing.TB, latent, batch, samples int, rng *rand.Rand) map[string]*Model {
	out := map[string]*Model{}
	mean := make([]float64, mnist.Pixels)
	for j := range mean {
		mean[j] = rng.Float64() * rng.Float64()
	}
	for _, nonlinear := range []bool{false, true} {
		for _, demean := range []bool{false, true} {
			c := Config{Nonlinear: nonlinear, Hidden: 7, Latent: latent, Batch: batch, Samples: samples}
			if demean {
				c.Mean, c.Demean, c.MeanBias = mean, true, true
			}
			m, err := New(c, rng)
			if err != nil {
				t.Fatal(err)
			}
			for d := range m.Prior {
				m.Prior[d] = rng.NormFloat64()
			}
			name := "linear"
			if nonlinear {
				name = "nonlinear"
			}
			if demean {
				name += "-demean"
			}
			out[name] = m
		}
	}
	return out
}

// TestLikelihoodGradient checks ∇_b log p(x|b) against central finite
// differences at a relaxed b ∈ (0, 1)^D, linear and nonlinear.
func TestLikelihoodGradient(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for name, m := range models(t, 5, 1, 1, rng) {
		x := binaryImages(1, rng)
		f := m.Objective(x)
		b := []float64{0.3, 0.9, 0.05, 0.5, 0.71}
		g := make([]float64, len(b))
		if v := f.Grad(g, b); !near(v, f.Value(b)) {
			t.Fatalf("%s: Grad returns %v, Value %v", name, v, f.Value(b))
		}
		want := fd.Gradient(nil, f.Value, b, central)
		for d := range g {
			if !near(g[d], want[d]) {
				t.Errorf("%s: ∂f/∂b[%d] = %v, fd %v", name, d, g[d], want[d])
			}
		}
	}
}

// TestKL checks the analytic KL against enumeration of a small support and
// its gradients against finite differences.
func TestKL(t *testing.T) {
	t.Parallel()
	l := []float64{0.4, -1.3, 2.2}
	theta := []float64{-0.2, 0.5, 1.9}
	q, _ := dist.NewBernoulliVec(l)
	p, _ := dist.NewBernoulliVec(theta)
	x := make([]float64, 3)
	var want float64
	for i := range q.SupportSize() {
		pq := q.Outcome(x, i)
		want += pq * (q.LogProb(x) - p.LogProb(x))
	}
	dl, dth := make([]float64, 3), make([]float64, 3)
	if got := KL(dl, dth, l, theta); math.Abs(got-want) > 1e-12 {
		t.Fatalf("KL = %v, enumeration %v", got, want)
	}
	fl := fd.Gradient(nil, func(v []float64) float64 { return KL(nil, nil, v, theta) }, l, central)
	ft := fd.Gradient(nil, func(v []float64) float64 { return KL(nil, nil, l, v) }, theta, central)
	for d := range l {
		if !near(dl[d], fl[d]) || !near(dth[d], ft[d]) {
			t.Errorf("d = %d: ∂KL/∂l = %v (fd %v), ∂KL/∂θ = %v (fd %v)", d, dl[d], fl[d], dth[d], ft[d])
		}
	}
	if kl := KL(nil, nil, l, l); kl != 0 {
		t.Errorf("KL(q ‖ q) = %v", kl)
	}
}

// fakeEstimator writes g_d = sin(l_d) (a smooth function of the logits),
// so that the encoder's gradient is a vector-Jacobian product of the
// encoder that finite differences can check.
type fakeEstimator struct{}

func (fakeEstimator) Info() estimators.Info { return estimators.Info{Name: "fake", Unbiased: true} }

func (fakeEstimator) Estimate(grad []float64, p dist.Distribution, _ objective.Objective, _ int, _ *rand.Rand) (estimators.Cost, error) {
	p.Params(grad)
	for d, v := range grad {
		grad[d] = math.Sin(v)
	}
	return estimators.Cost{F: 1}, nil
}

// TestStepGradient checks every part of Step's gradient with finite
// differences at fixed randomness: the decoder's against the negated
// minibatch log-likelihood at the separate samples, the encoder's as the
// vector-Jacobian product of the logits with the logit gradient Step used,
// and the prior's against the negated minibatch KL.
func TestStepGradient(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	const B, D = 3, 4
	for name, m := range models(t, D, B, 1, rng) {
		img := binaryImages(B, rng)
		if _, _, err := m.Step(img, fakeEstimator{}, rng, rng); err != nil {
			t.Fatal(err)
		}
		grad := append([]float64(nil), m.Grad...)
		prior := append([]float64(nil), m.PriorGrad...)
		last := len(m.enc) - 1
		dl := append([]float64(nil), m.edel[last]...) // the logit gradient Step used
		// Functions of the parameter vector at the step's x and b'.
		decLoss := func() float64 {
			forward(m.dec, m.dact, m.decIn(make([]float64, len(m.bs)), m.bs))
			out := m.dact[len(m.dact)-1]
			var s float64
			for i := range B {
				s -= nn.BernoulliLogLik(nil, m.x[i*mnist.Pixels:(i+1)*mnist.Pixels], out[i*mnist.Pixels:(i+1)*mnist.Pixels])
			}
			return s / B
		}
		encVJP := func() float64 {
			forwardBinary(m.enc, m.eact, &m.xb)
			var s float64
			for k, v := range m.eact[last] {
				s += dl[k] * v
			}
			return s
		}
		check := func(part string, j int, loss func() float64) {
			old := m.Params[j]
			want := fd.Derivative(func(v float64) float64 { m.Params[j] = v; return loss() }, old, central)
			m.Params[j] = old
			if !near(grad[j], want) {
				t.Errorf("%s: %s parameter %d: gradient %v, fd %v", name, part, j, grad[j], want)
			}
		}
		for k := 0; k < 25; k++ {
			check("encoder", rng.IntN(m.EncoderParams), encVJP)
			check("decoder", m.EncoderParams+rng.IntN(len(m.Params)-m.EncoderParams), decLoss)
		}
		// Prior: −ELBO depends on θ through the mean KL only.
		forwardBinary(m.enc, m.eact, &m.xb)
		logits := append([]float64(nil), m.eact[last]...)
		klLoss := func(th []float64) float64 {
			var s float64
			for i := range B {
				s += KL(nil, nil, logits[i*D:(i+1)*D], th)
			}
			return s / B
		}
		want := fd.Gradient(nil, klLoss, m.Prior, central)
		for d := range prior {
			if !near(prior[d], want[d]) {
				t.Errorf("%s: prior logit %d: gradient %v, fd %v", name, d, prior[d], want[d])
			}
		}
	}
}

// The unbiased estimators of the model experiments, with the options of
// experiments/vae-bernoulli-*.toml, and the samples each takes.
var unbiased = []struct {
	name string
	opts map[string]string
	n    int
}{
	{"score+loo", nil, 2},
	{"arm", nil, 1},
	{"disarm", nil, 1},
	{"rebar", map[string]string{"tune_tau": "false"}, 1},
	{"relax", map[string]string{"tune_tau": "false"}, 1},
}

// biasGradMoments runs Step draws times on the same binary images and
// returns the mean and standard error of the encoder's last bias vector:
// for the linear model with batch 1 it is −(ĝ − ∂KL/∂l), the estimate of
// the negated logit gradient.
func biasGradMoments(t *testing.T, m *Model, img []float64, name string, opts map[string]string, draws int, rng *rand.Rand) (mean, se []float64) {
	est, err := estimators.New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	last := m.enc[len(m.enc)-1]
	k := len(last.GB)
	sum, sum2 := make([]float64, k), make([]float64, k)
	for range draws {
		if _, _, err := m.Step(img, est, rng, rng); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for j, v := range last.GB {
			sum[j] += v
			sum2[j] += v * v
		}
	}
	mean, se = make([]float64, k), make([]float64, k)
	n := float64(draws)
	for j := range sum {
		mean[j] = sum[j] / n
		se[j] = math.Sqrt(max(0, sum2[j]/n-mean[j]*mean[j]) / (n - 1))
	}
	return mean, se
}

// TestUnbiasedExact: with D = 8 latents the exact logit gradient is a sum
// over the 256 outcomes, ∇_l E_q[f] = Σ_b q(b) f(b) (b − σ(l)). Every
// unbiased estimator's mean encoder-bias gradient over 20000 steps must be
// within 4 standard errors of the exact one, coordinate by coordinate: 5
// estimators × 8 coordinates = 40 tests, each with a false-alarm rate of
// 6.3e-5 under the normal approximation, so at most 0.25% for the family
// (the seeds are fixed: the outcome is deterministic). Gumbel-Softmax at
// τ = 1, which is biased, must fail the same test (a negative control).
func TestUnbiasedExact(t *testing.T) {
	t.Parallel()
	const D, draws = 8, 20000
	rng := rand.New(rand.NewPCG(5, 6))
	m := models(t, D, 1, 1, rng)["linear"]
	// Larger weights than Glorot's, so that f varies across outcomes.
	for j := range m.Params {
		m.Params[j] *= 3
	}
	img := binaryImages(1, rng)
	forward(m.enc, m.eact, img)
	l := append([]float64(nil), m.eact[0]...)
	q, err := dist.NewBernoulliVec(l)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Objective(img)
	exact := make([]float64, D)
	b := make([]float64, D)
	for i := range q.SupportSize() {
		pb := q.Outcome(b, i)
		fb := f.Value(b)
		for d := range D {
			exact[d] += pb * fb * (b[d] - nn.Sigm(l[d]))
		}
	}
	dkl, dth := make([]float64, D), make([]float64, D)
	KL(dkl, dth, l, m.Prior)
	want := make([]float64, D)
	for d := range D {
		want[d] = -(exact[d] - dkl[d])
	}
	worst := func(name string, opts map[string]string, n int) float64 {
		m.Samples = n
		mean, se := biasGradMoments(t, m, img, name, opts, draws, rand.New(rand.NewPCG(7, uint64(len(name)))))
		var z float64
		for d := range D {
			z = max(z, math.Abs(mean[d]-want[d])/se[d])
		}
		return z
	}
	for _, e := range unbiased {
		if z := worst(e.name, e.opts, e.n); !(z < 4) {
			t.Errorf("%s: largest |mean − exact|/SE = %.2f over %d coordinates, want < 4", e.name, z, D)
		} else {
			t.Logf("%s: largest |mean − exact|/SE = %.2f", e.name, z)
		}
	}
	if z := worst("gumbel-softmax", map[string]string{"tau": "1"}, 2); !(z >= 4) {
		t.Errorf("gumbel-softmax (τ = 1, biased): largest |z| = %.2f, want the test to reject it (≥ 4)", z)
	} else {
		t.Logf("gumbel-softmax (negative control): largest |z| = %.1f", z)
	}
}

// TestUnbiasedAgree: with the experiments' D = 200 latents, on one shared
// image and the same weights, every unbiased estimator's mean
// encoder-bias gradient agrees with DisARM's on the first 10 coordinates
// within 4 standard errors of the difference: 4 estimators × 10
// coordinates = 40 tests at 6.3e-5 each, at most 0.25% for the family
// (fixed seeds: deterministic).
func TestUnbiasedAgree(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short")
	}
	const D, draws, coords = 200, 1500, 10
	rng := rand.New(rand.NewPCG(8, 9))
	m := models(t, D, 1, 1, rng)["linear"]
	img := binaryImages(1, rng)
	means, ses := map[string][]float64{}, map[string][]float64{}
	for _, e := range unbiased {
		m.Samples = e.n
		means[e.name], ses[e.name] = biasGradMoments(t, m, img, e.name, e.opts, draws, rand.New(rand.NewPCG(10, uint64(len(e.name)))))
	}
	ref := "disarm"
	for _, e := range unbiased {
		if e.name == ref {
			continue
		}
		var worst float64
		for d := range coords {
			diff := means[e.name][d] - means[ref][d]
			se := math.Hypot(ses[e.name][d], ses[ref][d])
			worst = max(worst, math.Abs(diff)/se)
		}
		if !(worst < 4) {
			t.Errorf("%s vs %s: largest |difference|/SE = %.2f over %d coordinates, want < 4", e.name, ref, worst, coords)
		} else {
			t.Logf("%s vs %s: largest |difference|/SE = %.2f", e.name, ref, worst)
		}
	}
}

// TestEncoderGradVariance checks that the measurement is reproducible,
// leaves the parameters alone, is zero for a deterministic estimator and
// positive for the score function.
func TestEncoderGradVariance(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	m := models(t, 6, 2, 2, rng)["nonlinear"]
	img := binaryImages(2, rng)
	before := append([]float64(nil), m.Params...)
	v0, nf, err := m.EncoderGradVariance(img, fakeEstimator{}, 5, rand.New(rand.NewPCG(1, 1)), rng)
	if err != nil || nf != 0 || v0 != 0 {
		t.Fatalf("deterministic estimator: variance %v, %d non-finite, %v", v0, nf, err)
	}
	est, _ := estimators.New("score+loo", nil)
	v1, _, _ := m.EncoderGradVariance(img, est, 20, rand.New(rand.NewPCG(1, 1)), rand.New(rand.NewPCG(2, 2)))
	v2, _, _ := m.EncoderGradVariance(img, est, 20, rand.New(rand.NewPCG(1, 1)), rand.New(rand.NewPCG(2, 2)))
	if !(v1 > 0) || v1 != v2 {
		t.Fatalf("score+loo variance %v then %v: want equal and > 0", v1, v2)
	}
	for j := range before {
		if m.Params[j] != before[j] {
			t.Fatal("EncoderGradVariance changed the parameters")
		}
	}
	if _, _, err := m.EncoderGradVariance(img, est, 1, rng, rng); err == nil {
		t.Fatal("1 draw accepted")
	}
}

// TestBounds checks that the importance-weighted bound with k = 50 is
// above the one-sample ELBO (on average it is, Burda et al. 2016) and that
// both are finite and negative.
func TestBounds(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 14))
	for name, m := range models(t, 10, 1, 1, rng) {
		img := binaryImages(20, rng)
		elbo, iw := m.Bounds(img, 50, rand.New(rand.NewPCG(1, 2)))
		if !(elbo < 0) || !(iw < 0) || !(iw > elbo) {
			t.Errorf("%s: ELBO %v, IW bound %v: want ELBO < IW < 0", name, elbo, iw)
		}
	}
}

// TestNew rejects bad sizes.
func TestNew(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []Config{{Latent: 0, Batch: 1, Samples: 1}, {Latent: 2, Batch: 0, Samples: 1}, {Nonlinear: true, Latent: 2, Batch: 1, Samples: 1}} {
		if _, err := New(c, rng); err == nil {
			t.Errorf("New(%+v): no error", c)
		}
	}
}

// stepCase is an estimator of BenchmarkStep with what its floor computes.
type stepCase struct {
	name            string
	opts            map[string]string
	n               int
	fRows, gradRows int // points per image where f and ∇f are evaluated
	// tau: τ is learned, from a Hessian-vector product of f at each ∇f
	// point (a forward, a tangent and a backward pass); net: the units of
	// a control network on (x, z), evaluated with its input gradient at
	// each ∇f point and again, with its parameter gradient, for the
	// variance step.
	tau bool
	net int
}

var stepCases = []stepCase{{"disarm", nil, 1, 2, 0, false, 0}, {"arm", nil, 1, 2, 0, false, 0}, {"score+loo", nil, 2, 2, 0, false, 0},
	{"rebar", map[string]string{"tau": "0.1", "lr": "1e-4", "beta1": "0.999"}, 1, 3, 2, true, 0},
	{"relax", map[string]string{"hidden": "137", "activation": "leaky_relu", "input": "xz", "scale_net": "true", "tau": "0.1", "lr": "1e-4", "beta1": "0.999"}, 1, 3, 2, true, 137}}

// newFloor returns one pass of e's floor on a model of cfg: the matrix
// products its step must make, done as the step does them (binary inputs
// as sums of weight rows), with the decoder's log-likelihoods, and
// nothing else (see BenchmarkStep).
func newFloor(cfg Config, e stepCase) func() {
	rng := rand.New(rand.NewPCG(1, 1))
	m, _ := New(cfg, rng)
	copy(m.x, binaryImages(cfg.Batch, rng))
	R, G := e.fRows*cfg.Batch, e.gradRows*cfg.Batch
	// Latents at the untrained encoder's density (about ½), as the step's
	// samples and separate samples are.
	xs, vals, idx := bits(R*cfg.Latent, 0.5, rng), make([]float64, R), make([]int, R)
	copy(m.bs, bits(len(m.bs), 0.5, rng))
	for r := range idx {
		idx[r] = r % cfg.Batch
	}
	gact, gdel, gtan := buffers(m.dec, G), buffers(m.dec, G), buffers(m.dec, G)
	din := make([]float64, G*cfg.Latent)
	var net []*nn.Dense
	var nact, ndel [][]float64
	var nin, ndin []float64
	if e.net > 0 {
		C := mnist.Pixels + cfg.Latent
		net = []*nn.Dense{nn.NewDenseInMajor(C, e.net, rng), nn.NewDenseInMajor(e.net, 1, rng)}
		nact, ndel = buffers(net, G), buffers(net, G)
		nin, ndin = randVec(G*C, rng), make([]float64, G*C)
	}
	toInput := func() {
		for k := len(m.dec) - 1; k > 0; k-- {
			m.dec[k].BackwardInput(gdel[k-1], gdel[k])
		}
		m.dec[0].BackwardInput(din, gdel[0])
	}
	return func() {
		m.xb.Set(m.x, mnist.Pixels)
		forwardBinary(m.enc, m.eact, &m.xb)
		m.mb.Values(vals, xs, idx)
		if G > 0 {
			forward(m.dec, gact, xs[:G*cfg.Latent])
			toInput()
		}
		if e.tau { // the Hessian-vector products
			forward(m.dec, gact, xs[:G*cfg.Latent])
			for k, l := range m.dec {
				clear(gtan[k])
				if k == 0 {
					l.AddTangent(gtan[0], din)
				} else {
					l.AddTangent(gtan[k], gtan[k-1])
				}
			}
			toInput()
		}
		for range min(e.net, 2) { // the control network, twice
			forward(net, nact, nin)
			backward(net, nact, ndel, nin, ndin)
		}
		backwardBinary(m.enc, m.eact, m.edel, &m.xb)
		m.decoderGrad()
	}
}

// BenchmarkStep times one training step of the Bernoulli VAE (batch 50, 200
// latents, hidden 200 for the nonlinear model, demeaned input as in the
// experiments) per estimator, beside the floor of that estimator: the matrix
// products its step must make, done as the step does them (binary inputs as
// sums of weight rows), with the decoder's log-likelihoods, and nothing else
// (the encoder's forward and backward passes, the decoder's forward pass at
// every point the estimator evaluates f at, as one matrix product, its
// backward pass to the input at the points where it evaluates ∇f, for REBAR
// and RELAX learning τ the Hessian-vector products at those points (forward,
// tangent and backward passes), for RELAX its control network's forward and
// backward passes there, twice (the estimate, then the variance step), and
// the decoder's forward and backward passes at the separate samples).
// "floor-NAME" times the floor alone. "NAME" times the step, and alternates
// each step with one pass of the floor, timed apart, so that x-floor (the
// step's time over its floor's) compares the two under the same machine
// load. The "+adam" variants add the optimizer update, as a training step
// (and PyTorch's, see make bench-peers) does.
func BenchmarkStep(b *testing.B) {
	for _, nonlinear := range []bool{false, true} {
		arch := "linear"
		if nonlinear {
			arch = "nonlinear"
		}
		// The experiments' configuration: demeaned input, decoder bias at
		// the pixel means (here those of random grey images).
		cfg := Config{Nonlinear: nonlinear, Hidden: 200, Latent: 200, Batch: 50, Samples: 1,
			Mean: benchMeans(), Demean: true, MeanBias: true}
		for _, e := range stepCases {
			b.Run(arch+"/floor-"+e.name, func(b *testing.B) {
				floor := newFloor(cfg, e)
				b.ReportAllocs()
				for b.Loop() {
					floor()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/step")
			})
			for _, adam := range []bool{false, true} {
				name := arch + "/" + e.name
				if adam {
					name += "+adam"
				}
				b.Run(name, func(b *testing.B) {
					rng := rand.New(rand.NewPCG(1, 1))
					c := cfg
					c.Samples = e.n
					m, _ := New(c, rng)
					img := binaryImages(cfg.Batch, rng)
					est, err := estimators.New(e.name, e.opts)
					if err != nil {
						b.Fatal(err)
					}
					opt := optim.NewAdam()
					var floor func()
					if !adam {
						floor = newFloor(cfg, e)
					}
					var stepNs, floorNs time.Duration
					b.ReportAllocs()
					for b.Loop() {
						t0 := time.Now()
						if _, _, err := m.Step(img, est, rng, rng); err != nil {
							b.Fatal(err)
						}
						if adam {
							opt.Step(m.Params, m.Grad, 1e-4)
							continue
						}
						t1 := time.Now()
						floor()
						stepNs, floorNs = stepNs+t1.Sub(t0), floorNs+time.Since(t1)
					}
					if adam {
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/step")
						return
					}
					b.ReportMetric(float64(stepNs.Nanoseconds())/float64(b.N)/1e6, "ms/step")
					b.ReportMetric(float64(stepNs)/float64(floorNs), "x-floor")
				})
			}
		}
	}
}

// benchMeans returns pixel means in (0, 0.5), as MNIST's are mostly small.
func benchMeans() []float64 {
	rng := rand.New(rand.NewPCG(5, 5))
	m := make([]float64, mnist.Pixels)
	for k := range m {
		m[k] = 0.5 * rng.Float64() * rng.Float64()
	}
	return m
}

// TestMinibatchMatchesPerImage: the decoder as an estimators.Minibatch
// (all points of a minibatch through one matrix product) gives the
// per-image objectives' values to rounding, and a Step with the minibatch
// paths of disarm, arm and score+loo gives the gradient a Step with their
// per-image fallback gives (estimators hidden behind a wrapper without the
// minibatch method), to 1e-9 relative.
func TestMinibatchMatchesPerImage(t *testing.T) {
	t.Parallel()
	for _, nonlinear := range []bool{false, true} {
		cfg := Config{Nonlinear: nonlinear, Hidden: 12, Latent: 9, Batch: 6, Samples: 2}
		rng := rand.New(rand.NewPCG(4, 4))
		m, err := New(cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		for j := range m.Params {
			m.Params[j] += 0.3 * rng.NormFloat64()
		}
		img := binaryImages(cfg.Batch, rng)
		copy(m.x, img)
		R := 11
		xs, idx, got := make([]float64, R*cfg.Latent), make([]int, R), make([]float64, R)
		for r := range R {
			idx[r] = rng.IntN(cfg.Batch)
			for k := range cfg.Latent {
				xs[r*cfg.Latent+k] = float64(rng.IntN(2))
			}
		}
		m.mb.Values(got, xs, idx)
		for r, i := range idx {
			want := m.mb.Objective(i).Value(xs[r*cfg.Latent : (r+1)*cfg.Latent])
			if math.Abs(got[r]-want) > 1e-10*math.Abs(want) {
				t.Fatalf("row %d: Values %v, Value %v", r, got[r], want)
			}
		}
		for _, name := range []string{"disarm", "arm", "score+loo"} {
			grad := func(est estimators.Estimator) []float64 {
				if _, _, err := m.Step(img, est, rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(8, 8))); err != nil {
					t.Fatal(err)
				}
				return append([]float64(nil), m.Grad...)
			}
			est, _ := estimators.New(name, nil)
			a, b := grad(est), grad(perImage{est})
			for j := range a {
				if math.Abs(a[j]-b[j]) > 1e-9*(math.Abs(b[j])+1e-12) {
					t.Fatalf("nonlinear %v, %s: gradient %d: minibatch %v, per image %v", nonlinear, name, j, a[j], b[j])
				}
			}
		}
	}
}

// perImage hides an estimator's minibatch path.
type perImage struct{ estimators.Estimator }

// TestMeanBias: with MeanBias the untrained decoder predicts the clipped
// pixel means whatever b, so log p(x|b) is the mean image's
// log-likelihood; Demean feeds the encoder x − Mean; a Mean of the wrong
// length is an error.
func TestMeanBias(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 8))
	mean := make([]float64, mnist.Pixels)
	for j := range mean {
		mean[j] = rng.Float64()
	}
	mean[0], mean[1] = 0, 1 // clipped to 0.001 and 0.999
	m, err := New(Config{Latent: 4, Batch: 1, Samples: 1, Mean: mean, MeanBias: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.dec {
		clear(l.W)
	}
	x := binaryImages(1, rng)
	var want float64
	for j, v := range x {
		p := min(max(mean[j], 0.001), 0.999)
		if v == 1 {
			want += math.Log(p)
		} else {
			want += math.Log1p(-p)
		}
	}
	if got := m.Objective(x).Value([]float64{1, 0, 1, 1}); math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Errorf("log p(x|b) = %v, want the mean image's %v", got, want)
	}
	if _, err := New(Config{Latent: 4, Batch: 1, Samples: 1, Demean: true}, rng); err == nil {
		t.Errorf("Demean without Mean accepted")
	}
}

// TestLikelihoodHessVec checks ∇²_b log p(x|b) v against central
// differences of the gradient along v, at a relaxed b, for the four
// decoders (leaky ReLU is piecewise linear: its kinks are crossed with
// probability about h, so the fixed seeds keep clear of them).
func TestLikelihoodHessVec(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(6, 2))
	for name, m := range models(t, 5, 1, 1, rng) {
		x := binaryImages(1, rng)
		for j := range m.Params {
			m.Params[j] += 0.3 * rng.NormFloat64()
		}
		f := m.Objective(x).(*likelihood)
		b := []float64{0.3, 0.9, 0.05, 0.5, 0.71}
		v := []float64{0.4, -1.1, 0.7, 0.2, -0.5}
		got := make([]float64, 5)
		f.HessVec(got, b, v)
		bt, g := make([]float64, 5), make([]float64, 5)
		for d := range got {
			// d/dt of ∇_d f(b + t v) at t = 0.
			want := fd.Derivative(func(t float64) float64 {
				for k := range b {
					bt[k] = b[k] + t*v[k]
				}
				f.Grad(g, bt)
				return g[d]
			}, 0, central)
			if math.Abs(got[d]-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("%s: (Hv)[%d] = %v, fd %v", name, d, got[d], want)
			}
		}
	}
}

// TestPullback checks the minibatch's GradMetric: v = Jᵀ g is the encoder
// gradient of Σ_i g_i · l_i(θ) (a central difference along a random
// parameter direction w gives v · w), and u_i = J_i v is the derivative of
// the logits l_i(θ + εv) at ε = 0 (a central difference), for the four
// encoders; the encoder's gradient slots are its scratch (the step writes
// them after), the decoder's it leaves alone.
func TestPullback(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 3))
	for name, m := range models(t, 4, 3, 1, rng) {
		for j := range m.Params {
			m.Params[j] += 0.3 * rng.NormFloat64()
		}
		copy(m.x, binaryImages(m.Batch, rng))
		m.xb.Set(m.x, mnist.Pixels)
		logits := func() []float64 {
			forwardBinary(m.enc, m.eact, &m.xb)
			return append([]float64(nil), m.eact[len(m.eact)-1]...)
		}
		logits()
		BD := m.Batch * m.Latent
		g, u := randVec(BD, rng), make([]float64, BD)
		E := m.EncoderParams
		for j := range m.Grad {
			m.Grad[j] = rng.NormFloat64()
		}
		dec := append([]float64(nil), m.Grad[E:]...)
		m.mb.Pullback(u, g)
		for j, v := range dec {
			if m.Grad[E+j] != v {
				t.Fatalf("%s: Pullback changed the decoder's Grad[%d]: %v, was %v", name, E+j, m.Grad[E+j], v)
			}
		}
		v := append([]float64(nil), m.mb.v...)
		w := randVec(E, rng)
		p0 := append([]float64(nil), m.Params...)
		// along returns the logits at θ + eps·dir.
		along := func(dir []float64, eps float64) []float64 {
			for j := range E {
				m.Params[j] = p0[j] + eps*dir[j]
			}
			l := logits()
			copy(m.Params, p0)
			return l
		}
		fdv := fd.Derivative(func(eps float64) float64 { return floats.Dot(g, along(w, eps)) }, 0, central)
		if vw := floats.Dot(v, w); math.Abs(fdv-vw) > 1e-5*(1+math.Abs(vw)) {
			t.Errorf("%s: v·w = %v, fd %v", name, vw, fdv)
		}
		for k := range u {
			want := fd.Derivative(func(eps float64) float64 { return along(v, eps)[k] }, 0, central)
			if math.Abs(u[k]-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("%s: u[%d] = %v, fd %v", name, k, u[k], want)
			}
		}
	}
}

func randVec(n int, rng *rand.Rand) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// BenchmarkBounds times the evaluation bounds per image: the one-sample
// ELBO (k = 1, as on the training images) and the 100-sample
// importance-weighted bound (k = 100, as on the test images).
func BenchmarkBounds(b *testing.B) {
	for _, nonlinear := range []bool{false, true} {
		arch := "linear"
		if nonlinear {
			arch = "nonlinear"
		}
		cfg := Config{Nonlinear: nonlinear, Hidden: 200, Latent: 200, Batch: 50, Samples: 1,
			Mean: benchMeans(), Demean: true, MeanBias: true}
		for _, k := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/k=%d", arch, k), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				m, _ := New(cfg, rng)
				n := 1000 / k // 10 blocks of images at k = 1
				img := binaryImages(n, rng)
				for b.Loop() {
					m.Bounds(img, k, rng)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/1e3, "µs/image")
			})
		}
	}
}

// boundsPerImage is bounds taking the images one at a time (an image's
// binarisation and latent draws, its encoder row, its k decoder rows), as
// Bounds did before it put blocks of images through the networks.
func boundsPerImage(m *Model, images []float64, k int, rng *rand.Rand, term func(elbo, iw float64)) {
	D, P := m.Latent, mnist.Pixels
	n := len(images) / P
	x, xin := make([]float64, P), make([]float64, P)
	eact, dact := buffers(m.enc, 1), buffers(m.dec, k)
	b, lw := make([]float64, k*D), make([]float64, k)
	bb := m.decBinary()
	q, lr1, lr0 := make([]float64, D), make([]float64, D), make([]float64, D)
	var prior priorTerms
	prior.set(m.Prior)
	for i := range n {
		mnist.Binarize(x, images[i*P:(i+1)*P], rng)
		forward(m.enc, eact, m.encIn(xin, x))
		l := eact[len(eact)-1]
		for d, a := range l {
			q[d] = nn.Sigm(a)
			lr1[d] = nn.LogSigmoid(m.Prior[d]) - nn.LogSigmoid(a)
			lr0[d] = nn.LogSigmoid(-m.Prior[d]) - nn.LogSigmoid(-a)
		}
		for j := range k {
			lw[j] = 0
			for d := range D {
				if rng.Float64() < q[d] {
					b[j*D+d] = 1
					lw[j] += lr1[d]
				} else {
					b[j*D+d] = 0
					lw[j] += lr0[d]
				}
			}
		}
		bb.Set(b, D)
		forwardBinary(m.dec, dact, &bb)
		out := dact[len(dact)-1]
		mx, ll0 := math.Inf(-1), 0.0
		for j := range k {
			ll := nn.BernoulliLogLikBlocked(nil, x, out[j*P:(j+1)*P])
			if j == 0 {
				ll0 = ll
			}
			lw[j] += ll
			mx = max(mx, lw[j])
		}
		var s float64
		for j := range k {
			s += math.Exp(lw[j] - mx)
		}
		term(ll0-prior.kl(nil, nil, nil, l), mx+math.Log(s/float64(k)))
	}
}

// TestBoundsPerImage checks that Bounds, which puts blocks of images
// through the networks, gives the bits of taking the images one at a time,
// for every image's two terms (a sum of thousands of images would round
// away an error of an ulp in one of them) and for the means:
// linear and nonlinear models, with and without the data-mean input and
// bias, trained a few steps (so that no parameter is at its initial
// value), grey-level images with all-black pixels, at k = 1, 3, 7 and 100
// and image counts that leave a partial last block.
func TestBoundsPerImage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(21, 22))
	P := mnist.Pixels
	grey := make([]float64, 257*P)
	for i := range grey {
		if i%P >= 28 { // the first row of every image stays black
			grey[i] = rng.Float64() * rng.Float64()
		}
	}
	for _, nonlinear := range []bool{false, true} {
		for _, demean := range []bool{false, true} {
			m, err := New(Config{Nonlinear: nonlinear, Hidden: 200, Latent: 200, Batch: 10, Samples: 1,
				Mean: benchMeans(), Demean: demean, MeanBias: demean}, rng)
			if err != nil {
				t.Fatal(err)
			}
			est, err := estimators.New("disarm", nil)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, _, err := m.Step(binaryImages(10, rng), est, rng, rng); err != nil {
					t.Fatal(err)
				}
				for p := range m.Params {
					m.Params[p] -= 0.01 * m.Grad[p]
				}
				for d := range m.Prior {
					m.Prior[d] -= 0.01 * m.PriorGrad[d]
				}
			}
			for _, c := range []struct{ k, n int }{{1, 257}, {3, 70}, {7, 15}, {100, 3}} {
				var got, want []float64
				m.bounds(grey[:c.n*P], c.k, rand.New(rand.NewPCG(uint64(c.k), 1)), func(e, b float64) { got = append(got, e, b) })
				boundsPerImage(m, grey[:c.n*P], c.k, rand.New(rand.NewPCG(uint64(c.k), 1)), func(e, b float64) { want = append(want, e, b) })
				if len(got) != 2*c.n || len(want) != 2*c.n {
					t.Fatalf("k = %d: %d and %d terms for %d images", c.k, len(got)/2, len(want)/2, c.n)
				}
				for j := range got {
					if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
						t.Errorf("nonlinear %v, demean %v, k = %d: image %d's %s term %v, one at a time %v",
							nonlinear, demean, c.k, j/2, [2]string{"ELBO", "bound"}[j%2], got[j], want[j])
						break
					}
				}
				var e, b float64
				for j := 0; j < len(want); j += 2 {
					e, b = e+want[j], b+want[j+1]
				}
				e1, iw1 := m.Bounds(grey[:c.n*P], c.k, rand.New(rand.NewPCG(uint64(c.k), 1)))
				if e2, iw2 := e/float64(c.n), b/float64(c.n); math.Float64bits(e1) != math.Float64bits(e2) || math.Float64bits(iw1) != math.Float64bits(iw2) {
					t.Errorf("nonlinear %v, demean %v, k = %d: Bounds %v, %v; one at a time %v, %v", nonlinear, demean, c.k, e1, iw1, e2, iw2)
				}
			}
		}
	}
}
