package estimators

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ScoreMA is the score-function estimator with a moving-average baseline:
//
//	∇θ E[f] ≈ (1/n) Σ_i (f(x_i) − b) ∇θ log p(x_i;θ),
//
// where b is an exponential moving average of the batch means of f over the
// earlier calls: after each estimate, b ← Decay·b + (1 − Decay)·mean_i f(x_i)
// (the first batch sets b to its mean). Because b is updated after the
// estimate, it is independent of the samples it multiplies, and since
// E[∇θ log p] = 0 the estimate stays unbiased. Before the first estimate, and
// after Reset, b = 0.
//
// ScoreMA implements Stateful; its state is b, whether the first batch has
// been seen, and the frozen flag of a Snapshot.
type ScoreMA struct {
	// Decay is the weight of the old baseline, in [0, 1).
	Decay float64

	b      float64
	init   bool
	frozen bool // a Snapshot: the baseline is never updated
	s      []float64
	smp    samples
}

// NewScoreMA returns a score+ma estimator with the given decay, or an error if
// decay is not in [0, 1).
func NewScoreMA(decay float64) (*ScoreMA, error) {
	if !(decay >= 0 && decay < 1) {
		return nil, fmt.Errorf("option decay = %v: want 0 ≤ decay < 1", decay)
	}
	return &ScoreMA{Decay: decay}, nil
}

// Info describes the estimator.
func (*ScoreMA) Info() Info {
	return Info{
		Name:     "score+ma",
		Summary:  "REINFORCE with a moving-average baseline of f from earlier estimates",
		Unbiased: true,
		Cost:     "1 f",
		Stateful: true,
	}
}

// Reset sets the baseline back to 0.
func (e *ScoreMA) Reset() { e.b, e.init = 0, false }

// Baseline returns the baseline the next estimate will use.
func (e *ScoreMA) Baseline() float64 { return e.b }

// Snapshot returns a copy with the same baseline that never updates it.
func (e *ScoreMA) Snapshot() Estimator {
	return &ScoreMA{Decay: e.Decay, b: e.b, init: e.init, frozen: true}
}

// MarshalBinary encodes the baseline, whether it has been set, and the frozen
// flag (and Decay, which UnmarshalBinary checks).
func (e *ScoreMA) MarshalBinary() ([]byte, error) {
	w := newStateEncoder("score+ma")
	w.float(e.Decay)
	w.float(e.b)
	w.bool(e.init)
	w.bool(e.frozen)
	return w.bytes(), nil
}

// UnmarshalBinary restores a state encoded by MarshalBinary of a score+ma
// estimator with the same Decay.
func (e *ScoreMA) UnmarshalBinary(data []byte) error {
	r := newStateDecoder("score+ma", data)
	r.option("decay", e.Decay)
	b, set, frozen := r.float(), r.bool(), r.bool()
	if err := r.finish(); err != nil {
		return err
	}
	e.b, e.init, e.frozen = b, set, frozen
	return nil
}

// Estimate writes the n-sample estimate into grad, then updates the baseline
// (unless e is a Snapshot).
func (e *ScoreMA) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	xs, fs := e.smp.draw(p, f, n, p.Dim(), rng)
	e.fromSamples(grad, p, xs, fs)
	return Cost{F: n}, nil
}

// replicate writes R estimates into dst (the batched replications of
// Replicate), drawing the samples of a group of replications together; the
// baseline moves after each replication, as after each Estimate.
func (e *ScoreMA) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	return replicateSamples(e, &e.smp, dst, p, f, n, R, rng), nil
}

func (e *ScoreMA) fromSamples(grad []float64, p dist.Distribution, xs, fs []float64) {
	d, n := p.Dim(), len(fs)
	e.s = grow(e.s, p.NumParams())
	zero(grad)
	sum := 0.0
	for i, fx := range fs {
		sum += fx
		p.Score(e.s, xs[i*d:(i+1)*d:(i+1)*d])
		w := fx - e.b
		for j, sj := range e.s {
			grad[j] += w * sj
		}
	}
	scale(1/float64(n), grad)
	mean := sum / float64(n)
	switch {
	case e.frozen:
	case e.init:
		e.b = e.Decay*e.b + (1-e.Decay)*mean
	default:
		e.b, e.init = mean, true
	}
}

func init() {
	Register("score+ma", func(o *Options) (Estimator, error) {
		decay, err := o.Float("decay", 0.9)
		if err != nil {
			return nil, err
		}
		return NewScoreMA(decay)
	})
}

// self returns e (see replicator).
func (e *ScoreMA) self() Estimator { return e }
