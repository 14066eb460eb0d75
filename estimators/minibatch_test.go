package estimators_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// rowObjectives is a Minibatch of objectives f_i(x) = Σ_k w_ik x_k² + c_i
// evaluated row by row with f_i.Value: the minibatch path must then be
// bit-identical to the per-example loop.
type rowObjectives struct{ fs []objective.Objective }

type weighted struct {
	w []float64
	c float64
}

func (*weighted) Name() string { return "weighted" }
func (o *weighted) Value(x []float64) float64 {
	s := o.c
	for k, v := range x {
		s += o.w[k] * (v - 0.3) * (v - 0.3)
	}
	return s
}

func (r *rowObjectives) Len() int                            { return len(r.fs) }
func (r *rowObjectives) Objective(i int) objective.Objective { return r.fs[i] }
func (r *rowObjectives) Values(dst, xs []float64, idx []int) {
	d := len(xs) / len(idx)
	for k, i := range idx {
		dst[k] = r.fs[i].Value(xs[k*d : (k+1)*d])
	}
}

// TestMinibatchPathsMatchLoop checks that the minibatch paths of disarm,
// arm and score+loo give, bit for bit, the estimates of the per-example
// loop over Estimate (the fallback), leave the generator in the same
// state, and that estimators without a minibatch path fall back.
func TestMinibatchPathsMatchLoop(t *testing.T) {
	const B, D = 5, 7
	src := rand.New(rand.NewPCG(3, 4))
	var ps []dist.Distribution
	mb := &rowObjectives{}
	for range B {
		l := make([]float64, D)
		w := make([]float64, D)
		for k := range l {
			l[k], w[k] = 2*src.NormFloat64(), src.NormFloat64()
		}
		ps = append(ps, &dist.BernoulliVec{Logits: l})
		mb.fs = append(mb.fs, &weighted{w: w, c: src.NormFloat64()})
	}
	for _, tc := range []struct {
		name    string
		n       int
		batched bool
	}{{"disarm", 1, true}, {"disarm", 3, true}, {"arm", 2, true}, {"score+loo", 2, true}, {"score+loo", 5, true}, {"score", 2, false}} {
		est, err := estimators.New(tc.name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := est.(estimators.MinibatchEstimator); ok != tc.batched {
			t.Fatalf("%s: minibatch path %v, want %v", tc.name, ok, tc.batched)
		}
		P := ps[0].NumParams()
		got, want := make([]float64, B*P), make([]float64, B*P)
		r1, r2 := rand.New(rand.NewPCG(9, 1)), rand.New(rand.NewPCG(9, 1))
		c1, err1 := estimators.EstimateMinibatch(est, got, ps, mb, tc.n, r1)
		var c2 estimators.Cost
		for i, p := range ps {
			c, err := est.Estimate(want[i*P:(i+1)*P], p, mb.Objective(i), tc.n, r2)
			if err != nil {
				t.Fatal(err)
			}
			c2.F += c.F
		}
		if err1 != nil || c1 != c2 {
			t.Fatalf("%s n=%d: cost %+v (%v), want %+v", tc.name, tc.n, c1, err1, c2)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("%s n=%d: component %d: minibatch %v, loop %v", tc.name, tc.n, j, got[j], want[j])
			}
		}
		if r1.Uint64() != r2.Uint64() {
			t.Errorf("%s n=%d: the paths leave the generator in different states", tc.name, tc.n)
		}
	}
}

// TestMinibatchErrors: an unsupported family is an error, not a panic, on
// both paths.
func TestMinibatchErrors(t *testing.T) {
	mb := &rowObjectives{fs: []objective.Objective{&weighted{w: []float64{1}}}}
	ps := []dist.Distribution{dist.Normal{Mu: 0, Sigma: 1}}
	for _, name := range []string{"disarm", "arm"} {
		est, _ := estimators.New(name, nil)
		if _, err := estimators.EstimateMinibatch(est, make([]float64, 2), ps, mb, 1, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%s on a normal family: no error", name)
		}
	}
	est, _ := estimators.New("score+loo", nil)
	bv := []dist.Distribution{&dist.BernoulliVec{Logits: []float64{0.5}}}
	if _, err := estimators.EstimateMinibatch(est, make([]float64, 1), bv, mb, 1, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Errorf("score+loo with n = 1: no error")
	}
}
