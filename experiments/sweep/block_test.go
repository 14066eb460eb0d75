package sweep

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/stats"
)

// replay is an estimator that writes prepared estimates in turn.
type replay struct {
	vals [][]float64
	i    int
}

func (*replay) Info() estimators.Info { return estimators.Info{Name: "replay"} }

func (r *replay) Estimate(grad []float64, _ dist.Distribution, _ objective.Objective, _ int, _ *rand.Rand) (estimators.Cost, error) {
	copy(grad, r.vals[r.i%len(r.vals)])
	r.i++
	return estimators.Cost{F: 2, Grad: 1}, nil
}

// TestAccumulatorNonfinite checks that an estimate with any non-finite
// component is counted and excluded from every component, in chunks with
// and without such estimates, against stats.Moments fed the finite
// estimates directly.
func TestAccumulatorNonfinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const count = 1000 // about 4 chunks
	vals := make([][]float64, count)
	var want [2]stats.Moments
	bad := 0
	for i := range vals {
		v := []float64{5 + rng.NormFloat64(), 1e6 + 1e3*rng.ExpFloat64()}
		switch {
		case i == 0: // the first estimate, which would be the shift
			v[1] = math.NaN()
		case i > 300 && i%97 == 0:
			v[0] = math.Inf(1 - 2*(i%2))
		}
		vals[i] = v
		if math.IsNaN(v[0]+v[1]) || math.IsInf(v[0]+v[1], 0) {
			bad++
			continue
		}
		want[0].Add(v[0])
		want[1].Add(v[1])
	}
	p, _ := dist.NewNormal(0, 1)
	acc := newAccumulator(2)
	if err := acc.run(&replay{vals: vals}, p, objective.Quadratic{}, 1, count, nil); err != nil {
		t.Fatal(err)
	}
	var got [2]stats.Moments
	if err := acc.moments(got[:]); err != nil {
		t.Fatal(err)
	}
	if acc.nonfinite != bad || acc.evalsF != 2*count || acc.evalsGrad != count {
		t.Errorf("nonfinite %d (want %d), evals %d, %d", acc.nonfinite, bad, acc.evalsF, acc.evalsGrad)
	}
	for j := range got {
		if got[j].N() != want[j].N() || got[j].NonFinite() != bad {
			t.Errorf("component %d: n %d nonfinite %d, want %d, %d", j, got[j].N(), got[j].NonFinite(), want[j].N(), bad)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"mean", got[j].Mean(), want[j].Mean()},
			{"variance", got[j].Variance(), want[j].Variance()},
			{"kurtosis", got[j].Kurtosis(), want[j].Kurtosis()},
		} {
			// Shifted sums and Welford's updates round differently.
			if math.Abs(c.got-c.want) > 1e-9*math.Abs(c.want) {
				t.Errorf("component %d %s: %v, want %v", j, c.name, c.got, c.want)
			}
		}
	}
}

func TestStreamID(t *testing.T) {
	// Fixed values: a change would change every result.
	if got, want := streamID("", 0), uint64(0xa8c7f832281a39c5); got != want {
		t.Errorf("streamID(\"\", 0) = %#x, want %#x", got, want)
	}
	if streamID("a", 1) == streamID("a", 2) || streamID("a", 1) == streamID("b", 1) {
		t.Errorf("streamID collides")
	}
}
