// Package vae is the variational autoencoder with Gaussian latent variables
// of Kingma & Welling (2013) on binarised MNIST: an encoder MLP gives, for
// each image x_i, the diagonal normal q(z|x_i) = N(μ_i, diag(σ_i²)), a
// decoder MLP gives Bernoulli pixel probabilities p(x|z), and the prior is
// N(0, I). Both MLPs use tanh hidden layers (784-H-H-2L and L-H-H-784).
//
// # Where the estimators plug in
//
// For every image i of a minibatch, the encoder gradient comes from a
// registered estimators.Estimator: the family is p_i = dist.MVNDiag(μ_i, σ_i)
// and the objective f_i(z) = log p(x_i|z) (the decoder, differentiable in z
// by backpropagation), so Estimate(g_i, p_i, f_i, n, rng) estimates
// ∇_(μ_i,σ_i) E_q[log p(x_i|z)]. The KL term is analytic. The estimate is
// chained through σ_i = exp(ℓ_i) and backpropagated into the encoder.
//
// The decoder's gradient does not come from the estimator's samples (an
// estimator such as mvd evaluates f at points not drawn from q, and others
// evaluate f without its gradient): it is ∇_dec log p(x_i|z'_i) at one
// separate reparameterised sample z'_i ~ q(z|x_i) per image, the same for
// every estimator, so runs differ only in their encoder gradients. The
// training ELBO recorded for the step is the minibatch mean of
// log p(x_i|z'_i) − KL_i at these samples.
package vae

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
	Hidden  int // units per hidden layer (200)
	Latent  int // latent dimension L (20)
	Batch   int // images per step (100)
	Samples int // samples per estimate (n)
}

// Model is a Gaussian VAE with its training buffers. It is not safe for
// concurrent use.
type Model struct {
	Config
	enc1, enc2, encOut *nn.Dense
	dec1, dec2, decOut *nn.Dense
	// Params and Grad are the flat parameters (encoder, then decoder layers)
	// and the gradient of the negated minibatch ELBO of the last Step.
	Params, Grad []float64

	// batch buffers
	x                  []float64 // B × 784 binarised input
	eh1, eh2, eo, deo  []float64 // encoder activations and output gradient
	dh1, dh2           []float64 // B × H backprop scratch
	z, eps             []float64 // B × L
	zh1, zh2, logit    []float64 // decoder activations
	dlogit, dzh1, dzh2 []float64
	g                  []float64 // 2L estimate for one image

	f   likelihood
	q   dist.MVNDiag
	mu  []float64 // L view scratch
	sig []float64
}

// New returns a model with Glorot-uniform weights drawn from rng, or an
// error for a size < 1.
func New(c Config, rng *rand.Rand) (*Model, error) {
	if c.Hidden < 1 || c.Latent < 1 || c.Batch < 1 || c.Samples < 1 {
		return nil, fmt.Errorf("vae: hidden %d, latent %d, batch %d, samples %d: want all ≥ 1", c.Hidden, c.Latent, c.Batch, c.Samples)
	}
	H, L, B, P := c.Hidden, c.Latent, c.Batch, mnist.Pixels
	m := &Model{Config: c,
		enc1: nn.NewDense(P, H, rng), enc2: nn.NewDense(H, H, rng), encOut: nn.NewDense(H, 2*L, rng),
		dec1: nn.NewDense(L, H, rng), dec2: nn.NewDense(H, H, rng), decOut: nn.NewDense(H, P, rng),
	}
	m.Params, m.Grad = nn.Pack(m.enc1, m.enc2, m.encOut, m.dec1, m.dec2, m.decOut)
	mk := func(n int) []float64 { return make([]float64, n) }
	m.x = mk(B * P)
	m.eh1, m.eh2, m.eo, m.deo = mk(B*H), mk(B*H), mk(B*2*L), mk(B*2*L)
	m.dh1, m.dh2 = mk(B*H), mk(B*H)
	m.z, m.eps = mk(B*L), mk(B*L)
	m.zh1, m.zh2, m.logit = mk(B*H), mk(B*H), mk(B*P)
	m.dlogit, m.dzh1, m.dzh2 = mk(B*P), mk(B*H), mk(B*H)
	m.g = mk(2 * L)
	m.sig = mk(L)
	m.f = likelihood{m: m, h1: mk(H), h2: mk(H), logit: mk(P), dl: mk(P), d1: mk(H), d2: mk(H)}
	return m, nil
}

// encode runs the encoder on the first rows of x (B rows of 784) into eo
// (rows of μ then ℓ = log σ).
func (m *Model) encode(eo, h1, h2, x []float64) {
	m.enc1.Forward(h1, x)
	nn.Tanh.Apply(h1, h1)
	m.enc2.Forward(h2, h1)
	nn.Tanh.Apply(h2, h2)
	m.encOut.Forward(eo, h2)
}

// decode runs the decoder on rows z into logits, keeping activations.
func (m *Model) decode(logit, h1, h2, z []float64) {
	m.dec1.Forward(h1, z)
	nn.Tanh.Apply(h1, h1)
	m.dec2.Forward(h2, h1)
	nn.Tanh.Apply(h2, h2)
	m.decOut.Forward(logit, h2)
}

// likelihood is f_i(z) = log p(x_i|z) for one image, an
// objective.Differentiable over z (len L).
type likelihood struct {
	m                 *Model
	x                 []float64 // the image (784)
	h1, h2, logit, dl []float64
	d1, d2            []float64
}

func (*likelihood) Name() string { return "vae-loglik" }

func (f *likelihood) Value(z []float64) float64 {
	f.m.decode(f.logit, f.h1, f.h2, z)
	return nn.BernoulliLogLikBlocked(nil, f.x, f.logit)
}

func (f *likelihood) Grad(dst, z []float64) float64 {
	m := f.m
	m.decode(f.logit, f.h1, f.h2, z)
	v := nn.BernoulliLogLikBlocked(f.dl, f.x, f.logit)
	m.decOut.BackwardInput(f.d2, f.dl)
	nn.Tanh.Backward(f.d2, f.h2, f.d2)
	m.dec2.BackwardInput(f.d1, f.d2)
	nn.Tanh.Backward(f.d1, f.h1, f.d1)
	m.dec1.BackwardInput(dst, f.d1)
	return v
}

// Input returns the binarised minibatch of the last Step (B × 784 values
// in {0, 1}), the model's own storage: valid until the next Step.
func (m *Model) Input() []float64 { return m.x }

// Objective returns f_i(z) = log p(x|z) for image x (len 784), sharing the
// model's scratch: valid until the next call of Objective or Step.
func (m *Model) Objective(x []float64) objective.Differentiable {
	m.f.x = x
	return &m.f
}

// Step takes one minibatch of images (rows of 784 intensities in [0, 1]),
// binarises it dynamically with data, and writes the gradient of the
// negated minibatch-mean ELBO into Grad: the encoder part from est (n =
// Samples samples per image, drawn from rng), the decoder part from one
// separate reparameterised sample per image (drawn from data). It returns
// the evaluations est used and the minibatch mean ELBO at the separate
// samples. Runs of different estimators given the same data sequence see
// the same binarisation and decoder noise; only est's own draws differ.
func (m *Model) Step(images []float64, est estimators.Estimator, rng, data *rand.Rand) (estimators.Cost, float64, error) {
	B, L, P := m.Batch, m.Latent, mnist.Pixels
	if len(images) != B*P {
		panic(fmt.Sprintf("vae: Step: %d values, want %d images of %d pixels", len(images), B, P))
	}
	mnist.Binarize(m.x, images, data)
	clear(m.Grad)
	m.encode(m.eo, m.eh1, m.eh2, m.x)

	var cost estimators.Cost
	inv := 1 / float64(B)
	var elbo float64
	for i := range B {
		o, do := m.eo[i*2*L:(i+1)*2*L], m.deo[i*2*L:(i+1)*2*L]
		mu, ell := o[:L], o[L:]
		for d, l := range ell {
			m.sig[d] = math.Exp(l)
		}
		m.q = dist.MVNDiag{Mu: mu, Sigma: m.sig}
		c, err := est.Estimate(m.g, &m.q, m.Objective(m.x[i*P:(i+1)*P]), m.Samples, rng)
		if err != nil {
			return cost, 0, err
		}
		cost.F += c.F
		cost.Grad += c.Grad
		for d := range L {
			s := m.sig[d]
			// −∂ELBO/∂μ = −(g_μ − μ); −∂ELBO/∂ℓ = −(g_σ σ − (σ² − 1)).
			do[d] = -(m.g[d] - mu[d]) * inv
			do[L+d] = -(m.g[L+d]*s - (s*s - 1)) * inv
			elbo -= 0.5 * (mu[d]*mu[d] + s*s - 1 - 2*ell[d])
			m.eps[i*L+d] = data.NormFloat64()
			m.z[i*L+d] = mu[d] + s*m.eps[i*L+d]
		}
	}
	// Encoder backward.
	m.encOut.Backward(m.dh2, m.eh2, m.deo)
	nn.Tanh.Backward(m.dh2, m.eh2, m.dh2)
	m.enc2.Backward(m.dh1, m.eh1, m.dh2)
	nn.Tanh.Backward(m.dh1, m.eh1, m.dh1)
	m.enc1.Backward(nil, m.x, m.dh1)

	// Decoder at the separate samples.
	m.decode(m.logit, m.zh1, m.zh2, m.z)
	for i := range B {
		row := m.logit[i*P : (i+1)*P]
		drow := m.dlogit[i*P : (i+1)*P]
		elbo += nn.BernoulliLogLikBlocked(drow, m.x[i*P:(i+1)*P], row)
	}
	for k := range m.dlogit {
		m.dlogit[k] *= -inv
	}
	m.decOut.Backward(m.dzh2, m.zh2, m.dlogit)
	nn.Tanh.Backward(m.dzh2, m.zh2, m.dzh2)
	m.dec2.Backward(m.dzh1, m.zh1, m.dzh2)
	nn.Tanh.Backward(m.dzh1, m.zh1, m.dzh1)
	m.dec1.Backward(nil, m.z, m.dzh1)
	return cost, elbo * inv, nil
}

// Bounds returns, for the images (rows of 784, binarised with rng), the mean
// one-sample ELBO and the mean k-sample importance-weighted bound
// log (1/k) Σ_j p(x, z_j)/q(z_j|x), z_j ~ q(z|x) (Burda et al. 2016). It
// allocates its scratch (it runs at evaluation points only).
func (m *Model) Bounds(images []float64, k int, rng *rand.Rand) (elbo, iw float64) {
	L, H, P := m.Latent, m.Hidden, mnist.Pixels
	n := len(images) / P
	x := make([]float64, P)
	eo, h1, h2 := make([]float64, 2*L), make([]float64, H), make([]float64, H)
	z, eps := make([]float64, k*L), make([]float64, k*L)
	zh1, zh2, logit := make([]float64, k*H), make([]float64, k*H), make([]float64, k*P)
	lw := make([]float64, k)
	for i := range n {
		mnist.Binarize(x, images[i*P:(i+1)*P], rng)
		m.encode(eo, h1, h2, x)
		mu, ell := eo[:L], eo[L:]
		for j := range k {
			lw[j] = 0
			for d := range L {
				e := rng.NormFloat64()
				eps[j*L+d] = e
				zd := mu[d] + math.Exp(ell[d])*e
				z[j*L+d] = zd
				// log p(z) − log q(z|x) (the 2π terms cancel)
				lw[j] += -0.5*zd*zd + 0.5*e*e + ell[d]
			}
		}
		m.decode(logit, zh1, zh2, z)
		ll0, bound := nn.ImportanceBound(lw, x, logit)
		iw += bound
		// one-sample ELBO with the analytic KL: log p(x|z_0) − KL
		var kl float64
		for d := range L {
			sd := math.Exp(ell[d])
			kl += 0.5 * (mu[d]*mu[d] + sd*sd - 1 - 2*ell[d])
		}
		elbo += ll0 - kl
	}
	return elbo / float64(n), iw / float64(n)
}
