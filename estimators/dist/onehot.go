package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// OneHot is the categorical distribution over K classes with
// P(class k) = π_k = softmax(Logits)_k, its outcome written as the one-hot
// K-vector x (x_k = 1 for the drawn class, 0 elsewhere), with parameters
// θ = Logits named "logit[0]", …, "logit[K−1]". Relaxed outcomes are points
// of the probability simplex.
//
// It has finite support (outcome i is the i-th unit vector), known moments
// and the Gumbel-Softmax relaxation with its conditional: z_k = logit_k + G_k
// with G_k = −log(−log u_k) standard Gumbel, H(z) the one-hot argmax and
// σ_τ(z) = softmax(z/τ). Given H(z) = e_b, the maximum z_b is Gumbel with
// location log Σ exp(logit) and the others are Gumbels truncated below it
// (the Gumbel top-1 construction of Tucker et al. 2017, Appendix):
//
//	z̃_b = lse − log(−log v_b),  z̃_i = lse − log(−log v_i / π_i − log v_b).
type OneHot struct {
	Logits []float64
}

// NewOneHot returns the one-hot categorical with the given logits, which it
// copies, or an error if there are fewer than two or one is not finite.
func NewOneHot(logits []float64) (OneHot, error) {
	c := OneHot{Logits: append([]float64(nil), logits...)}
	return c, c.Validate()
}

// Validate returns an error if the parameters are invalid.
func (c OneHot) Validate() error {
	if len(c.Logits) < 2 {
		return fmt.Errorf("%w: onehot logits: %d categories, want at least 2", ErrParam, len(c.Logits))
	}
	for i, l := range c.Logits {
		if err := checkFinite("onehot", fmt.Sprintf("logit[%d]", i), l); err != nil {
			return err
		}
	}
	return nil
}

// Name returns "onehot".
func (OneHot) Name() string { return "onehot" }

// Dim returns K.
func (c OneHot) Dim() int { return len(c.Logits) }

// NumParams returns K.
func (c OneHot) NumParams() int { return len(c.Logits) }

// ParamNames returns ["logit[0]", …, "logit[K−1]"], in a new slice.
func (c OneHot) ParamNames() []string { return paramNames("logit", len(c.Logits)) }

// Params writes the logits into dst and returns it.
func (c OneHot) Params(dst []float64) []float64 {
	dst = useDst("OneHot.Params", dst, len(c.Logits))
	copy(dst, c.Logits)
	return dst
}

// WithParams returns the one-hot categorical with logits theta (copied).
func (c OneHot) WithParams(theta []float64) (Distribution, error) {
	checkLen("OneHot.WithParams", theta, len(c.Logits))
	m, err := NewOneHot(theta)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// lse returns log Σ exp(logit_k).
func (c OneHot) lse() float64 {
	m, s := Categorical(c).logNorm()
	return m + s
}

// Rand draws a one-hot x with probabilities softmax(Logits).
func (c OneHot) Rand(x []float64, rng *rand.Rand) {
	checkLen("OneHot.Rand", x, len(c.Logits))
	var i [1]float64
	Categorical(c).Rand(i[:], rng)
	clear(x)
	x[int(i[0])] = 1
}

// index returns the class of a one-hot x, or −1 if x is not one-hot.
func (c OneHot) index(x []float64) int {
	k := -1
	for i, v := range x {
		switch v {
		case 0:
		case 1:
			if k >= 0 {
				return -1
			}
			k = i
		default:
			return -1
		}
	}
	return k
}

// LogProb returns log π_k for the one-hot x = e_k, −Inf if x is not one-hot.
func (c OneHot) LogProb(x []float64) float64 {
	checkLen("OneHot.LogProb", x, len(c.Logits))
	k := c.index(x)
	if k < 0 {
		return math.Inf(-1)
	}
	return c.Logits[k] - c.lse()
}

// Score writes x − softmax(Logits) into dst (for one-hot x, ∇θ log π_k).
func (c OneHot) Score(dst, x []float64) {
	checkLen("OneHot.Score", dst, len(c.Logits))
	checkLen("OneHot.Score", x, len(c.Logits))
	off := c.lse()
	for i, l := range c.Logits {
		dst[i] = x[i] - math.Exp(l-off)
	}
}

// SupportSize returns K.
func (c OneHot) SupportSize() int { return len(c.Logits) }

// Outcome writes the unit vector e_i and returns π_i. It panics if i is out
// of range.
func (c OneHot) Outcome(x []float64, i int) float64 {
	if i < 0 || i >= len(c.Logits) {
		panic("dist: OneHot.Outcome: index out of range")
	}
	checkLen("OneHot.Outcome", x, len(c.Logits))
	clear(x)
	x[i] = 1
	return math.Exp(c.Logits[i] - c.lse())
}

// Mean writes π.
func (c OneHot) Mean(dst []float64) {
	off := c.lse()
	for i, l := range c.Logits {
		dst[i] = math.Exp(l - off)
	}
}

// Variance writes π_k(1 − π_k).
func (c OneHot) Variance(dst []float64) {
	c.Mean(dst)
	for i, p := range dst {
		dst[i] = p * (1 - p)
	}
}

// MomentsVJP adds Σ_k (a_k + b_k(1 − 2π_k)) ∂π_k/∂θ_j to dst[j], with
// ∂π_k/∂θ_j = π_k(δ_kj − π_j).
func (c OneHot) MomentsVJP(dst, a, b []float64) {
	off := c.lse()
	s := 0.0
	for k, l := range c.Logits {
		p := math.Exp(l - off)
		s += p * (a[k] + b[k]*(1-2*p))
	}
	for j, l := range c.Logits {
		p := math.Exp(l - off)
		dst[j] += p * (a[j] + b[j]*(1-2*p) - s)
	}
}

// RelaxNoise draws K uniforms on (0, 1).
func (c OneHot) RelaxNoise(u []float64, rng *rand.Rand) {
	checkLen("OneHot.RelaxNoise", u, len(c.Logits))
	for i := range u {
		u[i] = uniformOpen(rng)
	}
}

// Preact writes z_k = logit_k − log(−log u_k).
func (c OneHot) Preact(z, u []float64) {
	checkLen("OneHot.Preact", z, len(c.Logits))
	for i, l := range c.Logits {
		z[i] = l - math.Log(-math.Log(u[i]))
	}
}

// PreactVJP adds v to dst (∂z/∂θ = I).
func (c OneHot) PreactVJP(dst, _, v []float64) {
	checkLen("OneHot.PreactVJP", v, len(c.Logits))
	for i, x := range v {
		dst[i] += x
	}
}

// PreactJVP writes w into dst.
func (c OneHot) PreactJVP(dst, _, w []float64) {
	checkLen("OneHot.PreactJVP", dst, len(c.Logits))
	copy(dst, w)
}

// Hard writes the one-hot vector of argmax_k z_k (the first on ties).
func (OneHot) Hard(b, z []float64) {
	checkLen("OneHot.Hard", b, len(z))
	k := 0
	for i, v := range z {
		if v > z[k] {
			k = i
		}
	}
	clear(b)
	b[k] = 1
}

// Soft writes x = softmax(z/τ). It panics if tau ≤ 0.
func (OneHot) Soft(x, z []float64, tau float64) {
	checkTau("OneHot.Soft", tau)
	checkLen("OneHot.Soft", x, len(z))
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	s := 0.0
	for i, v := range z {
		x[i] = math.Exp((v - m) / tau)
		s += x[i]
	}
	for i := range x {
		x[i] /= s
	}
}

// SoftVJP writes dz = x ⊙ (v − x·v)/τ and returns vᵀ ∂x/∂τ = −dz·z/τ.
func (OneHot) SoftVJP(dz, x, z, v []float64, tau float64) float64 {
	checkLen("OneHot.SoftVJP", dz, len(z))
	xv := 0.0
	for i, xi := range x {
		xv += xi * v[i]
	}
	dt := 0.0
	for i, xi := range x {
		dz[i] = xi * (v[i] - xv) / tau
		dt -= dz[i] * z[i] / tau
	}
	return dt
}

// SoftTangents writes the tangents of softmax(z/τ) (see RelaxedConditional).
func (OneHot) SoftTangents(xa, xt, xat, x, z, a []float64, tau float64) {
	checkLen("OneHot.SoftTangents", xa, len(z))
	xa0, xz := 0.0, 0.0
	for i, xi := range x {
		xa0 += xi * a[i]
		xz += xi * z[i]
	}
	xta := 0.0
	for i, xi := range x {
		xt[i] = -xi * (z[i] - xz) / (tau * tau)
		xa[i] = xi * (a[i] - xa0) / tau
		xta += xt[i] * a[i]
	}
	for i, xi := range x {
		xat[i] = xt[i]*(a[i]-xa0)/tau - xi*xta/tau - xa[i]/tau
	}
}

// argmax1 returns the index of the 1 in b (0 if none).
func argmax1(b []float64) int {
	k := 0
	for i, v := range b {
		if v > b[k] {
			k = i
		}
	}
	return k
}

// condWeight returns z̃_i and the weight w_i of the conditional sample for
// class i ≠ k: ∂z̃_i/∂logit_j = π_j(1 − w_i) + w_i δ_ij. logEb is
// log(−log v_k) and lse the log-normalizer.
func (c OneHot) condWeight(i int, vi, logEb, lse float64) (z, w float64) {
	// log(e_i/π_i) with e_i = −log v_i, π_i = exp(logit_i − lse).
	la := math.Log(-math.Log(vi)) - (c.Logits[i] - lse)
	hi := max(la, logEb)
	l := hi + math.Log(math.Exp(la-hi)+math.Exp(logEb-hi)) // log(e_i/π_i + e_k)
	return lse - l, math.Exp(la - l)
}

// CondPreact writes z̃ distributed as z given H(z) = b.
func (c OneHot) CondPreact(z, v, b []float64) {
	checkLen("OneHot.CondPreact", z, len(c.Logits))
	k := argmax1(b)
	lse := c.lse()
	logEb := math.Log(-math.Log(v[k]))
	for i := range c.Logits {
		if i == k {
			z[i] = lse - logEb
			continue
		}
		z[i], _ = c.condWeight(i, v[i], logEb, lse)
	}
}

// CondPreactVJP adds (∂z̃/∂θ)ᵀ w to dst: dst_j += w̄_j w_j + π_j Σ_i (1 − w̄_i) w_i,
// with w̄ the conditional weights (0 for the drawn class).
func (c OneHot) CondPreactVJP(dst, v, b, w []float64) {
	k := argmax1(b)
	lse := c.lse()
	logEb := math.Log(-math.Log(v[k]))
	s := 0.0
	for i := range c.Logits {
		wi := 0.0
		if i != k {
			_, wi = c.condWeight(i, v[i], logEb, lse)
		}
		dst[i] += wi * w[i]
		s += (1 - wi) * w[i]
	}
	for j, l := range c.Logits {
		dst[j] += math.Exp(l-lse) * s
	}
}

// CondPreactJVP writes (∂z̃/∂θ) w into dst: dst_i = w̄_i w_i + (1 − w̄_i)(π·w).
func (c OneHot) CondPreactJVP(dst, v, b, w []float64) {
	checkLen("OneHot.CondPreactJVP", dst, len(c.Logits))
	k := argmax1(b)
	lse := c.lse()
	logEb := math.Log(-math.Log(v[k]))
	pw := 0.0
	for j, l := range c.Logits {
		pw += math.Exp(l-lse) * w[j]
	}
	for i := range c.Logits {
		wi := 0.0
		if i != k {
			_, wi = c.condWeight(i, v[i], logEb, lse)
		}
		dst[i] = wi*w[i] + (1-wi)*pw
	}
}

func init() {
	Register(Family{
		Name: "onehot",
		Doc:  "categorical over k classes as a one-hot k-vector, logits spread·i/(k−1); finite, relaxed, moments",
		Params: []Param{
			{Name: "k", Default: 3, Doc: "number of categories, integer in [2, 10000]"},
			{Name: "spread", Default: 0, Doc: "logit i is spread·i/(k−1): 0 is uniform"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			k, err := intParam("onehot", "k", p["k"], 2, 10000)
			if err != nil {
				return nil, err
			}
			s := p["spread"]
			if err := checkFinite("onehot", "spread", s); err != nil {
				return nil, err
			}
			l := make([]float64, k)
			for i := range l {
				l[i] = s * float64(i) / float64(k-1)
			}
			return NewOneHot(l)
		},
	})
}
