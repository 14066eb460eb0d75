package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MaxBernoulliDim is the largest dimension of a BernoulliVec whose 2^D
// outcomes are enumerated for exact references, and the largest dim of the
// registered family. Larger vectors (the latent layer of a model, say) are
// valid but not enumerable: their SupportSize is 0.
const MaxBernoulliDim = 20

// BernoulliVec is the distribution of D independent Bernoulli coordinates,
// x_d ∈ {0, 1} with P(x_d = 1) = σ(Logits[d]). If Tied is false its
// parameters are θ = Logits, named "logit[0]", …, "logit[D−1]"; if Tied is
// true every coordinate shares one logit, θ = (logit), and all Logits are
// equal.
//
// It has finite support (outcome i has x_d = bit d of i), known moments and
// the Concrete relaxation with its conditional (RelaxedConditional).
type BernoulliVec struct {
	Logits []float64
	Tied   bool
}

// NewBernoulliVec returns independent Bernoulli coordinates with the given
// logits, which it copies, or an error if there are none or one is not
// finite.
func NewBernoulliVec(logits []float64) (BernoulliVec, error) {
	b := BernoulliVec{Logits: append([]float64(nil), logits...)}
	return b, b.Validate()
}

// NewBernoulliTied returns dim Bernoulli coordinates sharing the logit
// logit, or an error if dim is not in [1, MaxBernoulliDim] or logit is not
// finite.
func NewBernoulliTied(dim int, logit float64) (BernoulliVec, error) {
	if dim < 1 || dim > MaxBernoulliDim {
		return BernoulliVec{}, fmt.Errorf("%w: bernoulli-vec dim = %d, want an integer in [1, %d]", ErrParam, dim, MaxBernoulliDim)
	}
	b := BernoulliVec{Logits: make([]float64, dim), Tied: true}
	for d := range b.Logits {
		b.Logits[d] = logit
	}
	return b, b.Validate()
}

// Validate returns an error if the parameters are invalid.
func (b BernoulliVec) Validate() error {
	if len(b.Logits) < 1 {
		return fmt.Errorf("%w: bernoulli-vec: no logits, want at least 1", ErrParam)
	}
	for d, l := range b.Logits {
		if err := checkFinite("bernoulli-vec", fmt.Sprintf("logit[%d]", d), l); err != nil {
			return err
		}
		if b.Tied && l != b.Logits[0] {
			return fmt.Errorf("%w: bernoulli-vec: tied logits differ (logit[%d] = %v, logit[0] = %v)", ErrParam, d, l, b.Logits[0])
		}
	}
	return nil
}

// Name returns "bernoulli-vec".
func (BernoulliVec) Name() string { return "bernoulli-vec" }

// Dim returns D.
func (b BernoulliVec) Dim() int { return len(b.Logits) }

// NumParams returns 1 if Tied, else D.
func (b BernoulliVec) NumParams() int {
	if b.Tied {
		return 1
	}
	return len(b.Logits)
}

// ParamNames returns ["logit"] if Tied, else ["logit[0]", …, "logit[D−1]"],
// in a new slice.
func (b BernoulliVec) ParamNames() []string {
	if b.Tied {
		return []string{"logit"}
	}
	return paramNames("logit", len(b.Logits))
}

// Params writes θ into dst and returns it.
func (b BernoulliVec) Params(dst []float64) []float64 {
	dst = useDst("BernoulliVec.Params", dst, b.NumParams())
	copy(dst, b.Logits)
	return dst
}

// WithParams returns the family at θ = theta (copied).
func (b BernoulliVec) WithParams(theta []float64) (Distribution, error) {
	checkLen("BernoulliVec.WithParams", theta, b.NumParams())
	var m BernoulliVec
	var err error
	if b.Tied {
		m, err = NewBernoulliTied(len(b.Logits), theta[0])
	} else {
		m, err = NewBernoulliVec(theta)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x_d ∈ {0, 1} with P(x_d = 1) = σ(Logits[d]).
func (b BernoulliVec) Rand(x []float64, rng *rand.Rand) {
	checkLen("BernoulliVec.Rand", x, len(b.Logits))
	for d, l := range b.Logits {
		x[d] = 0
		if rng.Float64() < sigmoid(l) {
			x[d] = 1
		}
	}
}

// LogProb returns Σ_d log p(x_d), −Inf if some x_d is not 0 or 1.
func (b BernoulliVec) LogProb(x []float64) float64 {
	checkLen("BernoulliVec.LogProb", x, len(b.Logits))
	s := 0.0
	for d, l := range b.Logits {
		switch x[d] {
		case 1:
			s -= softplus(-l)
		case 0:
			s -= softplus(l)
		default:
			return math.Inf(-1)
		}
	}
	return s
}

// Score writes ∇θ log p(x) into dst: x_d − σ(logit_d) per coordinate, or
// their sum if Tied.
func (b BernoulliVec) Score(dst, x []float64) {
	checkLen("BernoulliVec.Score", dst, b.NumParams())
	if b.Tied {
		s := 0.0
		for d, l := range b.Logits {
			s += x[d] - sigmoid(l)
		}
		dst[0] = s
		return
	}
	for d, l := range b.Logits {
		dst[d] = x[d] - sigmoid(l)
	}
}

// SupportSize returns 2^D, or 0 if D > MaxBernoulliDim: too many outcomes
// to enumerate.
func (b BernoulliVec) SupportSize() int {
	if len(b.Logits) > MaxBernoulliDim {
		return 0
	}
	return 1 << len(b.Logits)
}

// Outcome writes outcome i (x_d = bit d of i) and returns its probability.
// It panics if i is out of range [0, SupportSize()).
func (b BernoulliVec) Outcome(x []float64, i int) float64 {
	if i < 0 || i >= b.SupportSize() {
		panic("dist: BernoulliVec.Outcome: index out of range")
	}
	checkLen("BernoulliVec.Outcome", x, len(b.Logits))
	lp := 0.0
	for d, l := range b.Logits {
		if i>>d&1 == 1 {
			x[d] = 1
			lp -= softplus(-l)
		} else {
			x[d] = 0
			lp -= softplus(l)
		}
	}
	return math.Exp(lp)
}

// Mean writes σ(logit_d).
func (b BernoulliVec) Mean(dst []float64) {
	for d, l := range b.Logits {
		dst[d] = sigmoid(l)
	}
}

// Variance writes p_d(1 − p_d).
func (b BernoulliVec) Variance(dst []float64) {
	for d, l := range b.Logits {
		dst[d] = sigmoid(l) * sigmoid(-l)
	}
}

// MomentsVJP adds Σ_d p_d(1 − p_d)(a_d + b_d(1 − 2p_d)) ∂logit_d/∂θ_j to
// dst[j].
func (b BernoulliVec) MomentsVJP(dst, a, bv []float64) {
	for d, l := range b.Logits {
		p, q := sigmoid(l), sigmoid(-l)
		dst[b.param(d)] += p * q * (a[d] + bv[d]*(q-p))
	}
}

// param returns the index of the parameter of coordinate d.
func (b BernoulliVec) param(d int) int {
	if b.Tied {
		return 0
	}
	return d
}

// LogitAt returns Logits[d].
func (b BernoulliVec) LogitAt(d int) float64 { return b.Logits[d] }

// LogitVJP adds v[d] to the parameter of coordinate d.
func (b BernoulliVec) LogitVJP(dst, v []float64) {
	checkLen("BernoulliVec.LogitVJP", v, len(b.Logits))
	for d := range b.Logits {
		dst[b.param(d)] += v[d]
	}
}

// RelaxNoise draws D uniforms on (0, 1).
func (b BernoulliVec) RelaxNoise(u []float64, rng *rand.Rand) {
	checkLen("BernoulliVec.RelaxNoise", u, len(b.Logits))
	for d := range u {
		u[d] = uniformOpen(rng)
	}
}

// Preact writes z_d = logit_d + log(u_d/(1 − u_d)).
func (b BernoulliVec) Preact(z, u []float64) {
	checkLen("BernoulliVec.Preact", z, len(b.Logits))
	for d, l := range b.Logits {
		z[d] = l + logit(u[d])
	}
}

// PreactVJP adds v (∂z_d/∂logit_d = 1) to dst.
func (b BernoulliVec) PreactVJP(dst, _, v []float64) { b.LogitVJP(dst, v) }

// PreactJVP writes w_{param(d)} into dst[d].
func (b BernoulliVec) PreactJVP(dst, _, w []float64) {
	checkLen("BernoulliVec.PreactJVP", dst, len(b.Logits))
	for d := range dst {
		dst[d] = w[b.param(d)]
	}
}

// Hard writes b_d = 1 if z_d > 0, else 0.
func (BernoulliVec) Hard(bb, z []float64) {
	checkLen("BernoulliVec.Hard", bb, len(z))
	for d, v := range z {
		bb[d] = 0
		if v > 0 {
			bb[d] = 1
		}
	}
}

// Soft writes x_d = σ(z_d/τ). It panics if tau ≤ 0.
func (BernoulliVec) Soft(x, z []float64, tau float64) {
	checkTau("BernoulliVec.Soft", tau)
	checkLen("BernoulliVec.Soft", x, len(z))
	for d, v := range z {
		x[d] = sigmoid(v / tau)
	}
}

// SoftVJP writes v_d σ'(z_d/τ)/τ into dz and returns vᵀ ∂x/∂τ.
func (BernoulliVec) SoftVJP(dz, x, z, v []float64, tau float64) float64 {
	checkLen("BernoulliVec.SoftVJP", dz, len(z))
	return bernSoftVJP(dz, x, z, v, tau)
}

// SoftTangents writes the tangents of σ(z/τ) (see RelaxedConditional).
func (BernoulliVec) SoftTangents(xa, xt, xat, x, z, a []float64, tau float64) {
	checkLen("BernoulliVec.SoftTangents", xa, len(z))
	bernSoftTangents(xa, xt, xat, x, z, a, tau)
}

// CondPreact writes z̃ distributed as z given H(z) = b.
func (b BernoulliVec) CondPreact(z, v, bb []float64) {
	checkLen("BernoulliVec.CondPreact", z, len(b.Logits))
	for d, l := range b.Logits {
		z[d], _ = bernCond(l, v[d], bb[d])
	}
}

// CondPreactVJP adds (∂z̃/∂θ)ᵀ w to dst.
func (b BernoulliVec) CondPreactVJP(dst, v, bb, w []float64) {
	for d, l := range b.Logits {
		_, g := bernCond(l, v[d], bb[d])
		dst[b.param(d)] += w[d] * g
	}
}

// CondPreactJVP writes (∂z̃/∂θ) w into dst.
func (b BernoulliVec) CondPreactJVP(dst, v, bb, w []float64) {
	checkLen("BernoulliVec.CondPreactJVP", dst, len(b.Logits))
	for d, l := range b.Logits {
		_, g := bernCond(l, v[d], bb[d])
		dst[d] = g * w[b.param(d)]
	}
}

func init() {
	Register(Family{
		Name: "bernoulli-vec",
		Doc:  "D independent Bernoullis, logit[d] = logit + spread·d/(D−1), or one shared logit if tied = 1; finite, relaxed, moments",
		Params: []Param{
			{Name: "dim", Default: 1, Doc: fmt.Sprintf("dimension D, integer in [1, %d]", MaxBernoulliDim)},
			{Name: "logit", Default: 0, Doc: "logit of the first coordinate"},
			{Name: "spread", Default: 0, Doc: "logit[d] = logit + spread·d/(D−1); must be 0 if tied"},
			{Name: "tied", Default: 0, Doc: "1: every coordinate shares one parameter logit; 0: D parameters"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			D, err := intParam("bernoulli-vec", "dim", p["dim"], 1, MaxBernoulliDim)
			if err != nil {
				return nil, err
			}
			tied, err := intParam("bernoulli-vec", "tied", p["tied"], 0, 1)
			if err != nil {
				return nil, err
			}
			for _, k := range []string{"logit", "spread"} {
				if err := checkFinite("bernoulli-vec", k, p[k]); err != nil {
					return nil, err
				}
			}
			if tied == 1 {
				if p["spread"] != 0 {
					return nil, paramError("bernoulli-vec", "spread", p["spread"], "0 when tied = 1")
				}
				return NewBernoulliTied(D, p["logit"])
			}
			l := make([]float64, D)
			for d := range l {
				l[d] = p["logit"]
				if D > 1 {
					l[d] += p["spread"] * float64(d) / float64(D-1)
				}
			}
			return NewBernoulliVec(l)
		},
	})
}
