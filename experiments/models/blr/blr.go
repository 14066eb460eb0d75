// Package blr is the Bayesian logistic regression of Mohamed et al. (2020),
// §8.3: labels y_i ∈ {−1, +1} with p(y_i | x_i, w) = σ(y_i x_iᵀw), a prior
// w ~ N(0, I) and a diagonal normal posterior q(w) = N(μ, diag(s²)) fitted by
// maximising the evidence lower bound
//
//	ELBO(μ, s) = E_q[Σ_i log σ(y_i x_iᵀw)] − KL(q ‖ N(0, I)).
//
// The expectation is the part whose gradient the Monte Carlo estimators
// estimate: Likelihood is the minibatch log-likelihood scaled to the full
// data, an objective.Curved over w, so every registered estimator that
// handles the diagonal normal family (dist.MVNDiag) plugs in. The KL term is
// analytic.
package blr

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/experiments/models/nn"
	"github.com/gradbench/gradbench/experiments/stats"
)

// Data is a standardised design matrix with a bias column and ±1 labels.
type Data struct {
	N, D int       // examples, features (including the bias column, last)
	X    []float64 // N × D, row-major
	Y    []float64 // N labels in {−1, +1}
}

// Row returns the features of example i (a subslice of X).
func (d *Data) Row(i int) []float64 { return d.X[i*d.D : (i+1)*d.D] }

// LoadCSV reads the breast-cancer CSV of scikit-learn's datasets (a header
// "rows,features,name0,name1", then rows of features and a 0/1 label),
// standardises every feature to mean 0 and standard deviation 1, appends a
// bias column of ones, and maps label 0 to −1. Malformed files are errors
// naming the line.
func LoadCSV(path string) (*Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	head := strings.Split(strings.TrimSpace(sc.Text()), ",")
	if len(head) < 2 {
		return nil, fmt.Errorf("%s:1: header: want rows,features,… (the file's contents are not shown)", path)
	}
	n, err1 := strconv.Atoi(head[0])
	p, err2 := strconv.Atoi(head[1])
	if err1 != nil || err2 != nil || n < 2 || p < 1 {
		return nil, fmt.Errorf("%s:1: header: want positive row and feature counts (the file's contents are not shown)", path)
	}
	d := &Data{N: n, D: p + 1, X: make([]float64, 0, n*(p+1)), Y: make([]float64, 0, n)}
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != p+1 {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(fields), p+1)
		}
		if len(d.Y) == n {
			return nil, fmt.Errorf("%s:%d: more than the %d rows the header announces", path, line, n)
		}
		for j, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s:%d: field %d: want a finite number (the file's contents are not shown)", path, line, j+1)
			}
			if j == p {
				switch v {
				case 0:
					d.Y = append(d.Y, -1)
				case 1:
					d.Y = append(d.Y, 1)
				default:
					return nil, fmt.Errorf("%s:%d: label %v: want 0 or 1", path, line, v)
				}
				continue
			}
			d.X = append(d.X, v)
		}
		d.X = append(d.X, 1) // bias
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(d.Y) != n {
		return nil, fmt.Errorf("%s: %d rows, the header announces %d", path, len(d.Y), n)
	}
	d.standardise()
	return d, nil
}

// standardise scales every column but the bias to mean 0, sd 1.
func (d *Data) standardise() {
	for j := range d.D - 1 {
		var m, s float64
		for i := range d.N {
			m += d.X[i*d.D+j]
		}
		m /= float64(d.N)
		for i := range d.N {
			v := d.X[i*d.D+j] - m
			s += v * v
		}
		s = math.Sqrt(s / float64(d.N))
		if s == 0 {
			s = 1
		}
		for i := range d.N {
			d.X[i*d.D+j] = (d.X[i*d.D+j] - m) / s
		}
	}
}

// Likelihood is the objective f(w) = Scale Σ_{i ∈ Batch} log σ(y_i x_iᵀw):
// the log-likelihood of a minibatch, scaled (Scale = N/len(Batch)) to
// estimate that of the full data. It implements objective.Curved.
type Likelihood struct {
	Data  *Data
	Batch []int // example indices
	Scale float64

	xt, m []float64 // Values: the batch's features transposed, the margins
}

// Name returns "blr-loglik".
func (*Likelihood) Name() string { return "blr-loglik" }

func (l *Likelihood) margin(i int, w []float64) float64 {
	var m float64
	for j, x := range l.Data.Row(i) {
		m += x * w[j]
	}
	return l.Data.Y[i] * m
}

// Value returns f(w) (len(w) = Data.D).
func (l *Likelihood) Value(w []float64) float64 {
	var s float64
	for _, i := range l.Batch {
		s += nn.LogSigmoid(l.margin(i, w))
	}
	return l.Scale * s
}

// Values writes f(w_r) into dst[r] for the rows w_r of ws (len(ws) =
// len(dst)·Data.D), with the bits of Value, so that Likelihood is an
// objective.Batch: the margins of every row and example come from one
// matrix product of the rows with the batch's features transposed
// (nn.MatMul, whose sums over the features run in Value's order), then each
// row's log-sigmoids are summed over the batch as Value sums them. It
// keeps its scratch in l, so one Likelihood must not run Values from two
// goroutines at once (Value may). It panics if len(ws) is not
// len(dst)·Data.D.
func (l *Likelihood) Values(dst, ws []float64) {
	D, R, nb := l.Data.D, len(dst), len(l.Batch)
	if len(ws) != R*D {
		panic(fmt.Sprintf("blr: Likelihood.Values: %d values for %d points of %d features", len(ws), R, D))
	}
	l.xt, l.m = grown(l.xt, D*nb), grown(l.m, R*nb)
	for k, i := range l.Batch {
		for j, x := range l.Data.Row(i) {
			l.xt[j*nb+k] = x
		}
	}
	nn.MatMul(l.m, ws, l.xt, R, D, nb)
	for r := range R {
		var s float64
		for k, i := range l.Batch {
			s += nn.LogSigmoid(l.Data.Y[i] * l.m[r*nb+k])
		}
		dst[r] = l.Scale * s
	}
}

// grown returns s resliced to length n, reallocated if it is too short.
func grown(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// Grad writes ∇f(w) = Scale Σ σ(−m_i) y_i x_i, m_i = y_i x_iᵀw, into dst
// and returns f(w).
func (l *Likelihood) Grad(dst, w []float64) float64 {
	clear(dst)
	var s float64
	for _, i := range l.Batch {
		m := l.margin(i, w)
		s += nn.LogSigmoid(m)
		c := l.Scale * nn.Sigm(-m) * l.Data.Y[i]
		for j, x := range l.Data.Row(i) {
			dst[j] += c * x
		}
	}
	return l.Scale * s
}

// HessDiag writes the diagonal of ∇²f(w), −Scale Σ σ(m_i)σ(−m_i) x_ij², into
// dst.
func (l *Likelihood) HessDiag(dst, w []float64) {
	clear(dst)
	for _, i := range l.Batch {
		m := l.margin(i, w)
		c := -l.Scale * nn.Sigm(m) * nn.Sigm(-m)
		for j, x := range l.Data.Row(i) {
			dst[j] += c * x * x
		}
	}
}

// Hessian writes the full Hessian ∇²f(w) = −Scale Σ σ(m_i)σ(−m_i) x_i x_iᵀ
// (D × D, row-major) into dst: the log-likelihood of a linear model has a
// dense Hessian, which the delta method's full-Hessian control variate uses.
func (l *Likelihood) Hessian(dst, w []float64) {
	D := l.Data.D
	clear(dst[:D*D])
	for _, i := range l.Batch {
		m := l.margin(i, w)
		c := -l.Scale * nn.Sigm(m) * nn.Sigm(-m)
		x := l.Data.Row(i)
		for r, xr := range x {
			row := dst[r*D : (r+1)*D]
			for k, xk := range x {
				row[k] += c * xr * xk
			}
		}
	}
}

// KL returns KL(N(μ, diag(s²)) ‖ N(0, I)) = ½ Σ (μ² + s² − 1 − 2 log s) and,
// if dmu and dlogs are not nil, writes its gradients with respect to μ and
// log s (μ and s² − 1).
func KL(dmu, dlogs, mu, s []float64) float64 {
	var kl float64
	for d, m := range mu {
		kl += 0.5 * (m*m + s[d]*s[d] - 1 - 2*math.Log(s[d]))
		if dmu != nil {
			dmu[d] = m
			dlogs[d] = s[d]*s[d] - 1
		}
	}
	return kl
}

// Evaluate returns a Monte Carlo estimate of the full-data ELBO from k
// posterior samples (with its standard error) and the accuracy on the data
// averaged over the same posterior samples w: the mean over w and i of
// 1[sign(x_iᵀw) = y_i], as the reference implementation (mc_gradients'
// bayes_lr) computes it. It allocates its own scratch (it runs at
// evaluation points only).
func Evaluate(d *Data, mu, s []float64, k int, rng *rand.Rand) (elbo, se, acc float64) {
	all := &Likelihood{Data: d, Batch: make([]int, d.N), Scale: 1}
	for i := range all.Batch {
		all.Batch[i] = i
	}
	// Blocks of samples through Values, whose margins also give the
	// accuracy: the bits of drawing, evaluating and counting one sample
	// at a time.
	const block = 100
	ws, vals := make([]float64, block*d.D), make([]float64, block)
	var sum, sum2 float64
	correct := 0
	for t0 := 0; t0 < k; t0 += block {
		r := min(block, k-t0)
		for j := range ws[:r*d.D] {
			ws[j] = mu[j%d.D] + s[j%d.D]*rng.NormFloat64()
		}
		all.Values(vals[:r], ws[:r*d.D])
		for t, v := range vals[:r] {
			sum += v
			sum2 += v * v
			for i, m := range all.m[t*d.N : (t+1)*d.N] {
				if d.Y[i]*m > 0 {
					correct++
				}
			}
		}
	}
	mean := sum / float64(k)
	variance := max(0, (sum2-float64(k)*mean*mean)/float64(k-1))
	return mean - KL(nil, nil, mu, s), math.Sqrt(variance / float64(k)), float64(correct) / float64(k*d.N)
}

// Trainer fits q(w) = N(μ, diag(s²)) by stochastic gradient ascent on the
// ELBO, with the expected log-likelihood's gradient estimated by an
// estimators.Estimator on minibatches.
type Trainer struct {
	Data      *Data
	BatchSize int
	Samples   int // posterior samples per gradient estimate (N)

	// Params is (μ, log s), the optimised vector; Grad the gradient of the
	// negated ELBO estimate of the last Step (the optimizer minimises).
	Params, Grad []float64

	lik       Likelihood
	theta, g  []float64 // (μ, s) and the estimate with respect to it
	klmu, kls []float64
	perm      []int
	pos       int
	q         dist.MVNDiag
	stats     []stats.Moments
}

// NewTrainer returns a trainer at μ = 0, s = sInit (every coordinate). It
// returns an error for a batch size outside [1, N], samples < 1 or sInit not
// finite and > 0.
func NewTrainer(d *Data, batch, samples int, sInit float64) (*Trainer, error) {
	if batch < 1 || batch > d.N {
		return nil, fmt.Errorf("blr: batch size %d: want 1 … %d", batch, d.N)
	}
	if samples < 1 {
		return nil, fmt.Errorf("blr: samples %d: want ≥ 1", samples)
	}
	if !(sInit > 0) || math.IsInf(sInit, 0) {
		return nil, fmt.Errorf("blr: initial s %v: want a finite number > 0", sInit)
	}
	D := d.D
	t := &Trainer{Data: d, BatchSize: batch, Samples: samples,
		Params: make([]float64, 2*D), Grad: make([]float64, 2*D),
		theta: make([]float64, 2*D), g: make([]float64, 2*D),
		klmu: make([]float64, D), kls: make([]float64, D), perm: make([]int, d.N)}
	for j := range D {
		t.Params[D+j] = math.Log(sInit)
	}
	for i := range t.perm {
		t.perm[i] = i
	}
	t.pos = d.N
	t.lik = Likelihood{Data: d, Batch: make([]int, batch), Scale: float64(d.N) / float64(batch)}
	return t, nil
}

// MuS returns views of μ and s = exp(log s) (s is recomputed).
func (t *Trainer) MuS() (mu, s []float64) {
	D := t.Data.D
	for j := range D {
		t.theta[j] = t.Params[j]
		t.theta[D+j] = math.Exp(t.Params[D+j])
	}
	return t.theta[:D], t.theta[D:]
}

// NextBatch draws the next minibatch (epochs of a random permutation) and
// returns the objective on it; the returned value is reused by the next call.
func (t *Trainer) NextBatch(rng *rand.Rand) *Likelihood {
	for k := range t.lik.Batch {
		if t.pos == len(t.perm) {
			rng.Shuffle(len(t.perm), func(i, j int) { t.perm[i], t.perm[j] = t.perm[j], t.perm[i] })
			t.pos = 0
		}
		t.lik.Batch[k] = t.perm[t.pos]
		t.pos++
	}
	return &t.lik
}

// Batch returns the examples of the last minibatch (NextBatch or Step),
// the trainer's own storage: valid until the next one.
func (t *Trainer) Batch() []int { return t.lik.Batch }

// Order returns a copy of the minibatch order: the current epoch's
// permutation of the examples and the position of the next one in it.
func (t *Trainer) Order() (perm []int, pos int) { return append([]int(nil), t.perm...), t.pos }

// SetOrder restores a minibatch order returned by Order. It returns an
// error if perm is not a permutation of the examples or pos is outside
// [0, N].
func (t *Trainer) SetOrder(perm []int, pos int) error {
	if len(perm) != t.Data.N || pos < 0 || pos > t.Data.N {
		return fmt.Errorf("blr: minibatch order of %d examples at %d, want %d examples", len(perm), pos, t.Data.N)
	}
	seen := make([]bool, len(perm))
	for _, i := range perm {
		if i < 0 || i >= len(perm) || seen[i] {
			return fmt.Errorf("blr: minibatch order is not a permutation")
		}
		seen[i] = true
	}
	copy(t.perm, perm)
	t.pos = pos
	return nil
}

// ELBOGrad converts an estimate est of ∇_(μ,s) E_q[f] into the gradient of
// the negated ELBO with respect to (μ, log s), written into dst: the chain
// rule ∂/∂log s = s ∂/∂s, and the analytic KL gradient.
func (t *Trainer) ELBOGrad(dst, est []float64) {
	D := t.Data.D
	mu, s := t.theta[:D], t.theta[D:]
	KL(t.klmu, t.kls, mu, s)
	for j := range D {
		dst[j] = -(est[j] - t.klmu[j])
		dst[D+j] = -(est[D+j]*s[j] - t.kls[j])
	}
}

// Posterior returns q at the current parameters, sharing the trainer's
// storage (valid until the parameters change).
func (t *Trainer) Posterior() *dist.MVNDiag {
	mu, s := t.MuS()
	t.q = dist.MVNDiag{Mu: mu, Sigma: s}
	return &t.q
}

// Step draws a minibatch from data, estimates the gradient of the expected
// log-likelihood with est (Samples posterior samples drawn from rng) and
// writes the gradient of the negated ELBO with respect to (μ, log s) into
// Grad, for the caller's optimizer to apply to Params. It returns the
// evaluations used. Runs of different estimators given the same data
// sequence see the same minibatches.
func (t *Trainer) Step(est estimators.Estimator, rng, data *rand.Rand) (estimators.Cost, error) {
	lik := t.NextBatch(data)
	c, err := est.Estimate(t.g, t.Posterior(), lik, t.Samples, rng)
	if err != nil {
		return c, err
	}
	t.ELBOGrad(t.Grad, t.g)
	return c, nil
}

// GradVariance measures, at the current parameters, the variance of draws
// independent estimates by est of the expected log-likelihood's gradient
// with respect to μ and to log s, each averaged over the D coordinates:
// of the full-data log-likelihood if batchRNG is nil (as the reference
// implementation does), else of the log-likelihood of one minibatch drawn
// from batchRNG (scaled to the data size). Non-finite draws are excluded
// and counted. Passing the same batchRNG sequence to runs with different
// estimators measures them on the same minibatches. It does not move the
// trainer's minibatch sequence.
func (t *Trainer) GradVariance(est estimators.Estimator, draws int, batchRNG, rng *rand.Rand) (varMu, varLogS float64, nonfinite int, err error) {
	D := t.Data.D
	lik := Likelihood{Data: t.Data, Batch: make([]int, t.Data.N), Scale: 1}
	if batchRNG == nil {
		for i := range lik.Batch {
			lik.Batch[i] = i
		}
	} else {
		lik.Batch, lik.Scale = lik.Batch[:t.BatchSize], t.lik.Scale
		for k := range lik.Batch {
			lik.Batch[k] = batchRNG.IntN(t.Data.N)
		}
	}
	if len(t.stats) != 2*D {
		t.stats = make([]stats.Moments, 2*D)
	}
	clear(t.stats)
	q := t.Posterior()
	g := make([]float64, 2*D)
	for range draws {
		if _, err := est.Estimate(g, q, &lik, t.Samples, rng); err != nil {
			return 0, 0, 0, err
		}
		ok := true
		for j := range D {
			g[D+j] *= q.Sigma[j]
		}
		for _, v := range g {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				ok = false
			}
		}
		if !ok {
			nonfinite++
			continue
		}
		stats.AddVec(t.stats, g)
	}
	for j := range D {
		varMu += t.stats[j].Variance() / float64(D)
		varLogS += t.stats[D+j].Variance() / float64(D)
	}
	return varMu, varLogS, nonfinite, nil
}
