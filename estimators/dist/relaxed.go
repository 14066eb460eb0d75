package dist

import (
	"math"
	"math/rand/v2"
)

// Relaxed is a discrete family with a continuous relaxation (Concrete or
// Gumbel-Softmax; Maddison, Mnih, Teh 2017; Jang, Gu, Poole 2017). A sample
// is made in three steps from base noise u of length Dim, uniform on (0, 1):
//
//	z = z(θ, u)       the perturbed logits ("pre-activations"), len Dim;
//	b = H(z)          the discrete outcome, distributed as p(·;θ);
//	x = σ_τ(z)        the relaxed outcome at temperature τ > 0, in the
//	                  convex hull of the support (σ(z/τ) or softmax(z/τ)),
//
// and x → b as τ → 0. Relaxed outcomes live in the same space as discrete
// ones, so an objective defined on the support and on its convex hull can
// take either.
type Relaxed interface {
	Distribution
	// RelaxNoise draws base noise u (len Dim), uniform on the open interval
	// (0, 1).
	RelaxNoise(u []float64, rng *rand.Rand)
	// Preact writes z = z(θ, u) into z (len Dim).
	Preact(z, u []float64)
	// PreactVJP adds (∂z/∂θ)ᵀ v to dst (len NumParams; len(u) = len(v) = Dim).
	PreactVJP(dst, u, v []float64)
	// Hard writes the discrete outcome b = H(z) into b (len Dim).
	Hard(b, z []float64)
	// Soft writes the relaxed outcome x = σ_τ(z) into x (len Dim). It
	// panics if tau is not positive.
	Soft(x, z []float64, tau float64)
	// SoftVJP writes (∂x/∂z)ᵀ v into dz, where x = Soft(z, tau) is given,
	// and returns vᵀ ∂x/∂τ. All slices have length Dim.
	SoftVJP(dz, x, z, v []float64, tau float64) float64
}

// RelaxedConditional is a relaxed family that can also draw z̃ from the
// conditional distribution of z given H(z) = b, reparameterized by fresh
// uniform noise v: z̃ = z̃(θ, v, b). REBAR (Tucker et al. 2017) and RELAX
// (Grathwohl et al. 2018) need it, with the Jacobian-vector products below
// for tuning their control variates.
type RelaxedConditional interface {
	Relaxed
	// PreactJVP writes (∂z/∂θ) w into dst (len Dim; len(w) = NumParams).
	PreactJVP(dst, u, w []float64)
	// CondPreact writes z̃ = z̃(θ, v, b) into z (len Dim), v uniform noise
	// drawn by RelaxNoise and b a discrete outcome.
	CondPreact(z, v, b []float64)
	// CondPreactVJP adds (∂z̃/∂θ)ᵀ w to dst (len NumParams; len(w) = Dim).
	CondPreactVJP(dst, v, b, w []float64)
	// CondPreactJVP writes (∂z̃/∂θ) w into dst (len Dim; len(w) = NumParams).
	CondPreactJVP(dst, v, b, w []float64)
	// SoftTangents writes, for x = Soft(z, tau) (given) and a direction a in
	// z-space, xa = (∂x/∂z) a, xt = ∂x/∂τ and xat = ∂/∂τ ((∂x/∂z) a). All
	// slices have length Dim.
	SoftTangents(xa, xt, xat, x, z, a []float64, tau float64)
}

// Binary is a family of independent Bernoulli coordinates, x_d ∈ {0, 1}
// with P(x_d = 1) = σ(α_d), whose logits α_d are functions of θ (the
// identity, or one logit shared by every coordinate).
type Binary interface {
	Distribution
	// LogitAt returns α_d, for 0 ≤ d < Dim.
	LogitAt(d int) float64
	// LogitVJP adds Σ_d v[d] ∂α_d/∂θ_j to dst[j] (len(v) = Dim).
	LogitVJP(dst, v []float64)
}

// uniformOpen returns a uniform value in the open interval (0, 1): the
// midpoint of one of the 2⁵³ equal cells of [0, 1).
func uniformOpen(rng *rand.Rand) float64 {
	return (float64(rng.Uint64()>>11) + 0.5) / (1 << 53)
}

// logit returns log(u/(1 − u)).
func logit(u float64) float64 { return math.Log(u) - math.Log1p(-u) }

// checkTau panics unless tau > 0.
func checkTau(method string, tau float64) {
	if !(tau > 0) || math.IsInf(tau, 1) {
		panic("dist: " + method + ": temperature must be finite and > 0")
	}
}

// The Bernoulli relaxation, coordinate by coordinate, for logit α:
// z = α + logit(u), b = 1[z > 0], x = σ(z/τ). Given b, u is uniform on
// (1 − θ, 1) if b = 1 and on (0, 1 − θ) if b = 0, θ = σ(α), so
// z̃ = α + logit(v'), with v' = vθ + (1 − θ) or v(1 − θ).

// bernCond returns z̃ and ∂z̃/∂α for logit a, noise v and outcome b.
func bernCond(a, v, b float64) (z, dz float64) {
	th, q := sigmoid(a), sigmoid(-a) // θ, 1 − θ
	var vp, dvp float64
	if b > 0.5 {
		vp = v*th + q
		dvp = (v - 1) * th * q
	} else {
		vp = v * q
		dvp = -v * th * q
	}
	// 1 − v' computed without cancellation.
	var one float64
	if b > 0.5 {
		one = (1 - v) * th
	} else {
		one = (1 - v) + v*th
	}
	z = a + math.Log(vp) - math.Log(one)
	dz = 1 + dvp/vp + dvp/one
	return z, dz
}

// bernSoftVJP writes dz = v σ'(z/τ)/τ and returns Σ v ∂x/∂τ.
func bernSoftVJP(dz, x, z, v []float64, tau float64) float64 {
	dt := 0.0
	for d := range dz {
		r := x[d] * (1 - x[d]) / tau
		dz[d] = v[d] * r
		dt -= v[d] * r * z[d] / tau
	}
	return dt
}

// bernSoftTangents implements SoftTangents for independent coordinates.
func bernSoftTangents(xa, xt, xat, x, z, a []float64, tau float64) {
	for d := range x {
		r := x[d] * (1 - x[d])
		xa[d] = r * a[d] / tau
		xt[d] = -r * z[d] / (tau * tau)
		xat[d] = a[d] * ((1-2*x[d])*xt[d]/tau - r/(tau*tau))
	}
}

// Methods of the scalar Bernoulli.

// RelaxNoise draws u uniform on (0, 1).
func (Bernoulli) RelaxNoise(u []float64, rng *rand.Rand) { u[0] = uniformOpen(rng) }

// Preact writes z = logit + log(u/(1 − u)).
func (b Bernoulli) Preact(z, u []float64) { z[0] = b.Logit + logit(u[0]) }

// PreactVJP adds v to dst (∂z/∂logit = 1).
func (Bernoulli) PreactVJP(dst, _, v []float64) { dst[0] += v[0] }

// PreactJVP writes w into dst.
func (Bernoulli) PreactJVP(dst, _, w []float64) { dst[0] = w[0] }

// Hard writes 1 if z > 0, else 0.
func (Bernoulli) Hard(b, z []float64) {
	b[0] = 0
	if z[0] > 0 {
		b[0] = 1
	}
}

// Soft writes σ(z/τ). It panics if tau ≤ 0.
func (Bernoulli) Soft(x, z []float64, tau float64) {
	checkTau("Bernoulli.Soft", tau)
	x[0] = sigmoid(z[0] / tau)
}

// SoftVJP writes v σ'(z/τ)/τ into dz and returns v ∂σ(z/τ)/∂τ.
func (Bernoulli) SoftVJP(dz, x, z, v []float64, tau float64) float64 {
	return bernSoftVJP(dz[:1], x, z, v, tau)
}

// SoftTangents writes the tangents of σ(z/τ) (see RelaxedConditional).
func (Bernoulli) SoftTangents(xa, xt, xat, x, z, a []float64, tau float64) {
	bernSoftTangents(xa[:1], xt, xat, x, z, a, tau)
}

// CondPreact writes z̃, distributed as z given H(z) = b.
func (b Bernoulli) CondPreact(z, v, bb []float64) { z[0], _ = bernCond(b.Logit, v[0], bb[0]) }

// CondPreactVJP adds w ∂z̃/∂logit to dst.
func (b Bernoulli) CondPreactVJP(dst, v, bb, w []float64) {
	_, d := bernCond(b.Logit, v[0], bb[0])
	dst[0] += w[0] * d
}

// CondPreactJVP writes (∂z̃/∂logit) w into dst.
func (b Bernoulli) CondPreactJVP(dst, v, bb, w []float64) {
	_, d := bernCond(b.Logit, v[0], bb[0])
	dst[0] = w[0] * d
}

// LogitAt returns the logit, whatever d.
func (b Bernoulli) LogitAt(int) float64 { return b.Logit }

// LogitVJP adds v[0] to dst[0].
func (Bernoulli) LogitVJP(dst, v []float64) { dst[0] += v[0] }
