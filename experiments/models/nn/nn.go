// Package nn holds the small neural-network building blocks of the model
// experiments: dense layers over gonum's BLAS (row-major batches, one row per
// example), element-wise activations, and numerically stable log-sigmoid,
// softplus and log-softmax, each with a hand-written backward pass. It is no
// general autodiff engine: a model calls Forward and Backward of its layers in
// order and keeps the activations it needs.
//
// Parameters and gradients of a network live in two flat slices (see Pack),
// so that an optimizer can step them all at once. Nothing allocates after
// construction: every method writes into destination slices.
package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Dense is a fully connected layer y = x Wᵀ + b for a batch of rows x
// (batch × In) giving y (batch × Out). W is Out × In, row-major (or In ×
// Out with InMajor); B has length Out. GW and GB receive the accumulated
// gradients, in W's layout.
type Dense struct {
	In, Out int
	W, B    []float64
	GW, GB  []float64
	// InMajor stores W and GW as In × Out, row-major: row k holds the
	// weights of input k, the layout in which the product with a Binary
	// input is a sum of contiguous rows (see ForwardBinary). Set by
	// NewDenseInMajor.
	InMajor bool
}

// NewDense returns an In → Out layer with Glorot-uniform weights drawn from
// rng and zero biases. It panics if in or out is < 1.
func NewDense(in, out int, rng *rand.Rand) *Dense {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("nn: NewDense(%d, %d): sizes must be ≥ 1", in, out))
	}
	l := &Dense{In: in, Out: out, W: make([]float64, in*out), B: make([]float64, out),
		GW: make([]float64, in*out), GB: make([]float64, out)}
	a := math.Sqrt(6 / float64(in+out))
	for i := range l.W {
		l.W[i] = a * (2*rng.Float64() - 1)
	}
	return l
}

// NewDenseInMajor returns NewDense(in, out, rng) stored In × Out (InMajor):
// the same weights, drawn in the same order, transposed.
func NewDenseInMajor(in, out int, rng *rand.Rand) *Dense {
	l := NewDense(in, out, rng)
	w := make([]float64, len(l.W))
	for o := range out {
		for k := range in {
			w[k*out+o] = l.W[o*in+k]
		}
	}
	l.W, l.InMajor = w, true
	return l
}

// weights returns W as a BLAS matrix in its own layout and the transpose
// flag that makes op(W) = Wᵀ (In × Out).
func (l *Dense) weights(w []float64) (blas64.General, blas.Transpose) {
	if l.InMajor {
		return general(l.In, l.Out, w), blas.NoTrans
	}
	return general(l.Out, l.In, w), blas.Trans
}

// NumParams returns In·Out + Out.
func (l *Dense) NumParams() int { return l.In*l.Out + l.Out }

func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
}

func vec(s []float64) blas64.Vector { return blas64.Vector{N: len(s), Inc: 1, Data: s} }

func checkRows(method string, s []float64, cols int) int {
	if cols == 0 || len(s)%cols != 0 {
		panic(fmt.Sprintf("nn: %s: length %d is not a multiple of %d", method, len(s), cols))
	}
	return len(s) / cols
}

// Forward writes y = x Wᵀ + b, with x a batch of rows of length In and y the
// same number of rows of length Out. It panics on mismatched lengths.
func (l *Dense) Forward(y, x []float64) {
	n := checkRows("Dense.Forward", x, l.In)
	if len(y) != n*l.Out {
		panic(fmt.Sprintf("nn: Dense.Forward: len(y) = %d, want %d", len(y), n*l.Out))
	}
	for i := range n {
		copy(y[i*l.Out:(i+1)*l.Out], l.B)
	}
	l.AddTangent(y, x)
}

// flip returns the other transpose flag.
func flip(t blas.Transpose) blas.Transpose {
	if t == blas.Trans {
		return blas.NoTrans
	}
	return blas.Trans
}

// Backward adds the gradients of a loss with respect to W and b, given its
// gradient dy with respect to the output y of Forward(y, x), to GW and GB,
// and writes the gradient with respect to x into dx, unless dx is nil. It
// panics on mismatched lengths.
func (l *Dense) Backward(dx, x, dy []float64) { l.backward(dx, x, dy, false) }

// SetGrad is Backward writing the gradients with respect to W and b into
// GW and GB instead of adding them to what they hold: the same bits as
// zeroing GW and GB and calling Backward (gonum's Dgemm and gemm zero C
// for beta = 0 before they add the same products in the same order).
func (l *Dense) SetGrad(dx, x, dy []float64) { l.backward(dx, x, dy, true) }

func (l *Dense) backward(dx, x, dy []float64, set bool) {
	n := checkRows("Dense.Backward", x, l.In)
	if len(dy) != n*l.Out || (dx != nil && len(dx) != len(x)) {
		panic(fmt.Sprintf("nn: Dense.Backward: len(dy) = %d, len(dx) = %d for %d rows", len(dy), len(dx), n))
	}
	beta := 1.0
	if set {
		beta = 0
		clear(l.GB)
		if n == 1 {
			clear(l.GW)
		}
	}
	switch {
	case l.InMajor && n == 1:
		blas64.Ger(1, vec(x), vec(dy), general(l.In, l.Out, l.GW))
	case l.InMajor:
		gemm(blas.Trans, blas.NoTrans, 1, general(n, l.In, x), general(n, l.Out, dy), beta, general(l.In, l.Out, l.GW))
	case n == 1:
		blas64.Ger(1, vec(dy), vec(x), general(l.Out, l.In, l.GW))
	default:
		gemm(blas.Trans, blas.NoTrans, 1, general(n, l.Out, dy), general(n, l.In, x), beta, general(l.Out, l.In, l.GW))
	}
	for i := range n {
		row := dy[i*l.Out : (i+1)*l.Out]
		for j, v := range row {
			l.GB[j] += v
		}
	}
	if dx != nil {
		l.BackwardInput(dx, dy)
	}
}

// AddTangent adds dx Wᵀ to dy: the change of the output for a change dx
// of the input (rows of In values; dy rows of Out), the bias fixed, as
// forward-mode derivatives need. It panics on mismatched lengths.
func (l *Dense) AddTangent(dy, dx []float64) {
	n := checkRows("Dense.AddTangent", dx, l.In)
	if len(dy) != n*l.Out {
		panic(fmt.Sprintf("nn: Dense.AddTangent: len(dy) = %d, want %d", len(dy), n*l.Out))
	}
	w, tw := l.weights(l.W)
	if n == 1 {
		// One row: a matrix-vector product (gonum's Dgemm starts
		// goroutines, which allocate, even for one row).
		blas64.Gemv(flip(tw), 1, w, vec(dx), 1, vec(dy))
		return
	}
	gemm(blas.NoTrans, tw, 1, general(n, l.In, dx), w, 1, general(n, l.Out, dy))
}

// BackwardInput writes the gradient with respect to x, dx = dy W, given the
// gradient dy with respect to the output, without touching GW and GB. It
// panics on mismatched lengths.
func (l *Dense) BackwardInput(dx, dy []float64) {
	n := checkRows("Dense.BackwardInput", dy, l.Out)
	if len(dx) != n*l.In {
		panic(fmt.Sprintf("nn: Dense.BackwardInput: len(dx) = %d, want %d", len(dx), n*l.In))
	}
	w, tw := l.weights(l.W)
	if n == 1 {
		blas64.Gemv(tw, 1, w, vec(dy), 0, vec(dx))
		return
	}
	gemm(blas.NoTrans, flip(tw), 1, general(n, l.Out, dy), w, 0, general(n, l.In, dx))
}

// Pack moves the weights and biases of layers into one flat parameter slice
// and their gradients into one flat gradient slice, layer after layer (W then
// B), and repoints the layers at them, so that an optimizer steps every
// parameter at once. The gradients are zeroed.
func Pack(layers ...*Dense) (params, grads []float64) {
	total := 0
	for _, l := range layers {
		total += l.NumParams()
	}
	params, grads = make([]float64, total), make([]float64, total)
	off := 0
	for _, l := range layers {
		nw := l.In * l.Out
		copy(params[off:], l.W)
		copy(params[off+nw:], l.B)
		l.W, l.B = params[off:off+nw:off+nw], params[off+nw:off+nw+l.Out:off+nw+l.Out]
		l.GW, l.GB = grads[off:off+nw:off+nw], grads[off+nw:off+nw+l.Out:off+nw+l.Out]
		off += nw + l.Out
	}
	return params, grads
}

// Activation is an element-wise nonlinearity.
type Activation int

// The activations.
const (
	Identity Activation = iota
	Tanh
	Sigmoid
	LeakyReLU // slope LeakySlope for negative inputs
)

// LeakySlope is the negative-side slope of LeakyReLU (0.3, as in the
// DisARM and RELAX nonlinear models).
const LeakySlope = 0.3

// leakyFactor returns LeakySlope if v < 0 and 1 otherwise (−0 and NaN
// included), selected on the bits, without a branch.
func leakyFactor(v float64) float64 {
	one, slope := math.Float64bits(1), math.Float64bits(LeakySlope)
	var neg uint64
	if v < 0 {
		neg = 1
	}
	return math.Float64frombits(one ^ -neg&(one^slope))
}

// Apply writes a(x) into y (len(y) = len(x)); y may be x.
func (a Activation) Apply(y, x []float64) {
	if len(y) != len(x) {
		panic("nn: Activation.Apply: length mismatch")
	}
	switch a {
	case Identity:
		copy(y, x)
	case Tanh:
		for i, v := range x {
			y[i] = math.Tanh(v)
		}
	case Sigmoid:
		for i, v := range x {
			y[i] = Sigm(v)
		}
	case LeakyReLU:
		// v·1 is v, so multiplying every v by its slope gives the bits of
		// scaling the negative ones alone, without a branch that a
		// random sign mispredicts half the time.
		for i, v := range x {
			y[i] = v * leakyFactor(v)
		}
	default:
		panic("nn: unknown activation")
	}
}

// Backward writes dx = dy ⊙ a'(x) into dx, given the output y = a(x) (all of
// equal length); dx may be dy.
func (a Activation) Backward(dx, y, dy []float64) {
	if len(dx) != len(y) || len(dy) != len(y) {
		panic("nn: Activation.Backward: length mismatch")
	}
	switch a {
	case Identity:
		copy(dx, dy)
	case Tanh:
		for i, v := range y {
			dx[i] = dy[i] * (1 - v*v)
		}
	case Sigmoid:
		for i, v := range y {
			dx[i] = dy[i] * v * (1 - v)
		}
	case LeakyReLU:
		for i, v := range y {
			dx[i] = dy[i] * leakyFactor(v)
		}
	default:
		panic("nn: unknown activation")
	}
}

// Sigm returns the logistic function 1/(1 + e^(−x)), without overflow.
func Sigm(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Softplus returns log(1 + e^x), stably for every x.
func Softplus(x float64) float64 {
	return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// LogSigmoid returns log σ(x) = −softplus(−x), stably for every x; its
// derivative is σ(−x).
func LogSigmoid(x float64) float64 { return -Softplus(-x) }

// BernoulliLogLik returns Σ_d log p(x_d | logit_d) = Σ_d x_d l_d − softplus(l_d)
// for targets x_d in [0, 1] and writes its gradient with respect to the
// logits, x_d − σ(l_d), into dlogit unless it is nil. It panics on
// mismatched lengths.
func BernoulliLogLik(dlogit, x, logit []float64) float64 {
	if len(x) != len(logit) || (dlogit != nil && len(dlogit) != len(x)) {
		panic("nn: BernoulliLogLik: length mismatch")
	}
	var s float64
	if dlogit == nil {
		for d, l := range logit {
			s += x[d]*l - Softplus(l)
		}
		return s
	}
	for d, l := range logit {
		// Softplus(l) and Sigm(l) from one exponential, e^(−|l|): the
		// same operations as the two functions, so the same bits.
		e := math.Exp(-math.Abs(l))
		s += x[d]*l - (max(l, 0) + math.Log1p(e))
		if l >= 0 {
			dlogit[d] = x[d] - 1/(1+e)
		} else {
			dlogit[d] = x[d] - e/(1+e)
		}
	}
	return s
}

// ImportanceBound adds to each log-weight lw[j] the Bernoulli
// log-likelihood of the targets x under row j of logits (len(lw) rows of
// len(x)), as BernoulliLogLikBlocked computes it, and returns the first
// row's log-likelihood (a one-sample ELBO's) and log (1/k) Σ_j e^(lw_j),
// k = len(lw), computed from the largest lw_j: the k-sample
// importance-weighted bound of Burda et al. (2016). It panics if len(logits)
// is not len(lw)·len(x); with no samples the bound is NaN.
func ImportanceBound(lw, x, logits []float64) (ll0, bound float64) {
	k, P := len(lw), len(x)
	if len(logits) != k*P {
		panic(fmt.Sprintf("nn: ImportanceBound: %d logits for %d samples of %d targets", len(logits), k, P))
	}
	mx := math.Inf(-1)
	for j := range lw {
		ll := BernoulliLogLikBlocked(nil, x, logits[j*P:(j+1)*P])
		if j == 0 {
			ll0 = ll
		}
		lw[j] += ll
		mx = max(mx, lw[j])
	}
	var s float64
	for _, v := range lw {
		s += math.Exp(v - mx)
	}
	return ll0, mx + math.Log(s/float64(k))
}

// BernoulliLogLikBlocked returns what BernoulliLogLik returns, and writes
// the same gradient, with one logarithm per block of 32 logits instead of
// one log1p per logit: Σ_d softplus(l_d) = Σ_d max(l_d, 0) + log Π_d (1 +
// e^(−|l_d|)), each block's product of factors in (1, 2] at most 2³², and
// the exponentials by a vector kernel accurate to 2 ulp. The products'
// rounding adds at most about 32·2⁻⁵³ relative per block, below the
// rounding of the sum itself; TestBernoulliLogLikBlocked bounds the
// difference from BernoulliLogLik. The Bernoulli VAE's decoder spends most
// of its element-wise time here.
func BernoulliLogLikBlocked(dlogit, x, logit []float64) float64 {
	if len(x) != len(logit) || (dlogit != nil && len(dlogit) != len(x)) {
		panic("nn: BernoulliLogLikBlocked: length mismatch")
	}
	const block = 32
	var s, logs float64
	for lo := 0; lo < len(logit); lo += block {
		hi := min(lo+block, len(logit))
		ls, xs := logit[lo:hi], x[lo:hi]
		var es [block]float64
		expNegAbs(es[:], ls)
		prod := 1.0
		for d, l := range ls {
			e := es[d]
			prod *= 1 + e
			s += xs[d]*l - max(l, 0)
			if dlogit != nil {
				sg := 1 / (1 + e) // σ(l), from e^(−|l|)
				if l < 0 {
					sg = e * sg
				}
				dlogit[lo+d] = xs[d] - sg
			}
		}
		logs += math.Log(prod)
	}
	return s - logs
}

// LogSoftmax writes log softmax(x) into y (len(y) = len(x); y may be x),
// stably.
func LogSoftmax(y, x []float64) {
	if len(y) != len(x) || len(x) == 0 {
		panic("nn: LogSoftmax: length mismatch or empty")
	}
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	for i, v := range x {
		y[i] = v - lse
	}
}

// LogSoftmaxBackward writes dx = dy − softmax(x) Σ dy into dx given the
// output y = log softmax(x); dx may be dy.
func LogSoftmaxBackward(dx, y, dy []float64) {
	if len(dx) != len(y) || len(dy) != len(y) {
		panic("nn: LogSoftmaxBackward: length mismatch")
	}
	var s float64
	for _, v := range dy {
		s += v
	}
	for i, v := range y {
		dx[i] = dy[i] - math.Exp(v)*s
	}
}
