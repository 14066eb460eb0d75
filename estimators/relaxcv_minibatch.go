package estimators

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// RelaxCV's minibatch path, and what the reference implementations of RELAX
// and REBAR on the Bernoulli VAE do (read, not copied):
//
// The DisARM code (google-research/google-research, disarm/binary:
// networks.py, DiscreteVAE.get_relax_parameters, get_relax_control_variate
// and get_relax_loss, and experiment_launcher_singlelayer.py and
// experiment_launcher_multilayer.py, train_one_step and main), against
// which DisARM was compared on the 784-200-784 and 784-200-200-200 VAEs at
// batch 50 with one sample per image:
//
//   - the surrogate is c(z) = η (f(σ(z/τ)) + r_φ(x ⊕ z)): the network's
//     output is added to f's and scaled by η too (our ScaleNet); f is the
//     ELBO of the image x at the relaxed latent σ(z/τ);
//   - r_φ is Keras Dense(137, LeakyReLU(alpha = 0.3)) then Dense(1): one
//     hidden layer of 137 leaky-ReLU units of slope 0.3, on the image x
//     (784 pixels, not demeaned) concatenated with the perturbed logits
//     z = α + logit(u) themselves, not σ(z) (our input = xz); both layers
//     have Keras's default initialisation (Glorot-uniform weights, zero
//     biases), so r_φ starts nonzero. With several stochastic layers each
//     layer has its own network, on that layer's input ⊕ z;
//   - η ("scaling_variable") is one scalar, initialised to 1; τ is learned
//     as log τ ("log_temperature_variable"), initialised to log 0.1, one
//     scalar shared by all latents; a flag can fix either;
//   - the control-variate parameters (φ, log τ, η) take ONE step per
//     minibatch of Adam with the encoder's learning rate (infnet_lr,
//     default 1e-4) and beta_1 = 0.999 (Keras's defaults otherwise:
//     β2 = 0.999, ε = 1e-7), along the gradient of Σ (∇_W L)², the squared
//     norm of the minibatch's ENCODER-PARAMETER gradient ∇_W L = Σ_i J_iᵀ ĝ_i
//     (the per-image estimates backpropagated to the encoder weights W and
//     summed over the 50 images): our objective = params with a GradMetric.
//
// RELAX's own code (duvenaud/relax, binary_vae_multilayer_per_layer.py)
// differs: there the network is 2 (or 4) hidden layers of 200 ReLU units on
// (x − mean x) ⊕ z ⊕ (2b − 1 of the earlier layers), the surrogate is again
// η (f(σ_τ(z)) + r(z)) with η and log τ per layer (initialised to 1 and
// log 0.5), and the variance step (Adam, learning rate 10 × the model's,
// β2 = 0.99999, optional weight decay on the network) minimises the mean
// square of the per-image LOGIT gradient, summed over layers: our
// objective = example. REBAR's baseline there (rebar_baseline/rebar.py,
// Tucker et al.'s code) has one η per encoder-parameter tensor (2σ(w),
// w initialised to 0) multiplying the control variate's parameter gradient;
// our REBAR has one scalar η, as the DisARM code.
//
// What the harness does not reproduce: the networks' initialisation (ours
// starts at zero output, as REBAR), Keras's ε, and the objective's own
// dependence on the encoder (the ELBO's −log q at the relaxed sample),
// which the harness's decoder objective does not have.

// relaxMinibatch is the scratch of RelaxCV's minibatch path: what the second
// pass needs of every sample k = i·n + s of the first (rows of d values, the
// scores rows of P), and work vectors.
type relaxMinibatch struct {
	u, v, z, zt, b            []float64
	x, xt, gx, gxt, dzx, dzxt []float64
	htau, htaut               []float64 // Hᵀ x_τ at x and at x̃ (tuning τ)
	score                     []float64
	fb, fxt, dft              []float64 // f(b), f(x̃), ∇f(x̃)·x̃_τ
	idx                       []int
	metric                    []float64 // u = J Jᵀ G (B×P)
	base                      []float64 // per example, the network's pre-activations due to x (B×H)
	cz, czt, a, at, xa, xtau  []float64
	xat, hx, hfull, gi        []float64
}

// EstimateMinibatch writes example i's n-sample estimate into
// grads[i*P:(i+1)*P]: the estimate Estimate computes, from the same draws
// of rng in the same order, but with (η, log τ, φ) held fixed across the
// minibatch. Then (unless frozen or lr = 0) it takes one Adam step for the
// whole minibatch along the gradient of Σ ‖Jᵀ G‖² (objective = params and f
// a GradMetric; J Jᵀ = I otherwise), G the B estimates: 2 Σ_i u_i ∂G_i/∂ψ
// with u = J Jᵀ G, computed as Estimate computes its variance gradient with
// u_i in place of the sample's estimate. f(b) at the hard samples goes
// through one Values call; f's gradients and curvature come from
// f.Objective(i), which must be objective.Differentiable (and
// objective.Curved or objective.HessVec when tuning τ). With input = xz, f must be a
// ContextMinibatch.
func (e *RelaxCV) EstimateMinibatch(grads []float64, ps []dist.Distribution, f Minibatch, n int, rng *rand.Rand) (Cost, error) {
	info := e.Info()
	if err := checkMinibatch(e, ps, f, n, false); err != nil {
		return Cost{}, err
	}
	B := len(ps)
	if B == 0 {
		return Cost{}, nil
	}
	d, P := ps[0].Dim(), ps[0].NumParams()
	if len(grads) != B*P {
		panic(fmt.Sprintf("estimators: EstimateMinibatch: gradient length %d, want %d examples × %d parameters", len(grads), B, P))
	}
	for i, p := range ps {
		if _, ok := p.(dist.RelaxedConditional); !ok {
			return Cost{}, Unsupported(info.Name, "family %s has no conditional relaxation", p.Name())
		}
		if err := Check(info, p, f.Objective(i), n); err != nil {
			return Cost{}, err
		}
	}
	var cm ContextMinibatch
	C := 0
	if e.inXZ {
		var ok bool
		if cm, ok = f.(ContextMinibatch); !ok {
			return Cost{}, Unsupported(info.Name, "input = xz needs the examples' conditioning inputs (a ContextMinibatch)")
		}
		C = len(cm.Context(0))
		for i := 1; i < B; i++ {
			if len(cm.Context(i)) != C {
				return Cost{}, Unsupported(info.Name, "the conditioning inputs of a minibatch differ in length")
			}
		}
		if C == 0 {
			return Cost{}, Unsupported(info.Name, "input = xz with an empty conditioning input")
		}
	}
	if e.netDim != C+d || e.ctxLen != C {
		e.initNet(C, d)
	}
	adapt := e.lr > 0 && !e.frozen
	tune := adapt && e.tuneTau
	mb, H, R := &e.mb, e.hidden, B*n
	for _, s := range []*[]float64{&mb.u, &mb.v, &mb.z, &mb.zt, &mb.b, &mb.x, &mb.xt, &mb.gx, &mb.gxt, &mb.dzx, &mb.dzxt} {
		*s = grow(*s, R*d)
	}
	if tune {
		mb.htau, mb.htaut = grow(mb.htau, R*d), grow(mb.htaut, R*d)
	}
	mb.score, mb.fb, mb.fxt, mb.dft = grow(mb.score, R*P), grow(mb.fb, R), grow(mb.fxt, R), grow(mb.dft, R)
	if cap(mb.idx) < R {
		mb.idx = make([]int, R)
	}
	mb.idx = mb.idx[:R]
	mb.metric, mb.gi = grow(mb.metric, B*P), grow(mb.gi, P)
	for _, s := range []*[]float64{&mb.cz, &mb.czt, &mb.a, &mb.at, &mb.xa, &mb.xtau, &mb.xat, &mb.hx} {
		*s = grow(*s, d)
	}
	if e.inXZ {
		mb.base = grow(mb.base, B*H)
	}
	e.hid, e.hidA = grow(e.hid, H), grow(e.hidA, H)
	e.hidP, e.hidPP = grow(e.hidP, H), grow(e.hidPP, H)
	row := func(s []float64, k int) []float64 { return s[k*d : (k+1)*d] }

	// First pass: the noise of every sample in the per-example order, f at
	// every hard sample in one call, then the estimates.
	for i, p := range ps {
		r := p.(dist.RelaxedConditional)
		for s := range n {
			k := i*n + s
			u, z, b, v := row(mb.u, k), row(mb.z, k), row(mb.b, k), row(mb.v, k)
			r.RelaxNoise(u, rng)
			r.Preact(z, u)
			r.Hard(b, z)
			r.RelaxNoise(v, rng)
			r.CondPreact(row(mb.zt, k), v, b)
			mb.idx[k] = i
		}
	}
	f.Values(mb.fb, mb.b, mb.idx)
	eta, tau := e.eta, math.Exp(e.logTau)
	sn, inv := e.netScale(), 1/float64(n)
	for i, p := range ps {
		r := p.(dist.RelaxedConditional)
		var base []float64
		if e.inXZ {
			base = mb.base[i*H : (i+1)*H]
			e.netBase(base, cm.Context(i))
		}
		fi := f.Objective(i)
		df := fi.(objective.Differentiable)
		grad := grads[i*P : (i+1)*P]
		zero(grad)
		for s := range n {
			k := i*n + s
			u, v, z, zt, b := row(mb.u, k), row(mb.v, k), row(mb.z, k), row(mb.zt, k), row(mb.b, k)
			x, xt, gx, gxt := row(mb.x, k), row(mb.xt, k), row(mb.gx, k), row(mb.gxt, k)
			dzx, dzxt, sc := row(mb.dzx, k), row(mb.dzxt, k), mb.score[k*P:(k+1)*P]
			r.Soft(x, z, tau)
			r.Soft(xt, zt, tau)
			fb := mb.fb[k]
			p.Score(sc, b)
			df.Grad(gx, x)
			fxt := df.Grad(gxt, xt)
			r.SoftVJP(dzx, x, z, gx, tau)
			r.SoftVJP(dzxt, xt, zt, gxt, tau)
			for j := range d {
				mb.cz[j], mb.czt[j] = eta*dzx[j], eta*dzxt[j]
			}
			ct := eta * fxt
			if e.mlp {
				rzt, _ := e.netEval(mb.a, zt, nil, base)
				for j := range d {
					mb.czt[j] += sn * mb.a[j]
				}
				e.netEval(mb.a, z, nil, base)
				for j := range d {
					mb.cz[j] += sn * mb.a[j]
				}
				ct += sn * rzt
			}
			for j, sj := range sc {
				mb.gi[j] = (fb - ct) * sj
			}
			r.PreactVJP(mb.gi, u, mb.cz)
			for j := range d {
				mb.czt[j] = -mb.czt[j]
			}
			r.CondPreactVJP(mb.gi, v, b, mb.czt)
			for j, g := range mb.gi {
				grad[j] += g * inv
			}
			mb.fxt[k] = fxt
			if tune {
				// x_τ does not depend on the direction (mb.a, any values).
				r.SoftTangents(mb.xa, mb.xtau, mb.xat, x, z, mb.a, tau)
				mb.curvature(row(mb.htau, k), fi, x)
				r.SoftTangents(mb.xa, mb.xtau, mb.xat, xt, zt, mb.a, tau)
				mb.curvature(row(mb.htaut, k), fi, xt)
				mb.dft[k] = dotF(gxt, mb.xtau)
			}
		}
	}
	cost := Cost{F: n * B, Grad: 2 * n * B}
	if !adapt {
		return cost, nil
	}

	// Second pass: 2 Σ_i u_i ∂G_i/∂ψ, u = J Jᵀ G.
	if gm, ok := f.(GradMetric); ok && e.opts.Objective == "params" {
		gm.Pullback(mb.metric, grads)
	} else {
		copy(mb.metric, grads)
	}
	clear(e.dpsi)
	c := 2 * inv
	for i, p := range ps {
		r := p.(dist.RelaxedConditional)
		ui := mb.metric[i*P : (i+1)*P]
		var base, ctx []float64
		if e.inXZ {
			base, ctx = mb.base[i*H:(i+1)*H], cm.Context(i)
		}
		for s := range n {
			k := i*n + s
			u, v, z, zt, b := row(mb.u, k), row(mb.v, k), row(mb.z, k), row(mb.zt, k), row(mb.b, k)
			r.PreactJVP(mb.a, u, ui)
			r.CondPreactJVP(mb.at, v, b, ui)
			ss := dotF(mb.score[k*P:(k+1)*P], ui)
			e.dpsi[0] += c * (dotF(mb.a, row(mb.dzx, k)) - dotF(mb.at, row(mb.dzxt, k)) - mb.fxt[k]*ss)
			if tune {
				r.SoftTangents(mb.xa, mb.xtau, mb.xat, row(mb.x, k), z, mb.a, tau)
				dz := dotF(row(mb.htau, k), mb.xa) + dotF(row(mb.gx, k), mb.xat)
				r.SoftTangents(mb.xa, mb.xtau, mb.xat, row(mb.xt, k), zt, mb.at, tau)
				dzt := dotF(row(mb.htaut, k), mb.xa) + dotF(row(mb.gxt, k), mb.xat)
				e.dpsi[1] += c * eta * (dz - dzt - mb.dft[k]*ss) * tau
			}
			if e.mlp {
				g := e.dpsi[2:]
				_, dr := e.netEval(mb.cz, z, mb.a, base)
				e.netParamGrad(g, z, ctx, mb.a, 0, sn*c)
				rt, drt := e.netEval(mb.cz, zt, mb.at, base)
				e.netParamGrad(g, zt, ctx, mb.at, -sn*c*ss, -sn*c)
				if e.opts.ScaleNet {
					e.dpsi[0] += c * (dr - drt - rt*ss)
				}
			}
		}
	}
	e.adamStep()
	return cost, nil
}

// curvature writes Hᵀ x_τ into dst, H = ∇²f(x) (a product where f is an
// objective.HessVec, else objective.Hessian where f implements it, else
// its diagonal) and x_τ = mb.xtau.
func (mb *relaxMinibatch) curvature(dst []float64, f objective.Objective, x []float64) {
	if hv, ok := f.(objective.HessVec); ok {
		hv.HessVec(dst, x, mb.xtau) // H is symmetric
		return
	}
	d := len(x)
	if full, ok := f.(objective.Hessian); ok {
		mb.hfull = grow(mb.hfull, d*d)
		full.Hessian(mb.hfull, x)
		clear(dst)
		for j, t := range mb.xtau {
			for k, h := range mb.hfull[j*d : (j+1)*d] {
				dst[k] += t * h
			}
		}
		return
	}
	f.(objective.Curved).HessDiag(mb.hx, x)
	for k, h := range mb.hx {
		dst[k] = h * mb.xtau[k]
	}
}
