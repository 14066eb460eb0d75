package estimators

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// ScoreOptimal is the score-function estimator with the per-component
// variance-minimizing constant baseline
//
//	b_j = E[f s_j²] / E[s_j²],  s = ∇θ log p(x;θ),
//
// which minimizes Var[(f − b_j) s_j] over constants b_j.
//
// The expectations are estimated so that the baseline of each sample is
// independent of it, keeping the estimate unbiased at every n: the baseline
// of sample i uses running sums of f s_j² and s_j² over the samples of the
// earlier estimates plus the other samples of the current batch. With no
// such samples (the first estimate after Reset with n = 1) the baseline is 0.
// The running sums are multiplied by Decay before each batch is added
// (Decay = 1 keeps them all; a smaller Decay forgets samples drawn at old θ
// during optimization).
//
// ScoreOptimal implements Stateful; its state is the running sums and the
// frozen flag of a Snapshot.
type ScoreOptimal struct {
	// Decay is the weight of the earlier sums, in (0, 1].
	Decay float64

	pastNum, pastDen []float64
	frozen           bool      // a Snapshot: the running sums are never updated
	sumNum, sumDen   []float64 // the batch's sums
	s                []float64 // n×P scores
	smp              samples
	loo              looRatios
}

// NewScoreOptimal returns a score+optimal estimator, or an error if decay is
// not in (0, 1].
func NewScoreOptimal(decay float64) (*ScoreOptimal, error) {
	if !(decay > 0 && decay <= 1) {
		return nil, fmt.Errorf("option decay = %v: want 0 < decay ≤ 1", decay)
	}
	return &ScoreOptimal{Decay: decay}, nil
}

// Info describes the estimator.
func (*ScoreOptimal) Info() Info {
	return Info{
		Name:     "score+optimal",
		Summary:  "REINFORCE with per-component baseline E[f s²]/E[s²] from independent samples",
		Unbiased: true,
		Cost:     "1 f",
		Stateful: true,
	}
}

// Reset forgets the running sums.
func (e *ScoreOptimal) Reset() {
	e.pastNum, e.pastDen = e.pastNum[:0], e.pastDen[:0]
}

// Snapshot returns a copy with the same running sums that never updates
// them.
func (e *ScoreOptimal) Snapshot() Estimator {
	return &ScoreOptimal{Decay: e.Decay, pastNum: slices.Clone(e.pastNum), pastDen: slices.Clone(e.pastDen), frozen: true}
}

// MarshalBinary encodes the running sums and the frozen flag (and Decay,
// which UnmarshalBinary checks).
func (e *ScoreOptimal) MarshalBinary() ([]byte, error) {
	w := newStateEncoder("score+optimal")
	w.float(e.Decay)
	w.floats(e.pastNum)
	w.floats(e.pastDen)
	w.bool(e.frozen)
	return w.bytes(), nil
}

// UnmarshalBinary restores a state encoded by MarshalBinary of a
// score+optimal estimator with the same Decay.
func (e *ScoreOptimal) UnmarshalBinary(data []byte) error {
	r := newStateDecoder("score+optimal", data)
	r.option("decay", e.Decay)
	num, den, frozen := r.floats(), r.floats(), r.bool()
	if len(num) != len(den) {
		r.invalid("%d numerator sums, %d denominator sums", len(num), len(den))
	}
	if err := r.finish(); err != nil {
		return err
	}
	e.pastNum, e.pastDen, e.frozen = num, den, frozen
	return nil
}

// Estimate writes the n-sample estimate into grad, then adds the batch to the
// running sums (unless e is a Snapshot).
func (e *ScoreOptimal) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
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
// running sums take in each replication after its estimate, as after each
// Estimate.
func (e *ScoreOptimal) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	if n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	return replicateSamples(e, &e.smp, dst, p, f, n, R, rng), nil
}

func (e *ScoreOptimal) fromSamples(grad []float64, p dist.Distribution, xs, fs []float64) {
	np, d, n := p.NumParams(), p.Dim(), len(fs)
	if len(e.pastNum) != np {
		// First call, after Reset, or a family with another parameter count.
		e.pastNum, e.pastDen = grow(e.pastNum, np), grow(e.pastDen, np)
		zero(e.pastNum)
		zero(e.pastDen)
	}
	e.s = grow(e.s, n*np)
	e.loo.resize(n, np)
	e.sumNum, e.sumDen = grow(e.sumNum, np), grow(e.sumDen, np)
	zero(e.sumNum)
	zero(e.sumDen)
	for i, fx := range fs {
		s := e.s[i*np : (i+1)*np]
		p.Score(s, xs[i*d:(i+1)*d:(i+1)*d])
		num, den := e.loo.num[i*np:(i+1)*np], e.loo.den[i*np:(i+1)*np]
		for j, sj := range s {
			s2 := sj * sj
			num[j] = fx * s2
			den[j] = s2
			e.sumNum[j] += fx * s2
			e.sumDen[j] += s2
		}
	}
	b := e.loo.ratios(n, np, e.pastNum, e.pastDen, 0)
	zero(grad)
	for i, fx := range fs {
		s, bi := e.s[i*np:(i+1)*np], b[i*np:(i+1)*np]
		for j, sj := range s {
			grad[j] += (fx - bi[j]) * sj
		}
	}
	scale(1/float64(n), grad)
	if e.frozen {
		return
	}
	for j := range np {
		e.pastNum[j] = e.Decay*e.pastNum[j] + e.sumNum[j]
		e.pastDen[j] = e.Decay*e.pastDen[j] + e.sumDen[j]
	}
}

func init() {
	Register("score+optimal", func(o *Options) (Estimator, error) {
		decay, err := o.Float("decay", 1)
		if err != nil {
			return nil, err
		}
		return NewScoreOptimal(decay)
	})
}

// self returns e (see replicator).
func (e *ScoreOptimal) self() Estimator { return e }
