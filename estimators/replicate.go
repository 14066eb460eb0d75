package estimators

import (
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Replicator is implemented by estimators that write many independent
// estimates in one call: the sweep runner's replications. It is optional:
// an estimator that does not implement it gets the loop over Estimate that
// Replicate falls back to, with the same results.
//
// Replicate writes R independent n-sample estimates into dst (R rows of
// p.NumParams() values, row r at dst[r·P : (r+1)·P]) and returns the
// evaluations they used together. Row r is bit for bit what the r-th of R
// successive Estimate calls with the same rng would write (so a stateful
// estimator updates its state between rows, and the random stream is the
// same), and an error is returned in the same cases. It allocates nothing
// in steady state. The conformance kit checks all of this.
//
// A type that embeds an estimator implementing Replicator and overrides
// Estimate must override Replicate too, or Replicate runs the embedded
// estimator's numbers. The built-in estimators' batched replications are
// not exposed as a Replicate method, so embedding one of them is safe:
// Replicate uses them only for the built-in type itself.
type Replicator interface {
	Replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error)
}

// replicator is implemented by the built-in estimators with batched
// replications. self returns the estimator itself: when the method is
// promoted from an embedded built-in, it returns the embedded value, not
// the embedding one, and Replicate falls back to the loop over the
// embedding type's Estimate.
type replicator interface {
	replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error)
	self() Estimator
}

// Replicate writes R independent n-sample estimates of est into dst, as
// Replicator describes: through est's Replicate method if it has one (or a
// built-in estimator's batched replications), and otherwise by R calls of
// Estimate. It panics if len(dst) is not R·p.NumParams().
func Replicate(est Estimator, dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	if r, ok := est.(Replicator); ok {
		return r.Replicate(dst, p, f, n, R, rng)
	}
	if r, ok := est.(replicator); ok && r.self() == est {
		return r.replicate(dst, p, f, n, R, rng)
	}
	return replicateLoop(est, dst, p, f, n, R, rng)
}

// HasReplicate reports whether Replicate runs batched replications for est
// (its Replicate method or a built-in's), not the loop over Estimate.
func HasReplicate(est Estimator) bool {
	if _, ok := est.(Replicator); ok {
		return true
	}
	r, ok := est.(replicator)
	return ok && r.self() == est
}

// replicateLoop is Replicate by R calls of Estimate.
func replicateLoop(est Estimator, dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	P := p.NumParams()
	var total Cost
	for r := range R {
		c, err := est.Estimate(dst[r*P:(r+1)*P:(r+1)*P], p, f, n, rng)
		if err != nil {
			return total, err
		}
		total.F += c.F
		total.Grad += c.Grad
	}
	return total, nil
}

// checkRows panics if len(dst) is not R·p.NumParams().
func checkRows(dst []float64, p dist.Distribution, R int) {
	if len(dst) != R*p.NumParams() {
		panic("estimators: Replicate: len(dst) is not R times the number of parameters of " + p.Name())
	}
}

// groupSize returns how many replications of n samples of dimension d a
// batched Replicate draws at once (at most R, and groupValues values when
// more than one), or 0 if one replication is already larger than that (or n <
// 1): then each replication goes through Estimate, whose own batches cover
// it (or whose error is returned).
func groupSize(n, d, R int) int {
	per := n * max(d, 1)
	if per < 1 || per > groupValues {
		return 0
	}
	return max(1, min(R, groupValues/per))
}

// groupValues is the number of sample values a batched Replicate draws at
// once: with their values of f, and gradients or noise, they stay in the
// L1 cache.
const groupValues = 1024

// samples is scratch for the batched replications of score-function
// estimators: the draws x of a group of replications and their values.
type samples struct {
	xs, fs []float64
}

// draw fills the first rows samples of dimension d from p, as rows
// successive p.Rand calls would (in one RandN call when p is a
// dist.BatchScorer), and their values of f (in one Values call when f is
// an objective.Batch), and returns both.
func (s *samples) draw(p dist.Distribution, f objective.Objective, rows, d int, rng *rand.Rand) (xs, fs []float64) {
	s.xs, s.fs = grow(s.xs, rows*d), grow(s.fs, rows)
	xs, fs = s.xs[:rows*d], s.fs[:rows]
	if bp, ok := p.(dist.BatchScorer); ok {
		bp.RandN(xs, rng)
	} else {
		for i := range rows {
			p.Rand(xs[i*d:(i+1)*d:(i+1)*d], rng)
		}
	}
	values(f, fs, xs, d)
	return xs, fs
}

// values writes f at the rows of xs (dimension d) into fs, in one Values
// call when f is an objective.Batch.
func values(f objective.Objective, fs, xs []float64, d int) {
	if bf, ok := f.(objective.Batch); ok {
		bf.Values(fs, xs)
		return
	}
	for i := range fs {
		fs[i] = f.Value(xs[i*d : (i+1)*d : (i+1)*d])
	}
}

// fromSamples is implemented by the score-function estimators whose
// estimate is a function of its n samples and their values alone (and of
// the estimator's state, which it updates): both Estimate and Replicate
// draw the samples with samples.draw and hand them over.
type fromSamples interface {
	// fromSamples writes the estimate from the n samples xs (rows of
	// p.Dim()) and their values fs into grad.
	fromSamples(grad []float64, p dist.Distribution, xs, fs []float64)
}

// replicateSamples is Replicate for a fromSamples estimator: the samples of
// a group of replications are drawn together, then each replication's
// estimate is made from its n of them, in order. n ≥ 1.
func replicateSamples(e fromSamples, s *samples, dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) Cost {
	d, P := p.Dim(), p.NumParams()
	G := max(groupSize(n, d, R), 1)
	for r0 := 0; r0 < R; r0 += G {
		g := min(G, R-r0)
		xs, fs := s.draw(p, f, g*n, d, rng)
		for r := range g {
			e.fromSamples(dst[(r0+r)*P:(r0+r+1)*P:(r0+r+1)*P], p, xs[r*n*d:(r+1)*n*d], fs[r*n:(r+1)*n])
		}
	}
	return Cost{F: n * R}
}

// pairChunks is scratch for the replications of the antithetic-pair
// estimators (ARM, DisARM): the pairs of points of a chunk of samples, a
// per-sample auxiliary vector (ARM's uniforms, DisARM's σ(|α|)) and their
// values. A chunk holds up to 256 samples and 4096 values per side, across
// replications; sample t of a chunk starting at sample s (counting over
// all n·R) belongs to replication (s+t)/n.
type pairChunks struct {
	b1, b2, aux, f1, f2, g []float64
}

// pairEstimator is an antithetic-pair estimator as pairChunks.replicate
// runs it.
type pairEstimator interface {
	// drawPair draws one sample's pair (b1, b2) and its auxiliary vector.
	drawPair(bp dist.Binary, b1, b2, aux []float64, rng *rand.Rand)
	// pairGrad writes the logit gradient of one sample's pair, with f1 =
	// f(b1), f2 = f(b2) and n samples per estimate, into g.
	pairGrad(g, b1, b2, aux []float64, f1, f2, n float64)
}

// replicate writes R n-sample estimates of e into dst: the pairs of a chunk
// are drawn, evaluated (one Values call per side when f is an
// objective.Batch), and their logit gradients added to their
// replications' rows, in order.
func (c *pairChunks) replicate(e pairEstimator, dst []float64, bp dist.Binary, f objective.Objective, n, R int, rng *rand.Rand) Cost {
	d, P := bp.Dim(), bp.NumParams()
	m := c.init(d)
	c.aux, c.g = grow(c.aux, m*d), grow(c.g, d)
	zero(dst)
	for done := 0; done < n*R; {
		k := min(m, n*R-done)
		for t := range k {
			b1, b2 := c.pair(t, d)
			e.drawPair(bp, b1, b2, c.aux[t*d:(t+1)*d], rng)
		}
		c.eval(f, k, d)
		for t := range k {
			b1, b2 := c.pair(t, d)
			e.pairGrad(c.g, b1, b2, c.aux[t*d:(t+1)*d], c.f1[t], c.f2[t], float64(n))
			r := (done + t) / n
			bp.LogitVJP(dst[r*P:(r+1)*P:(r+1)*P], c.g)
		}
		done += k
	}
	return Cost{F: 2 * n * R}
}

// init sizes the buffers for points of dimension d and returns the number
// of samples per chunk.
func (c *pairChunks) init(d int) int {
	m := chunkRows(256, d)
	c.b1, c.b2 = grow(c.b1, m*d), grow(c.b2, m*d)
	c.f1, c.f2 = grow(c.f1, m), grow(c.f2, m)
	return m
}

// pair returns the two points of sample t of the chunk.
func (c *pairChunks) pair(t, d int) (b1, b2 []float64) {
	return c.b1[t*d : (t+1)*d : (t+1)*d], c.b2[t*d : (t+1)*d : (t+1)*d]
}

// eval evaluates f at both points of the first k samples of the chunk.
func (c *pairChunks) eval(f objective.Objective, k, d int) {
	values(f, c.f1[:k], c.b1[:k*d], d)
	values(f, c.f2[:k], c.b2[:k*d], d)
}
