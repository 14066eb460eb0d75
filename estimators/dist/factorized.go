package dist

// Factorized is a family of D independent categorical coordinates
// ("blocks"): block d takes one of K_d classes, with
// P(x_d = k) = softmax(ℓ_d)_k, and its logits ℓ_d are functions of θ (the
// identity for the categorical and one-hot families, (0, α_d) for a
// Bernoulli coordinate with logit α_d, one logit shared by every block for
// tied Bernoullis). The outcome x is linear in the blocks' one-hot
// indicators D_{d,k} = 1[x_d = k]: x = e_k (one-hot), x = k (a class index,
// a Bernoulli bit), or one such piece per block.
//
// IndeCateR sums over the classes of one block with the others fixed
// (SetClass), and ReinMax passes a gradient ∇x f through the indicators of
// each block (IndicatorVJP). Methods that take a destination panic if its
// length is wrong; none allocates.
type Factorized interface {
	Distribution
	// Blocks returns D, the number of independent coordinates.
	Blocks() int
	// Classes returns K_d, the number of classes of block d.
	Classes(d int) int
	// BlockLogits writes ℓ_d into dst (len K_d).
	BlockLogits(dst []float64, d int)
	// BlockLogitVJP adds Σ_k v[k] ∂ℓ_{d,k}/∂θ_j to dst[j] (len(dst) =
	// NumParams, len(v) = K_d).
	BlockLogitVJP(dst []float64, d int, v []float64)
	// Class returns the class of block d in the outcome x.
	Class(x []float64, d int) int
	// SetClass writes class k into block d of x, leaving the other blocks
	// as they are.
	SetClass(x []float64, d, k int)
	// IndicatorVJP writes (∂x/∂D_d)ᵀ g into dst (len K_d; len(g) = Dim):
	// the gradient with respect to block d's indicators D_{d,·} of a
	// function whose gradient with respect to x is g.
	IndicatorVJP(dst []float64, d int, g []float64)
}

// RelaxedLocation is a relaxed family whose pre-activations are its logits
// plus noise that does not depend on θ, z = ℓ(θ) + ε(u): the Gumbel-max
// relaxation of the one-hot families and the logistic one of the Bernoulli
// families. Its PreactVJP does not depend on u, so the relaxed Jacobian
// can be averaged over draws of z given the discrete outcome
// (CondPreact) without differentiating through those draws, as
// Gumbel-Rao does.
type RelaxedLocation interface {
	RelaxedConditional
	// LocationVJP adds (∂z/∂θ)ᵀ v = (∂ℓ/∂θ)ᵀ v to dst (len NumParams,
	// len(v) = Dim): what PreactVJP adds for every u.
	LocationVJP(dst, v []float64)
}

// checkBlock panics unless 0 ≤ d < n.
func checkBlock(method string, d, n int) {
	if d < 0 || d >= n {
		panic("dist: " + method + ": block index out of range")
	}
}

// checkClass panics unless 0 ≤ k < n.
func checkClass(method string, k, n int) {
	if k < 0 || k >= n {
		panic("dist: " + method + ": class out of range")
	}
}

// Bernoulli: one block of two classes, logits (0, Logit), x = the class.

// Blocks returns 1.
func (Bernoulli) Blocks() int { return 1 }

// Classes returns 2.
func (Bernoulli) Classes(d int) int { checkBlock("Bernoulli.Classes", d, 1); return 2 }

// BlockLogits writes (0, Logit).
func (b Bernoulli) BlockLogits(dst []float64, d int) {
	checkBlock("Bernoulli.BlockLogits", d, 1)
	checkLen("Bernoulli.BlockLogits", dst, 2)
	dst[0], dst[1] = 0, b.Logit
}

// BlockLogitVJP adds v[1] to dst[0].
func (Bernoulli) BlockLogitVJP(dst []float64, d int, v []float64) {
	checkBlock("Bernoulli.BlockLogitVJP", d, 1)
	checkLen("Bernoulli.BlockLogitVJP", v, 2)
	dst[0] += v[1]
}

// Class returns x[0] as a class (1 if x[0] > ½, else 0).
func (Bernoulli) Class(x []float64, d int) int {
	checkBlock("Bernoulli.Class", d, 1)
	return bit(x[0])
}

// SetClass writes x[0] = k.
func (Bernoulli) SetClass(x []float64, d, k int) {
	checkBlock("Bernoulli.SetClass", d, 1)
	checkClass("Bernoulli.SetClass", k, 2)
	x[0] = float64(k)
}

// IndicatorVJP writes (0, g[0]): x = D_1.
func (Bernoulli) IndicatorVJP(dst []float64, d int, g []float64) {
	checkBlock("Bernoulli.IndicatorVJP", d, 1)
	checkLen("Bernoulli.IndicatorVJP", dst, 2)
	dst[0], dst[1] = 0, g[0]
}

// LocationVJP adds v[0] to dst[0] (z = logit + logistic noise).
func (Bernoulli) LocationVJP(dst, v []float64) { dst[0] += v[0] }

// bit returns 1 if v > ½, else 0.
func bit(v float64) int {
	if v > 0.5 {
		return 1
	}
	return 0
}

// BernoulliVec: D blocks of two classes, logits (0, Logits[d]).

// Blocks returns D.
func (b BernoulliVec) Blocks() int { return len(b.Logits) }

// Classes returns 2.
func (b BernoulliVec) Classes(d int) int {
	checkBlock("BernoulliVec.Classes", d, len(b.Logits))
	return 2
}

// BlockLogits writes (0, Logits[d]).
func (b BernoulliVec) BlockLogits(dst []float64, d int) {
	checkLen("BernoulliVec.BlockLogits", dst, 2)
	dst[0], dst[1] = 0, b.Logits[d]
}

// BlockLogitVJP adds v[1] to the parameter of coordinate d.
func (b BernoulliVec) BlockLogitVJP(dst []float64, d int, v []float64) {
	checkLen("BernoulliVec.BlockLogitVJP", v, 2)
	checkBlock("BernoulliVec.BlockLogitVJP", d, len(b.Logits))
	dst[b.param(d)] += v[1]
}

// Class returns x[d] as a class.
func (b BernoulliVec) Class(x []float64, d int) int { return bit(x[d]) }

// SetClass writes x[d] = k.
func (b BernoulliVec) SetClass(x []float64, d, k int) {
	checkClass("BernoulliVec.SetClass", k, 2)
	x[d] = float64(k)
}

// IndicatorVJP writes (0, g[d]).
func (b BernoulliVec) IndicatorVJP(dst []float64, d int, g []float64) {
	checkLen("BernoulliVec.IndicatorVJP", dst, 2)
	dst[0], dst[1] = 0, g[d]
}

// LocationVJP adds v (z_d = logit_d + logistic noise) to dst.
func (b BernoulliVec) LocationVJP(dst, v []float64) { b.LogitVJP(dst, v) }

// Categorical: one block of K classes, x[0] = the class index.

// Blocks returns 1.
func (Categorical) Blocks() int { return 1 }

// Classes returns K.
func (c Categorical) Classes(d int) int {
	checkBlock("Categorical.Classes", d, 1)
	return len(c.Logits)
}

// BlockLogits copies the logits into dst.
func (c Categorical) BlockLogits(dst []float64, d int) {
	checkBlock("Categorical.BlockLogits", d, 1)
	checkLen("Categorical.BlockLogits", dst, len(c.Logits))
	copy(dst, c.Logits)
}

// BlockLogitVJP adds v to dst.
func (c Categorical) BlockLogitVJP(dst []float64, d int, v []float64) {
	checkBlock("Categorical.BlockLogitVJP", d, 1)
	checkLen("Categorical.BlockLogitVJP", v, len(c.Logits))
	for k, vk := range v {
		dst[k] += vk
	}
}

// Class returns the class index x[0].
func (c Categorical) Class(x []float64, d int) int {
	checkBlock("Categorical.Class", d, 1)
	return int(x[0])
}

// SetClass writes x[0] = k.
func (c Categorical) SetClass(x []float64, d, k int) {
	checkBlock("Categorical.SetClass", d, 1)
	checkClass("Categorical.SetClass", k, len(c.Logits))
	x[0] = float64(k)
}

// IndicatorVJP writes dst[k] = k·g[0]: x = Σ_k k D_k.
func (c Categorical) IndicatorVJP(dst []float64, d int, g []float64) {
	checkBlock("Categorical.IndicatorVJP", d, 1)
	checkLen("Categorical.IndicatorVJP", dst, len(c.Logits))
	for k := range dst {
		dst[k] = float64(k) * g[0]
	}
}

// OneHot: one block of K classes, x = e_k.

// Blocks returns 1.
func (OneHot) Blocks() int { return 1 }

// Classes returns K.
func (c OneHot) Classes(d int) int {
	checkBlock("OneHot.Classes", d, 1)
	return len(c.Logits)
}

// BlockLogits copies the logits into dst.
func (c OneHot) BlockLogits(dst []float64, d int) { Categorical(c).BlockLogits(dst, d) }

// BlockLogitVJP adds v to dst.
func (c OneHot) BlockLogitVJP(dst []float64, d int, v []float64) {
	Categorical(c).BlockLogitVJP(dst, d, v)
}

// Class returns the position of the largest entry of x (the 1 of a
// one-hot x).
func (c OneHot) Class(x []float64, d int) int {
	checkBlock("OneHot.Class", d, 1)
	return argmax1(x)
}

// SetClass writes x = e_k.
func (c OneHot) SetClass(x []float64, d, k int) {
	checkBlock("OneHot.SetClass", d, 1)
	checkClass("OneHot.SetClass", k, len(c.Logits))
	checkLen("OneHot.SetClass", x, len(c.Logits))
	clear(x)
	x[k] = 1
}

// IndicatorVJP copies g into dst: x = D.
func (c OneHot) IndicatorVJP(dst []float64, d int, g []float64) {
	checkBlock("OneHot.IndicatorVJP", d, 1)
	checkLen("OneHot.IndicatorVJP", dst, len(c.Logits))
	copy(dst, g)
}

// LocationVJP adds v to dst (z = logits + Gumbel noise).
func (c OneHot) LocationVJP(dst, v []float64) { c.PreactVJP(dst, nil, v) }
