package estimatortest_test

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/estimatortest"
	"github.com/gradbench/gradbench/estimators/objective"
)

// maState is the state of faultyMA: a moving-average baseline.
type maState struct {
	b   float64
	set bool
}

// faultyMA is a score-function estimator with a moving-average baseline
// (decay 0.9) that implements estimators.Stateful with one deliberate
// defect, used to show that the kit's state checks catch each kind.
type faultyMA struct {
	name, fault string
	st          *maState
	frozen      bool
	x, s        []float64
}

func newFaultyMA(name, fault string) *faultyMA {
	return &faultyMA{name: name, fault: fault, st: &maState{}}
}

func (e *faultyMA) Info() estimators.Info {
	return estimators.Info{Name: e.name, Unbiased: true, Cost: "1 f", Stateful: e.fault != "stateful-undeclared"}
}

func (e *faultyMA) Reset() { *e.st = maState{} }

func (e *faultyMA) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	if n < 1 {
		return estimators.Cost{}, estimators.Check(e.Info(), p, f, n)
	}
	if len(e.x) != p.Dim() || len(e.s) != p.NumParams() {
		e.x, e.s = make([]float64, p.Dim()), make([]float64, p.NumParams())
	}
	clear(grad)
	sum := 0.0
	for range n {
		p.Rand(e.x, rng)
		fx := f.Value(e.x)
		sum += fx
		p.Score(e.s, e.x)
		for j, sj := range e.s {
			grad[j] += (fx - e.st.b) * sj / float64(n)
		}
	}
	switch mean := sum / float64(n); {
	case e.frozen:
	case e.st.set:
		e.st.b = 0.9*e.st.b + 0.1*mean
	default:
		*e.st = maState{mean, true}
	}
	return estimators.Cost{F: n}, nil
}

func (e *faultyMA) Snapshot() estimators.Estimator {
	c := newFaultyMA(e.name, e.fault)
	c.frozen = true
	switch e.fault {
	case "snapshot-thaws":
		c.frozen = false
		*c.st = *e.st
	case "snapshot-shares":
		c.st = e.st
	case "snapshot-stale":
	default:
		*c.st = *e.st
	}
	return c
}

func (e *faultyMA) MarshalBinary() ([]byte, error) {
	data := binary.LittleEndian.AppendUint64(nil, math.Float64bits(e.st.b))
	flag := func(v bool) byte {
		if v {
			return 1
		}
		return 0
	}
	set := flag(e.st.set)
	if e.fault == "marshal-partial" {
		set = 0
	}
	return append(data, set, flag(e.frozen)), nil
}

func (e *faultyMA) UnmarshalBinary(data []byte) error {
	switch e.fault {
	case "unmarshal-panics":
		e.st.b = math.Float64frombits(binary.LittleEndian.Uint64(data))
	case "unmarshal-accepts":
		if len(data) < 10 {
			return nil
		}
	case "unmarshal-partial":
		if len(data) >= 8 {
			e.st.b = math.Float64frombits(binary.LittleEndian.Uint64(data))
		}
	}
	if len(data) != 10 || data[8] > 1 || data[9] > 1 {
		return errors.New("faulty state: want 10 bytes")
	}
	e.st.b, e.st.set, e.frozen = math.Float64frombits(binary.LittleEndian.Uint64(data)), data[8] == 1, data[9] == 1
	return nil
}

// faultyPlain declares itself stateful but implements only Resetter.
type faultyPlain struct{ e *faultyMA }

func (w faultyPlain) Info() estimators.Info { return w.e.Info() }
func (w faultyPlain) Reset()                { w.e.Reset() }
func (w faultyPlain) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	return w.e.Estimate(grad, p, f, n, rng)
}

// stateFaults maps each fault of faultyMA to the message the kit must report
// for it.
var stateFaults = map[string]string{
	"stateful-undeclared":   "implements estimators.Stateful but Info().Stateful is false",
	"stateful-no-interface": "does not implement estimators.Stateful",
	"snapshot-thaws":        "it is not frozen",
	"snapshot-shares":       "shares the original's state",
	"snapshot-stale":        "the snapshot is not in the original's state",
	"marshal-partial":       "differ from the original's on the same random stream",
	"unmarshal-panics":      "UnmarshalBinary of truncated data panics",
	"unmarshal-accepts":     "accepts the state truncated",
	"unmarshal-partial":     "changed the estimator's state",
}

func init() {
	for fault := range stateFaults {
		name := "faulty-" + fault
		estimators.Register(name, func(*estimators.Options) (estimators.Estimator, error) {
			e := newFaultyMA(name, fault)
			if fault == "stateful-no-interface" {
				return faultyPlain{e}, nil
			}
			return e, nil
		})
	}
	estimators.Register("faulty-stateful-none", func(*estimators.Options) (estimators.Estimator, error) {
		return newFaultyMA("faulty-stateful-none", ""), nil
	})
}

// TestKitCatchesStateFaults checks that the kit fails each faulty stateful
// estimator with the expected message.
func TestKitCatchesStateFaults(t *testing.T) { catchFaults(t, stateFaults) }

// TestCorrectStatefulEstimatorPasses checks that the kit passes faultyMA
// without a fault.
func TestCorrectStatefulEstimatorPasses(t *testing.T) {
	estimatortest.Check(t, "faulty-stateful-none")
}
