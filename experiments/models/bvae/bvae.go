// Package bvae is the variational autoencoder with binary latent variables
// (a sigmoid belief net with an amortised posterior) on dynamically
// binarised MNIST, the benchmark of the ARM, DisARM, REBAR and RELAX papers:
// an encoder gives, for each image x_i, independent Bernoulli latents
// q(b|x_i) = Π_d Bernoulli(σ(l_id)); a decoder gives Bernoulli pixel
// probabilities p(x|b); the prior p(b) = Π_d Bernoulli(σ(θ_d)) has learned
// logits θ. The linear model has one dense layer each way (784 → D → 784);
// the nonlinear one has two hidden layers of leaky ReLU (slope 0.3) each
// way (784-H-H-D and D-H-H-784).
//
// # Where the estimators plug in
//
// For every image i of a minibatch the family is the bernoulli-vec with
// logits l_i and the objective is f_i(b) = log p(x_i|b), the decoder, which
// is defined and differentiable on relaxed b ∈ [0, 1]^D as well, as the
// relaxation-based estimators (REBAR, RELAX, Gumbel-Softmax, ST) need. So
// Estimate(g_i, q_i, f_i, n, rng) estimates ∇_l E_q[log p(x_i|b)], which is
// backpropagated into the encoder. The rest of the ELBO, −KL(q(b|x_i) ‖
// p(b)), is a sum over independent Bernoulli coordinates and analytic, with
// analytic gradients with respect to l_i and θ.
//
// The papers put log p(b) − log q(b|x) inside f instead; both choices give
// unbiased gradients of the same ELBO, and the analytic KL removes its
// share of the variance from every estimator alike. The estimators'
// relative standing is what these experiments measure; their absolute
// variances are not comparable with the papers'.
//
// As in package vae, the decoder's gradient does not come from the
// estimator's samples: it is ∇_dec log p(x_i|b'_i) at one separate sample
// b'_i ~ q(b|x_i) per image, the same for every estimator, so runs differ
// only in their encoder gradients. The training ELBO of a step is the
// minibatch mean of log p(x_i|b'_i) − KL_i.
package bvae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/models/mnist"
	"github.com/gradbench/gradbench/experiments/models/nn"
)

// Config sizes the model.
type Config struct {
	Nonlinear bool // two leaky-ReLU hidden layers each way (false: linear)
	Hidden    int  // units per hidden layer of the nonlinear model (200)
	Latent    int  // binary latent variables D (200)
	Batch     int  // images per step (50)
	Samples   int  // samples per estimate (n)
	// Mean holds the training images' pixel means (784 values in [0, 1]),
	// for Demean and MeanBias; nil when neither is set.
	Mean []float64
	// Demean feeds the encoder x − Mean and the decoder 2b − 1 instead of x
	// and b, as the reference implementation's --demean_input does.
	Demean bool
	// MeanBias starts the decoder's output bias at the logits of the pixel
	// means clipped to [0.001, 0.999], as the reference's
	// --initialize_with_bias does, so that the untrained decoder predicts
	// the mean image (about −206 nats) instead of ½ per pixel (−543).
	MeanBias bool
}

// Model is a Bernoulli VAE with its training buffers. It is not safe for
// concurrent use.
type Model struct {
	Config
	enc, dec []*nn.Dense
	// Params and Grad are the flat network parameters (encoder layers,
	// then decoder layers) and the gradient of the negated minibatch ELBO
	// of the last Step; EncoderParams is the length of the encoder's
	// leading part.
	Params, Grad  []float64
	EncoderParams int
	// Prior holds the prior's logits θ and PriorGrad the gradient of the
	// negated minibatch ELBO with respect to them.
	Prior, PriorGrad []float64

	x          []float64   // B × 784 binarised input
	xb, bsb    nn.Binary   // x and bs as the encoder's and the decoder's binary inputs
	prior      priorTerms  // of Prior, set at the start of every Step
	q          []float64   // σ(logits), B × D
	eact, edel [][]float64 // encoder layer outputs (last: logits) and their gradients
	bs         []float64   // B × D separate samples for the decoder
	dact, ddel [][]float64 // decoder layer outputs at bs and their gradients
	g          []float64   // estimates for every image (B × D)
	qs         []dist.Distribution
	mb         minibatch
	dkl, dth   []float64 // KL gradients for one image (D)
	f          likelihood
	mean, m2   []float64 // encoder-gradient moments (EncoderGradVariance)
}

// New returns a model with Glorot-uniform weights drawn from rng, zero
// biases and prior logits, or an error for a size < 1.
func New(c Config, rng *rand.Rand) (*Model, error) {
	if c.Latent < 1 || c.Batch < 1 || c.Samples < 1 || (c.Nonlinear && c.Hidden < 1) {
		return nil, fmt.Errorf("bvae: hidden %d, latent %d, batch %d, samples %d: want all ≥ 1", c.Hidden, c.Latent, c.Batch, c.Samples)
	}
	if (c.Demean || c.MeanBias) && len(c.Mean) != mnist.Pixels {
		return nil, fmt.Errorf("bvae: Demean and MeanBias need the %d pixel means, got %d values", mnist.Pixels, len(c.Mean))
	}
	P, D, H := mnist.Pixels, c.Latent, c.Hidden
	m := &Model{Config: c}
	if c.Nonlinear {
		m.enc = []*nn.Dense{nn.NewDenseInMajor(P, H, rng), nn.NewDenseInMajor(H, H, rng), nn.NewDenseInMajor(H, D, rng)}
		m.dec = []*nn.Dense{nn.NewDenseInMajor(D, H, rng), nn.NewDenseInMajor(H, H, rng), nn.NewDenseInMajor(H, P, rng)}
	} else {
		m.enc = []*nn.Dense{nn.NewDenseInMajor(P, D, rng)}
		m.dec = []*nn.Dense{nn.NewDenseInMajor(D, P, rng)}
	}
	for _, l := range m.enc {
		m.EncoderParams += l.NumParams()
	}
	if c.MeanBias {
		out := m.dec[len(m.dec)-1]
		for j, v := range c.Mean {
			v = min(max(v, 0.001), 0.999)
			out.B[j] = math.Log(v) - math.Log1p(-v)
		}
	}
	m.Params, m.Grad = nn.Pack(append(append([]*nn.Dense{}, m.enc...), m.dec...)...)
	m.Prior, m.PriorGrad = make([]float64, D), make([]float64, D)
	B := c.Batch
	m.x = make([]float64, B*P)
	m.eact, m.edel = buffers(m.enc, B), buffers(m.enc, B)
	m.bs = make([]float64, B*D)
	m.dact, m.ddel = buffers(m.dec, B), buffers(m.dec, B)
	m.xb, m.bsb = m.encBinary(), m.decBinary()
	m.q = make([]float64, B*D)
	m.g, m.dkl, m.dth = make([]float64, B*D), make([]float64, D), make([]float64, D)
	logits := m.eact[len(m.eact)-1]
	m.qs = make([]dist.Distribution, B)
	for i := range B {
		m.qs[i] = &dist.BernoulliVec{Logits: logits[i*D : (i+1)*D]}
	}
	m.f = likelihood{m: m, dec: m.dec, act: buffers(m.dec, 1), del: buffers(m.dec, 1), in: make([]float64, D)}
	m.mb = minibatch{m: m, xb: m.decBinary()}
	return m, nil
}

// encBinary returns the encoder's input for binarised images as a Binary
// batch: x, or x − Mean with Demean.
func (m *Model) encBinary() nn.Binary {
	b := nn.Binary{Scale: 1}
	if m.Demean {
		b.Offset = make([]float64, len(m.Mean))
		for k, v := range m.Mean {
			b.Offset[k] = -v
		}
	}
	return b
}

// decBinary returns the decoder's input for binary latents as a Binary
// batch: b, or 2b − 1 with Demean.
func (m *Model) decBinary() nn.Binary {
	b := nn.Binary{Scale: 1}
	if m.Demean {
		b.Scale, b.Offset = 2, make([]float64, m.Latent)
		for k := range b.Offset {
			b.Offset[k] = -1
		}
	}
	return b
}

// buffers returns one rows × Out slice per layer.
func buffers(layers []*nn.Dense, rows int) [][]float64 {
	out := make([][]float64, len(layers))
	for k, l := range layers {
		out[k] = make([]float64, rows*l.Out)
	}
	return out
}

// forward runs layers on the rows of in, keeping every layer's output in
// act (hidden layers after the leaky ReLU; the last layer's output is
// linear).
func forward(layers []*nn.Dense, act [][]float64, in []float64) {
	layers[0].Forward(act[0], in)
	forwardRest(layers, act)
}

// forwardBinary is forward for a binary batch.
func forwardBinary(layers []*nn.Dense, act [][]float64, in *nn.Binary) {
	layers[0].ForwardBinary(act[0], in)
	forwardRest(layers, act)
}

// forwardRest runs layers[1:] on the first layer's output act[0].
func forwardRest(layers []*nn.Dense, act [][]float64) {
	for k, l := range layers {
		if k > 0 {
			l.Forward(act[k], act[k-1])
		}
		if k < len(layers)-1 {
			nn.LeakyReLU.Apply(act[k], act[k])
		}
	}
}

// backward writes the weight gradients of layers (run by forward on in) for
// the output gradient del[last] into their GW and GB, replacing what those
// hold, using del as scratch. If din is not nil it receives the gradient
// with respect to in.
func backward(layers []*nn.Dense, act, del [][]float64, in, din []float64) {
	backwardRest(layers, act, del)
	layers[0].SetGrad(din, in, del[0])
}

// backwardBinary is backward for layers run by forwardBinary on in, without
// the gradient with respect to in. Writing rather than adding spares Step
// a pass that zeroes the gradient (Grad: 2.5 MB for the linear model) and
// gives the same bits as zeroing and adding would (nn.Dense.SetGrad).
func backwardBinary(layers []*nn.Dense, act, del [][]float64, in *nn.Binary) {
	backwardRest(layers, act, del)
	layers[0].SetGradBinary(in, del[0])
}

// backwardRest backpropagates del[last] through layers[1:], writing their
// weight gradients and leaving the gradient at the first layer's output in
// del[0].
func backwardRest(layers []*nn.Dense, act, del [][]float64) {
	for k := len(layers) - 1; k > 0; k-- {
		layers[k].SetGrad(del[k-1], act[k-1], del[k])
		nn.LeakyReLU.Backward(del[k-1], act[k-1], del[k-1])
	}
}

// encIn writes the encoder's input for the images x into dst and returns
// it: x itself, or x − Mean with Demean.
func (m *Model) encIn(dst, x []float64) []float64 {
	if !m.Demean {
		return x
	}
	P := mnist.Pixels
	for k, v := range x {
		dst[k] = v - m.Mean[k%P]
	}
	return dst[:len(x)]
}

// decIn writes the decoder's input for the latents b into dst and returns
// it: b itself, or 2b − 1 with Demean.
func (m *Model) decIn(dst, b []float64) []float64 {
	if !m.Demean {
		return b
	}
	for k, v := range b {
		dst[k] = 2*v - 1
	}
	return dst[:len(b)]
}

// likelihood is f_i(b) = log p(x_i|b) for one image, an
// objective.Differentiable over b ∈ [0, 1]^D.
type likelihood struct {
	m        *Model
	dec      []*nn.Dense
	x        []float64 // the image (784 values in {0, 1})
	act, del [][]float64
	in       []float64   // the decoder's input (Demean)
	tan      [][]float64 // HessVec's tangents
}

func (*likelihood) Name() string { return "bvae-loglik" }

// Value returns log p(x|b).
func (f *likelihood) Value(b []float64) float64 {
	forward(f.dec, f.act, f.m.decIn(f.in, b))
	return nn.BernoulliLogLikBlocked(nil, f.x, f.act[len(f.act)-1])
}

// Grad writes ∇_b log p(x|b) into dst and returns log p(x|b).
func (f *likelihood) Grad(dst, b []float64) float64 {
	forward(f.dec, f.act, f.m.decIn(f.in, b))
	last := len(f.act) - 1
	v := nn.BernoulliLogLikBlocked(f.del[last], f.x, f.act[last])
	f.toInput(dst)
	if f.m.Demean {
		for d := range dst {
			dst[d] *= 2 // ∂(2b − 1)/∂b
		}
	}
	return v
}

// toInput backpropagates the gradient f.del[last] at the decoder's output
// logits (of the last forward pass) to its input, into dst.
func (f *likelihood) toInput(dst []float64) {
	for k := len(f.dec) - 1; k > 0; k-- {
		f.dec[k].BackwardInput(f.del[k-1], f.del[k])
		nn.LeakyReLU.Backward(f.del[k-1], f.act[k-1], f.del[k-1])
	}
	f.dec[0].BackwardInput(dst, f.del[0])
}

// HessVec writes ∇²_b log p(x|b) v into dst (an objective.HessVec, for
// REBAR's and RELAX's τ): the leaky-ReLU decoder is piecewise linear, so
// the Hessian is s² Jᵀ diag(−σ'(o)) J, J the Jacobian of the output logits
// o with respect to the decoder's input and s = 2 with Demean (input
// 2b − 1), else 1: a forward-mode pass for J v, then backpropagation.
func (f *likelihood) HessVec(dst, b, v []float64) {
	forward(f.dec, f.act, f.m.decIn(f.in, b))
	last := len(f.act) - 1
	if f.tan == nil {
		f.tan = buffers(f.dec, 1)
	}
	for k, l := range f.dec {
		clear(f.tan[k])
		if k == 0 {
			l.AddTangent(f.tan[0], v)
		} else {
			l.AddTangent(f.tan[k], f.tan[k-1])
		}
		if k < last {
			nn.LeakyReLU.Backward(f.tan[k], f.act[k], f.tan[k])
		}
	}
	s := 1.0
	if f.m.Demean {
		s = 2
	}
	out, w := f.act[last], f.del[last]
	for j, o := range out {
		p := nn.Sigm(o)
		w[j] = -s * s * p * (1 - p) * f.tan[last][j]
	}
	f.toInput(dst)
}

// minibatch is the decoder log-likelihoods f_i(b) = log p(x_i|b) of the
// binarised minibatch m.x as an estimators.Minibatch: Values sends all its
// points through the decoder as one matrix product.
type minibatch struct {
	m         *Model
	rows      int
	act, view [][]float64 // buffers for rows points, and views of R rows
	in        []float64   // the decoder's input (Demean)
	xb        nn.Binary   // the points as a binary batch, when they are
	ctx       []float64   // Context's row
	// Pullback's scratch: the encoder-parameter direction, its layers'
	// views, and the tangents of the encoder's layer outputs.
	v   []float64
	vl  []*nn.Dense
	tan [][]float64
}

func (mb *minibatch) Len() int { return mb.m.Batch }

// Context returns image i's encoder input, x_i or x_i − Mean with Demean
// (an estimators.ContextMinibatch: RELAX's network with input = xz takes
// it beside z, as the reference's does).
func (mb *minibatch) Context(i int) []float64 {
	P := mnist.Pixels
	if mb.ctx == nil {
		mb.ctx = make([]float64, P)
	}
	x := mb.m.x[i*P : (i+1)*P]
	if !mb.m.Demean {
		return x
	}
	for k, v := range x {
		mb.ctx[k] = v - mb.m.Mean[k]
	}
	return mb.ctx
}

// Pullback writes u = J Jᵀ g for per-image logit gradients g (B × D), J
// the Jacobian of the minibatch's logits with respect to the encoder's
// parameters (an estimators.GradMetric: REBAR and RELAX then minimise the
// variance of the encoder-parameter gradient, as the reference does): Jᵀ g
// by backpropagation through the encoder at the current minibatch, then
// u = J (Jᵀ g) by a forward-mode pass in that parameter direction.
func (mb *minibatch) Pullback(u, g []float64) {
	m := mb.m
	E, last := m.EncoderParams, len(m.enc)-1
	if len(u) != len(g) || len(g) != m.Batch*m.Latent {
		panic(fmt.Sprintf("bvae: Pullback: %d and %d values for %d × %d logits", len(u), len(g), m.Batch, m.Latent))
	}
	if mb.v == nil {
		mb.v = make([]float64, E)
		off := 0
		for _, l := range m.enc {
			nw := l.In * l.Out
			mb.vl = append(mb.vl, &nn.Dense{In: l.In, Out: l.Out, InMajor: true,
				W: mb.v[off : off+nw], B: mb.v[off+nw : off+nw+l.Out]})
			off += nw + l.Out
		}
		mb.tan = buffers(m.enc, m.Batch)
	}
	// Jᵀ g into the encoder's gradient slots (scratch during the estimate:
	// encoderGrad writes them after), moved to v.
	copy(m.edel[last], g)
	backwardBinary(m.enc, m.eact, m.edel, &m.xb)
	copy(mb.v, m.Grad[:E])
	// u = J v: layer k's output moves by h_{k−1} V_k + b^v_k + ḣ_{k−1} W_k.
	for k, l := range m.enc {
		if k == 0 {
			mb.vl[0].ForwardBinary(mb.tan[0], &m.xb)
		} else {
			mb.vl[k].Forward(mb.tan[k], m.eact[k-1])
			l.AddTangent(mb.tan[k], mb.tan[k-1])
		}
		if k < last {
			nn.LeakyReLU.Backward(mb.tan[k], m.eact[k], mb.tan[k])
		}
	}
	copy(u, mb.tan[last])
}

func (mb *minibatch) Objective(i int) objective.Objective {
	P := mnist.Pixels
	return mb.m.Objective(mb.m.x[i*P : (i+1)*P])
}

func (mb *minibatch) Values(dst, xs []float64, idx []int) {
	R, P := len(idx), mnist.Pixels
	if len(dst) != R || len(xs) != R*mb.m.Latent {
		panic(fmt.Sprintf("bvae: Values: %d values, %d inputs for %d rows", len(dst), len(xs), R))
	}
	if R > mb.rows {
		mb.act, mb.rows = buffers(mb.m.dec, R), R
		mb.view = make([][]float64, len(mb.act))
		if mb.m.Demean {
			mb.in = make([]float64, R*mb.m.Latent)
		}
	}
	for k, a := range mb.act {
		mb.view[k] = a[:R*mb.m.dec[k].Out]
	}
	if mb.xb.Set(xs, mb.m.Latent) {
		forwardBinary(mb.m.dec, mb.view, &mb.xb)
	} else {
		forward(mb.m.dec, mb.view, mb.m.decIn(mb.in, xs))
	}
	out := mb.view[len(mb.view)-1]
	for r, i := range idx {
		dst[r] = nn.BernoulliLogLikBlocked(nil, mb.m.x[i*P:(i+1)*P], out[r*P:(r+1)*P])
	}
}

// Input returns the binarised minibatch of the last Step (B × 784 values
// in {0, 1}), the model's own storage: valid until the next Step.
func (m *Model) Input() []float64 { return m.x }

// Objective returns f(b) = log p(x|b) for a binarised image x (len 784),
// sharing the model's scratch: valid until the next call of Objective,
// Step, EncoderGradVariance or Bounds.
func (m *Model) Objective(x []float64) objective.Differentiable {
	m.f.x = x
	return &m.f
}

// KL returns KL(q ‖ p) for independent Bernoullis with logits l (q) and
// theta (p), and, if dl and dtheta are not nil, writes its gradients:
// ∂KL/∂l_d = q_d(1 − q_d)(l_d − θ_d) and ∂KL/∂θ_d = p_d − q_d.
func KL(dl, dtheta, l, theta []float64) float64 {
	var p priorTerms
	p.set(theta)
	return p.kl(dl, dtheta, nil, l)
}

// priorTerms holds what KL needs of the prior's logits θ, computed once
// for a minibatch: softplus(θ_d), softplus(−θ_d) and σ(θ_d).
type priorTerms struct{ t, sp, spm, p, e, lp []float64 } // e, lp: scratch

func (p *priorTerms) set(theta []float64) {
	if len(p.sp) != len(theta) {
		p.sp, p.spm, p.p = make([]float64, len(theta)), make([]float64, len(theta)), make([]float64, len(theta))
	}
	p.t = theta
	for d, t := range theta {
		p.sp[d], p.spm[d] = softplus2(t)
		p.p[d] = nn.Sigm(t)
	}
}

// softplus2 returns softplus(x) and softplus(−x) from one exponential and
// one logarithm.
func softplus2(x float64) (pos, neg float64) {
	l := math.Log1p(math.Exp(-math.Abs(x)))
	return max(x, 0) + l, max(-x, 0) + l
}

// kl is KL for one image's logits l against the prior p; if dl is not nil
// it writes the gradients as KL does, and if q is not nil σ(l) into q.
func (p *priorTerms) kl(dl, dtheta, q, l []float64) float64 {
	var kl float64
	if len(p.e) < len(l) {
		p.e, p.lp = make([]float64, len(l)), make([]float64, len(l))
	}
	nn.ExpNegAbs(p.e, l)
	nn.Log1pUnit(p.lp, p.e[:len(l)])
	for d, a := range l {
		e, lp := p.e[d], p.lp[d]
		spa, spma := max(a, 0)+lp, max(-a, 0)+lp
		qd := 1 / (1 + e) // σ(a), from e^(−|a|)
		if a < 0 {
			qd = e / (1 + e)
		}
		// q (log q − log p) + (1 − q)(log(1 − q) − log(1 − p))
		kl += qd*(p.spm[d]-spma) + (1-qd)*(p.sp[d]-spa)
		if dl != nil {
			dl[d] = qd * (1 - qd) * (a - p.t[d])
			dtheta[d] = p.p[d] - qd
		}
		if q != nil {
			q[d] = qd
		}
	}
	return max(kl, 0)
}

// Step takes one minibatch of images (rows of 784 intensities in [0, 1]),
// binarises it dynamically with data, and writes the gradient of the
// negated minibatch-mean ELBO into Grad and PriorGrad: the encoder part from
// est (Samples samples per image, drawn from rng), the decoder part from one
// separate sample per image (drawn from data), the prior part analytic. It
// returns the evaluations est used and the minibatch mean ELBO at the
// separate samples. Runs of different estimators given the same data
// sequence see the same binarisation and decoder samples; only est's own
// draws differ.
func (m *Model) Step(images []float64, est estimators.Estimator, rng, data *rand.Rand) (estimators.Cost, float64, error) {
	m.checkBatch("Step", images)
	mnist.Binarize(m.x, images, data)
	m.xb.Set(m.x, mnist.Pixels)
	clear(m.PriorGrad) // Grad is written whole by the backward passes
	cost, kl, err := m.encoderGrad(est, rng, data)
	if err != nil {
		return cost, 0, err
	}
	ll := m.decoderGrad()
	return cost, (ll - kl) / float64(m.Batch), nil
}

func (m *Model) checkBatch(method string, images []float64) {
	if len(images) != m.Batch*mnist.Pixels {
		panic(fmt.Sprintf("bvae: %s: %d values, want %d images of %d pixels", method, len(images), m.Batch, mnist.Pixels))
	}
}

// encoderGrad writes the encoder's gradient for the binarised batch m.x
// into Grad[:EncoderParams] and adds the prior's to PriorGrad, draws the separate samples
// m.bs (from data), and returns the evaluations and the summed KL; est
// draws from rng.
func (m *Model) encoderGrad(est estimators.Estimator, rng, data *rand.Rand) (estimators.Cost, float64, error) {
	B, D := m.Batch, m.Latent
	forwardBinary(m.enc, m.eact, &m.xb)
	m.prior.set(m.Prior)
	last := len(m.enc) - 1
	logits, dlogits := m.eact[last], m.edel[last]
	inv := 1 / float64(B)
	var kl float64
	cost, err := estimators.EstimateMinibatch(est, m.g, m.qs, &m.mb, m.Samples, rng)
	if err != nil {
		return cost, 0, err
	}
	for i := range B {
		l, dl, g, q := logits[i*D:(i+1)*D], dlogits[i*D:(i+1)*D], m.g[i*D:(i+1)*D], m.q[i*D:(i+1)*D]
		kl += m.prior.kl(m.dkl, m.dth, q, l)
		for d := range l {
			// −∂ELBO/∂l = −(g − ∂KL/∂l); −∂ELBO/∂θ = ∂KL/∂θ.
			dl[d] = -(g[d] - m.dkl[d]) * inv
			m.PriorGrad[d] += m.dth[d] * inv
			m.bs[i*D+d] = bit(data.Float64() < q[d])
		}
	}
	backwardBinary(m.enc, m.eact, m.edel, &m.xb)
	return cost, kl, nil
}

// decoderGrad writes the decoder's gradient at the separate samples m.bs
// into Grad[EncoderParams:] and returns Σ_i log p(x_i|b'_i).
func (m *Model) decoderGrad() float64 {
	B, P := m.Batch, mnist.Pixels
	m.bsb.Set(m.bs, m.Latent)
	forwardBinary(m.dec, m.dact, &m.bsb)
	last := len(m.dec) - 1
	out, dout := m.dact[last], m.ddel[last]
	var ll float64
	for i := range B {
		ll += nn.BernoulliLogLikBlocked(dout[i*P:(i+1)*P], m.x[i*P:(i+1)*P], out[i*P:(i+1)*P])
	}
	inv := 1 / float64(B)
	for k := range dout {
		dout[k] *= -inv
	}
	backwardBinary(m.dec, m.dact, m.ddel, &m.bsb)
	return ll
}

// EncoderGradVariance binarises images (one minibatch) with batchRNG, draws
// draws ≥ 2 independent encoder gradients of the negated ELBO on it from
// est with rng, and returns the variance of each encoder parameter's
// gradient averaged over the encoder parameters, with the number of draws
// left out because they were not finite. Grad and PriorGrad are left
// undefined (the next Step recomputes them); the parameters do not change.
func (m *Model) EncoderGradVariance(images []float64, est estimators.Estimator, draws int, batchRNG, rng *rand.Rand) (float64, int, error) {
	m.checkBatch("EncoderGradVariance", images)
	if draws < 2 {
		return 0, 0, fmt.Errorf("bvae: %d variance draws: want ≥ 2", draws)
	}
	mnist.Binarize(m.x, images, batchRNG)
	m.xb.Set(m.x, mnist.Pixels)
	E := m.EncoderParams
	if m.mean == nil {
		m.mean, m.m2 = make([]float64, E), make([]float64, E)
	}
	clear(m.mean)
	clear(m.m2)
	n, nonfinite := 0, 0
	for range draws {
		if _, _, err := m.encoderGrad(est, rng, rng); err != nil {
			return 0, 0, err
		}
		g := m.Grad[:E]
		if !finite(g) {
			nonfinite++
			continue
		}
		n++
		for j, v := range g { // Welford
			d := v - m.mean[j]
			m.mean[j] += d / float64(n)
			m.m2[j] += d * (v - m.mean[j])
		}
	}
	if n < 2 {
		return math.NaN(), nonfinite, nil
	}
	var s float64
	for _, v := range m.m2 {
		s += v
	}
	return s / float64(n-1) / float64(E), nonfinite, nil
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Bounds returns, for the images (rows of 784, binarised with rng), the mean
// one-sample ELBO log p(x|b) − KL(q ‖ p), b ~ q(b|x), and the mean k-sample
// importance-weighted bound log (1/k) Σ_j p(x, b_j)/q(b_j|x) (Burda et
// al. 2016). It allocates its scratch (it runs at evaluation points only).
//
// The images go through the networks in blocks of about boundsRows
// decoder rows (100 images at k = 1, one at k = 100), as matrix products.
// The result is the one of taking the images one at a time: rng's draws
// are made in the same order (an image's binarisation, then its k·D
// latent uniforms, image after image), a product's rows do not depend on
// one another, and gonum's matrix-vector product that one image's rows
// would take adds the same products in the same order as the matrix
// product (which skips products with a zero input; for finite values that
// changes at most the sign of a zero sum, never a nonzero value), so every
// image's two terms keep their bits (TestBoundsPerImage).
func (m *Model) Bounds(images []float64, k int, rng *rand.Rand) (elbo, iw float64) {
	n := len(images) / mnist.Pixels
	m.bounds(images, k, rng, func(e, b float64) { elbo, iw = elbo+e, iw+b })
	return elbo / float64(n), iw / float64(n)
}

// bounds calls term with each image's one-sample ELBO and k-sample bound,
// image after image (Bounds).
func (m *Model) bounds(images []float64, k int, rng *rand.Rand, term func(elbo, iw float64)) {
	D, P := m.Latent, mnist.Pixels
	n := len(images) / P
	R := max(1, min(boundsRows/max(k, 1), n)) // images per block
	x, xin := make([]float64, R*P), make([]float64, R*P)
	u, b := make([]float64, R*k*D), make([]float64, R*k*D)
	lw := make([]float64, R*k)
	eact, dact := buffers(m.enc, R), buffers(m.dec, R*k)
	bb := m.decBinary()
	// Per latent: σ(l_d), and log p(b_d) − log q(b_d) at b_d = 1 and 0.
	q, lr1, lr0 := make([]float64, D), make([]float64, D), make([]float64, D)
	var prior priorTerms
	prior.set(m.Prior)
	for i0 := 0; i0 < n; i0 += R {
		r := min(R, n-i0)
		if r < R {
			eact, dact = buffers(m.enc, r), buffers(m.dec, r*k)
		}
		for i := range r {
			mnist.Binarize(x[i*P:(i+1)*P], images[(i0+i)*P:(i0+i+1)*P], rng)
			for c := range u[i*k*D : (i+1)*k*D] {
				u[i*k*D+c] = rng.Float64()
			}
		}
		forward(m.enc, eact, m.encIn(xin, x[:r*P]))
		logits := eact[len(eact)-1]
		for i := range r {
			for d, a := range logits[i*D : (i+1)*D] {
				// nn.Sigm(a), nn.LogSigmoid(±a) and nn.LogSigmoid(±θ_d)
				// (−softplus(∓θ_d), which prior holds), from the one
				// e^(−|a|) and log1p they share, with their bits.
				e := math.Exp(-math.Abs(a))
				l := math.Log1p(e)
				q[d] = 1 / (1 + e)
				if !(a >= 0) {
					q[d] = e / (1 + e)
				}
				lr1[d] = -prior.spm[d] + (max(-a, 0) + l)
				lr0[d] = -prior.sp[d] + (max(a, 0) + l)
			}
			for j := i * k; j < (i+1)*k; j++ {
				lw[j] = 0
				for d := range D {
					if u[j*D+d] < q[d] {
						b[j*D+d] = 1
						lw[j] += lr1[d]
					} else {
						b[j*D+d] = 0
						lw[j] += lr0[d]
					}
				}
			}
		}
		bb.Set(b[:r*k*D], D)
		forwardBinary(m.dec, dact, &bb)
		out := dact[len(dact)-1]
		for i := range r {
			ll0, bound := nn.ImportanceBound(lw[i*k:(i+1)*k], x[i*P:(i+1)*P], out[i*k*P:(i+1)*k*P])
			term(ll0-prior.kl(nil, nil, nil, logits[i*D:(i+1)*D]), bound)
		}
	}
}

// boundsRows is about how many decoder rows Bounds puts through the
// networks at once.
const boundsRows = 100

// bit returns 1 if c, else 0, compiled without a branch (a random
// comparison would mispredict half the time).
func bit(c bool) float64 {
	var b uint8
	if c {
		b = 1
	}
	return float64(b)
}
