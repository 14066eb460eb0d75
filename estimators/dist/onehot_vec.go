package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MaxOneHotVecSupport is the largest number of outcomes K^D of a OneHotVec
// that SupportSize enumerates; larger families are valid but not
// enumerable (SupportSize 0).
const MaxOneHotVecSupport = 1 << 22

// maxOneHotVecParams bounds D·K for the registered family.
const maxOneHotVecParams = 1 << 20

// OneHotVec is the distribution of D independent categorical coordinates
// of K classes each, block d with P(x_d = k) = softmax(ℓ_d)_k, written as D
// one-hot K-vectors one after another: x has length D·K and x[d·K + k] =
// 1[x_d = k]. Its parameters are the D·K logits θ = Logits, block d at
// Logits[d·K : (d+1)·K], named "logit[0]", …, "logit[D·K−1]" in that
// order. It is the family of the toy problems of ReinMax (Liu et al.
// 2023: 128 blocks of 2 classes) and IndeCateR (De Smet et al. 2023).
//
// It is Factorized, has finite support (outcome i has block d in class
// digit d of i in base K, block 0 the fastest; SupportSize is 0 beyond
// MaxOneHotVecSupport outcomes), known moments, and the Gumbel-Softmax
// relaxation of each block with its conditional, as OneHot has
// (RelaxedConditional, RelaxedLocation). Build it with NewOneHotVec, which
// caches the log-probabilities; the methods panic on a OneHotVec built
// otherwise.
type OneHotVec struct {
	// K is the number of classes of every block, ≥ 2.
	K int
	// Logits are the D·K logits, block after block.
	Logits []float64

	lp []float64 // log-probabilities, computed by NewOneHotVec
	pr []float64 // probabilities
}

// NewOneHotVec returns D = len(logits)/k one-hot blocks of k classes with
// the given logits, which it copies, or an error if k < 2, len(logits) is
// not a positive multiple of k or a logit is not finite.
func NewOneHotVec(k int, logits []float64) (OneHotVec, error) {
	if k < 2 {
		return OneHotVec{}, fmt.Errorf("%w: onehot-vec k = %d, want at least 2 classes", ErrParam, k)
	}
	if len(logits) == 0 || len(logits)%k != 0 {
		return OneHotVec{}, fmt.Errorf("%w: onehot-vec: %d logits, want a positive multiple of k = %d", ErrParam, len(logits), k)
	}
	for i, l := range logits {
		if err := checkFinite("onehot-vec", fmt.Sprintf("logit[%d]", i), l); err != nil {
			return OneHotVec{}, err
		}
	}
	c := OneHotVec{K: k, Logits: append([]float64(nil), logits...), lp: make([]float64, len(logits)), pr: make([]float64, len(logits))}
	for d := range len(logits) / k {
		blk := c.Logits[d*k : (d+1)*k]
		m, s := Categorical{Logits: blk}.logNorm()
		for i, l := range blk {
			c.lp[d*k+i] = l - m - s
			c.pr[d*k+i] = math.Exp(c.lp[d*k+i])
		}
	}
	return c, nil
}

// check panics unless c was built by NewOneHotVec.
func (c OneHotVec) check() {
	if c.K < 2 || len(c.lp) != len(c.Logits) || len(c.pr) != len(c.Logits) {
		panic("dist: OneHotVec not built by NewOneHotVec")
	}
}

// Name returns "onehot-vec".
func (OneHotVec) Name() string { return "onehot-vec" }

// Dim returns D·K.
func (c OneHotVec) Dim() int { return len(c.Logits) }

// NumParams returns D·K.
func (c OneHotVec) NumParams() int { return len(c.Logits) }

// ParamNames returns ["logit[0]", …, "logit[D·K−1]"], in a new slice.
func (c OneHotVec) ParamNames() []string { return paramNames("logit", len(c.Logits)) }

// Params writes the logits into dst and returns it.
func (c OneHotVec) Params(dst []float64) []float64 {
	dst = useDst("OneHotVec.Params", dst, len(c.Logits))
	copy(dst, c.Logits)
	return dst
}

// WithParams returns the family with logits theta (copied).
func (c OneHotVec) WithParams(theta []float64) (Distribution, error) {
	checkLen("OneHotVec.WithParams", theta, len(c.Logits))
	m, err := NewOneHotVec(c.K, theta)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws every block's class by inversion of its distribution
// function, one uniform per block, and writes the one-hot blocks.
func (c OneHotVec) Rand(x []float64, rng *rand.Rand) {
	c.check()
	checkLen("OneHotVec.Rand", x, len(c.Logits))
	clear(x)
	k := c.K
	for d := range len(c.Logits) / k {
		u := rng.Float64()
		lp := c.lp[d*k : (d+1)*k]
		last := 0
		i := 0
		for ; i < k; i++ {
			w := math.Exp(lp[i])
			if w > 0 {
				last = i
			}
			u -= w
			if u < 0 {
				break
			}
		}
		if i == k { // rounding left u ≥ 0
			i = last
		}
		x[d*k+i] = 1
	}
}

// blockClass returns the class of block d of x, or −1 if the block is not
// one-hot.
func (c OneHotVec) blockClass(x []float64, d int) int {
	k := -1
	for i, v := range x[d*c.K : (d+1)*c.K] {
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

// LogProb returns Σ_d log π_d(x_d), −Inf if a block of x is not one-hot.
func (c OneHotVec) LogProb(x []float64) float64 {
	c.check()
	checkLen("OneHotVec.LogProb", x, len(c.Logits))
	s := 0.0
	for d := range len(c.Logits) / c.K {
		i := c.blockClass(x, d)
		if i < 0 {
			return math.Inf(-1)
		}
		s += c.lp[d*c.K+i]
	}
	return s
}

// Score writes x − π into dst (∇θ log p(x) for a one-hot x).
func (c OneHotVec) Score(dst, x []float64) {
	c.check()
	checkLen("OneHotVec.Score", dst, len(c.Logits))
	checkLen("OneHotVec.Score", x, len(c.Logits))
	for i, p := range c.pr {
		dst[i] = x[i] - p
	}
}

// SupportSize returns K^D, or 0 if that exceeds MaxOneHotVecSupport.
func (c OneHotVec) SupportSize() int {
	n := 1
	for range len(c.Logits) / c.K {
		if n > MaxOneHotVecSupport/c.K {
			return 0
		}
		n *= c.K
	}
	return n
}

// Outcome writes outcome i (block d in class digit d of i in base K, block
// 0 the fastest) and returns its probability. It panics if i is out of
// range [0, SupportSize()).
func (c OneHotVec) Outcome(x []float64, i int) float64 {
	c.check()
	if i < 0 || i >= c.SupportSize() {
		panic("dist: OneHotVec.Outcome: index out of range")
	}
	checkLen("OneHotVec.Outcome", x, len(c.Logits))
	clear(x)
	lp := 0.0
	for d := range len(c.Logits) / c.K {
		j := i % c.K
		i /= c.K
		x[d*c.K+j] = 1
		lp += c.lp[d*c.K+j]
	}
	return math.Exp(lp)
}

// block returns block d as a OneHot (sharing the logits).
func (c OneHotVec) block(d int) OneHot { return OneHot{Logits: c.Logits[d*c.K : (d+1)*c.K]} }

// Blocks returns D.
func (c OneHotVec) Blocks() int { return len(c.Logits) / c.K }

// Classes returns K.
func (c OneHotVec) Classes(d int) int {
	checkBlock("OneHotVec.Classes", d, c.Blocks())
	return c.K
}

// BlockLogits copies the logits of block d into dst.
func (c OneHotVec) BlockLogits(dst []float64, d int) {
	checkLen("OneHotVec.BlockLogits", dst, c.K)
	copy(dst, c.Logits[d*c.K:(d+1)*c.K])
}

// BlockLogitVJP adds v to the logits of block d in dst.
func (c OneHotVec) BlockLogitVJP(dst []float64, d int, v []float64) {
	checkLen("OneHotVec.BlockLogitVJP", v, c.K)
	dst = dst[d*c.K : (d+1)*c.K]
	for k, vk := range v {
		dst[k] += vk
	}
}

// Class returns the position of the largest entry of block d of x (the 1
// of a one-hot block).
func (c OneHotVec) Class(x []float64, d int) int { return argmax1(x[d*c.K : (d+1)*c.K]) }

// SetClass writes e_k into block d of x.
func (c OneHotVec) SetClass(x []float64, d, k int) {
	checkClass("OneHotVec.SetClass", k, c.K)
	b := x[d*c.K : (d+1)*c.K]
	clear(b)
	b[k] = 1
}

// IndicatorVJP copies block d of g into dst.
func (c OneHotVec) IndicatorVJP(dst []float64, d int, g []float64) {
	checkLen("OneHotVec.IndicatorVJP", dst, c.K)
	copy(dst, g[d*c.K:(d+1)*c.K])
}

// Mean writes π.
func (c OneHotVec) Mean(dst []float64) {
	c.check()
	checkLen("OneHotVec.Mean", dst, len(c.Logits))
	copy(dst, c.pr)
}

// Variance writes π(1 − π).
func (c OneHotVec) Variance(dst []float64) {
	c.Mean(dst)
	for i, p := range dst {
		dst[i] = p * (1 - p)
	}
}

// MomentsVJP adds the moments' VJP of every block (see OneHot.MomentsVJP).
func (c OneHotVec) MomentsVJP(dst, a, b []float64) {
	k := c.K
	for d := range c.Blocks() {
		s := d * k
		c.block(d).MomentsVJP(dst[s:s+k], a[s:s+k], b[s:s+k])
	}
}

// RelaxNoise draws D·K uniforms on (0, 1).
func (c OneHotVec) RelaxNoise(u []float64, rng *rand.Rand) {
	checkLen("OneHotVec.RelaxNoise", u, len(c.Logits))
	for i := range u {
		u[i] = uniformOpen(rng)
	}
}

// Preact writes z = logits − log(−log u).
func (c OneHotVec) Preact(z, u []float64) {
	checkLen("OneHotVec.Preact", z, len(c.Logits))
	for i, l := range c.Logits {
		z[i] = l - math.Log(-math.Log(u[i]))
	}
}

// PreactVJP adds v to dst (∂z/∂θ = I).
func (c OneHotVec) PreactVJP(dst, _, v []float64) { c.LocationVJP(dst, v) }

// LocationVJP adds v to dst.
func (c OneHotVec) LocationVJP(dst, v []float64) {
	checkLen("OneHotVec.LocationVJP", v, len(c.Logits))
	checkLen("OneHotVec.LocationVJP", dst, len(c.Logits))
	for i, x := range v {
		dst[i] += x
	}
}

// PreactJVP writes w into dst.
func (c OneHotVec) PreactJVP(dst, _, w []float64) {
	checkLen("OneHotVec.PreactJVP", dst, len(c.Logits))
	copy(dst, w)
}

// Hard writes the one-hot argmax of every block of z.
func (c OneHotVec) Hard(b, z []float64) {
	checkLen("OneHotVec.Hard", b, len(c.Logits))
	k := c.K
	for d := range c.Blocks() {
		OneHot{}.Hard(b[d*k:(d+1)*k], z[d*k:(d+1)*k])
	}
}

// Soft writes softmax(z/τ) block by block. It panics if tau ≤ 0.
func (c OneHotVec) Soft(x, z []float64, tau float64) {
	checkLen("OneHotVec.Soft", x, len(c.Logits))
	k := c.K
	for d := range c.Blocks() {
		OneHot{}.Soft(x[d*k:(d+1)*k], z[d*k:(d+1)*k], tau)
	}
}

// SoftVJP writes (∂x/∂z)ᵀ v block by block and returns vᵀ ∂x/∂τ.
func (c OneHotVec) SoftVJP(dz, x, z, v []float64, tau float64) float64 {
	checkLen("OneHotVec.SoftVJP", dz, len(c.Logits))
	k := c.K
	dt := 0.0
	for d := range c.Blocks() {
		s := d * k
		dt += OneHot{}.SoftVJP(dz[s:s+k], x[s:s+k], z[s:s+k], v[s:s+k], tau)
	}
	return dt
}

// SoftTangents writes the tangents of softmax(z/τ) block by block (see
// RelaxedConditional).
func (c OneHotVec) SoftTangents(xa, xt, xat, x, z, a []float64, tau float64) {
	checkLen("OneHotVec.SoftTangents", xa, len(c.Logits))
	k := c.K
	for d := range c.Blocks() {
		s := d * k
		OneHot{}.SoftTangents(xa[s:s+k], xt[s:s+k], xat[s:s+k], x[s:s+k], z[s:s+k], a[s:s+k], tau)
	}
}

// CondPreact writes z̃ distributed as z given H(z) = b, block by block: in
// the block of class k, with lse its log-normaliser and e_i = −log v_i,
// z̃_k = lse − log e_k and z̃_i = lse − log(e_i/π_i + e_k) (OneHot's
// formulas, evaluated directly where π_i > 10⁻³⁰⁰ and in log space, as
// OneHot does, otherwise).
func (c OneHotVec) CondPreact(z, v, b []float64) {
	c.check()
	checkLen("OneHotVec.CondPreact", z, len(c.Logits))
	k := c.K
	for d := range c.Blocks() {
		s := d * k
		kb := s + argmax1(b[s:s+k])
		lse := c.Logits[s] - c.lp[s]
		eb := -math.Log(v[kb])
		logEb := math.Log(eb)
		for i := s; i < s+k; i++ {
			switch {
			case i == kb:
				z[i] = lse - logEb
			case c.pr[i] > 1e-300:
				z[i] = lse - math.Log(-math.Log(v[i])/c.pr[i]+eb)
			default:
				z[i], _ = c.block(d).condWeight(i-s, v[i], logEb, lse)
			}
		}
	}
}

// CondPreactVJP adds (∂z̃/∂θ)ᵀ w to dst, block by block.
func (c OneHotVec) CondPreactVJP(dst, v, b, w []float64) {
	checkLen("OneHotVec.CondPreactVJP", dst, len(c.Logits))
	k := c.K
	for d := range c.Blocks() {
		s := d * k
		c.block(d).CondPreactVJP(dst[s:s+k], v[s:s+k], b[s:s+k], w[s:s+k])
	}
}

// CondPreactJVP writes (∂z̃/∂θ) w into dst, block by block.
func (c OneHotVec) CondPreactJVP(dst, v, b, w []float64) {
	checkLen("OneHotVec.CondPreactJVP", dst, len(c.Logits))
	k := c.K
	for d := range c.Blocks() {
		s := d * k
		c.block(d).CondPreactJVP(dst[s:s+k], v[s:s+k], b[s:s+k], w[s:s+k])
	}
}

// oneHotVecSeed is the second word of the PCG stream that draws the
// random logits of the registered family.
const oneHotVecSeed = 0x6f6e65686f747665 // "onehotve"

// OneHotVecLogits returns the D·K logits of the registered onehot-vec
// family: logit k of block d is spread·k/(K−1) + uniform·(2U − 1) +
// normal·N, with U uniform on [0, 1) and N standard normal drawn from
// PCG(seed, 0x6f6e65686f747665) block after block, class after class (U
// only if uniform ≠ 0, then N only if normal ≠ 0).
func OneHotVecLogits(D, K int, spread, uniform, normal float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, oneHotVecSeed))
	l := make([]float64, D*K)
	for d := range D {
		for k := range K {
			v := spread * float64(k) / float64(K-1)
			if uniform != 0 {
				v += uniform * (2*rng.Float64() - 1)
			}
			if normal != 0 {
				v += normal * rng.NormFloat64()
			}
			l[d*K+k] = v
		}
	}
	return l
}

func init() {
	Register(Family{
		Name: "onehot-vec",
		Doc:  "D independent categoricals of k classes as D one-hot blocks; logits spread·i/(k−1) + uniform·U(−1, 1) + normal·N(0, 1) drawn with seed; finite (k^D ≤ 2²²), factorized, relaxed, moments",
		Params: []Param{
			{Name: "dim", Default: 2, Doc: "number of blocks D, integer ≥ 1 (D·k ≤ 2²⁰)"},
			{Name: "k", Default: 3, Doc: "classes per block, integer in [2, 10000]"},
			{Name: "spread", Default: 0, Doc: "logit i of every block gets spread·i/(k−1)"},
			{Name: "uniform", Default: 0, Doc: "half-width a of uniform logit noise U(−a, a) (ReinMax's toy: 0.01)"},
			{Name: "normal", Default: 0, Doc: "standard deviation of normal logit noise (IndeCateR's toy: 1)"},
			{Name: "seed", Default: 0, Doc: "seed of the logit noise, integer in [0, 2⁵³]"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			k, err := intParam("onehot-vec", "k", p["k"], 2, 10000)
			if err != nil {
				return nil, err
			}
			D, err := intParam("onehot-vec", "dim", p["dim"], 1, maxOneHotVecParams/k)
			if err != nil {
				return nil, err
			}
			for _, name := range []string{"spread", "uniform", "normal"} {
				if err := checkFinite("onehot-vec", name, p[name]); err != nil {
					return nil, err
				}
			}
			seed, err := intParam("onehot-vec", "seed", p["seed"], 0, 1<<53)
			if err != nil {
				return nil, err
			}
			return NewOneHotVec(k, OneHotVecLogits(D, k, p["spread"], p["uniform"], p["normal"], uint64(seed)))
		},
	})
}
