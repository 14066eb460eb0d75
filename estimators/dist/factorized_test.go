package dist_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
)

// factorizedFixtures are the dist.Factorized families at parameters away
// from the boundaries.
func factorizedFixtures() []fixture {
	return []fixture{
		{"bernoulli(0.3)", must(dist.NewBernoulli(0.3))},
		{"bernoulli-vec(3)", must(dist.NewBernoulliVec([]float64{0.4, -1.2, 2}))},
		{"bernoulli-tied(3)", must(dist.NewBernoulliTied(3, -0.3))},
		{"categorical(4)", must(dist.NewCategorical([]float64{0.1, -1, 2, 0.5}))},
		{"onehot(4)", must(dist.NewOneHot([]float64{0.1, -1, 2, 0.5}))},
		{"onehot-vec(2×3)", must(dist.NewOneHotVec(3, []float64{0.2, -0.7, 1.1, 0, 2, -1}))},
		{"onehot-vec(3×2)", must(dist.NewOneHotVec(2, []float64{0.5, -0.5, 1, 0.3, -2, 0}))},
	}
}

// TestFactorized checks the block structure of every factorized family
// against its own enumeration and scores, exactly (to rounding, 1e-12):
// the outcome probabilities are the products of the blocks' softmax(ℓ_d)
// at their classes, the score is Σ_d (e_{x_d} − π_d) mapped by
// BlockLogitVJP, SetClass changes one block only and Class reads it back,
// and IndicatorVJP is the derivative of g·x along the indicators (x is
// linear in them).
func TestFactorized(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, fx := range factorizedFixtures() {
		fp, ok := fx.d.(dist.Factorized)
		if !ok {
			t.Errorf("%s is not Factorized", fx.name)
			continue
		}
		fin := fx.d.(dist.Finite)
		D, P := fp.Dim(), fp.NumParams()
		x, y := make([]float64, D), make([]float64, D)
		score, want := make([]float64, P), make([]float64, P)
		g := make([]float64, D)
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		for i := range fin.SupportSize() {
			pr := fin.Outcome(x, i)
			prod := 1.0
			clear(want)
			for d := range fp.Blocks() {
				K := fp.Classes(d)
				pi := make([]float64, K)
				fp.BlockLogits(pi, d)
				m := slices.Max(pi)
				s := 0.0
				for k := range pi {
					pi[k] = math.Exp(pi[k] - m)
					s += pi[k]
				}
				v := make([]float64, K)
				c := fp.Class(x, d)
				for k := range pi {
					pi[k] /= s
					v[k] = -pi[k]
				}
				v[c]++
				prod *= pi[c]
				fp.BlockLogitVJP(want, d, v)

				// SetClass and Class; IndicatorVJP along the indicators.
				iv := make([]float64, K)
				fp.IndicatorVJP(iv, d, g)
				for k := range K {
					copy(y, x)
					fp.SetClass(y, d, k)
					if got := fp.Class(y, d); got != k {
						t.Errorf("%s: outcome %v: SetClass(%d, %d) then Class = %d", fx.name, x, d, k, got)
					}
					for e := range fp.Blocks() {
						if e != d && fp.Class(y, e) != fp.Class(x, e) {
							t.Errorf("%s: SetClass(%d, %d) changed block %d", fx.name, d, k, e)
						}
					}
					if dx, dv := dot(g, y)-dot(g, x), iv[k]-iv[c]; math.Abs(dx-dv) > 1e-12*max(1, math.Abs(dx)) {
						t.Errorf("%s: outcome %v block %d class %d: g·Δx = %v, IndicatorVJP difference %v", fx.name, x, d, k, dx, dv)
					}
				}
			}
			if math.Abs(prod-pr) > 1e-12*pr {
				t.Errorf("%s: outcome %v: Π_d π_d(x_d) = %v, Outcome probability %v", fx.name, x, prod, pr)
			}
			fx.d.Score(score, x)
			for j := range score {
				if math.Abs(score[j]-want[j]) > 1e-12 {
					t.Errorf("%s: outcome %v: score[%d] = %v, from the blocks %v", fx.name, x, j, score[j], want[j])
				}
			}
		}
	}
}

// TestRelaxedLocation checks that LocationVJP is PreactVJP for any noise,
// exactly, on every relaxed family that claims a location relaxation.
func TestRelaxedLocation(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, fx := range append(relaxedFixtures(), factorizedFixtures()[5:]...) {
		r, ok := fx.d.(dist.RelaxedLocation)
		if !ok {
			t.Errorf("%s is not RelaxedLocation", fx.name)
			continue
		}
		D, P := r.Dim(), r.NumParams()
		u, v := make([]float64, D), make([]float64, D)
		for range 5 {
			r.RelaxNoise(u, rng)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			a, b := make([]float64, P), make([]float64, P)
			r.PreactVJP(a, u, v)
			r.LocationVJP(b, v)
			if !slices.Equal(a, b) {
				t.Errorf("%s: PreactVJP %v, LocationVJP %v", fx.name, a, b)
			}
		}
	}
}

// TestOneHotVecMatchesOneHot checks that every method of a OneHotVec is,
// block by block, that of a OneHot with the block's logits (bit for bit;
// CondPreact, which evaluates the same formulas more directly, to a
// relative 1e-12), and its log-probability the sum over the blocks.
func TestOneHotVecMatchesOneHot(t *testing.T) {
	const K = 3
	logits := []float64{0.2, -0.7, 1.1, 0, 2, -1, -0.3, 0.4, 0.9}
	c := must(dist.NewOneHotVec(K, logits))
	D := len(logits) / K
	rng := rand.New(rand.NewPCG(9, 10))
	n := len(logits)
	u, v, z, zt, x, b := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	w, a := make([]float64, n), make([]float64, n)
	for trial := range 10 {
		c.RelaxNoise(u, rng)
		c.RelaxNoise(v, rng)
		for i := range w {
			w[i], a[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		tau := 0.3 + 0.4*float64(trial)
		c.Preact(z, u)
		c.Hard(b, z)
		c.Soft(x, z, tau)
		c.CondPreact(zt, v, b)
		dz, xa, xt, xat := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		dt := c.SoftVJP(dz, x, z, w, tau)
		c.SoftTangents(xa, xt, xat, x, z, a, tau)
		cv, cj := make([]float64, n), make([]float64, n)
		c.CondPreactVJP(cv, v, b, w)
		c.CondPreactJVP(cj, v, b, w)
		mv := make([]float64, n)
		c.MomentsVJP(mv, w, a)
		dtSum := 0.0
		lp := 0.0
		for d := range D {
			s := d * K
			o := must(dist.NewOneHot(logits[s : s+K]))
			bz, bb, bx, bzt := make([]float64, K), make([]float64, K), make([]float64, K), make([]float64, K)
			o.Preact(bz, u[s:s+K])
			o.Hard(bb, bz)
			o.Soft(bx, bz, tau)
			o.CondPreact(bzt, v[s:s+K], bb)
			bdz, bxa, bxt, bxat := make([]float64, K), make([]float64, K), make([]float64, K), make([]float64, K)
			dtSum += o.SoftVJP(bdz, bx, bz, w[s:s+K], tau)
			o.SoftTangents(bxa, bxt, bxat, bx, bz, a[s:s+K], tau)
			bcv, bcj := make([]float64, K), make([]float64, K)
			o.CondPreactVJP(bcv, v[s:s+K], bb, w[s:s+K])
			o.CondPreactJVP(bcj, v[s:s+K], bb, w[s:s+K])
			bmv := make([]float64, K)
			o.MomentsVJP(bmv, w[s:s+K], a[s:s+K])
			lp += o.LogProb(bb)
			for i := range K { // CondPreact evaluates OneHot's formulas directly
				if math.Abs(zt[s+i]-bzt[i]) > 1e-12*max(1, math.Abs(bzt[i])) {
					t.Errorf("trial %d block %d: CondPreact[%d] %v, OneHot %v", trial, d, i, zt[s+i], bzt[i])
				}
			}
			for _, cmp := range []struct {
				name      string
				got, want []float64
			}{
				{"Preact", z[s : s+K], bz}, {"Hard", b[s : s+K], bb}, {"Soft", x[s : s+K], bx},
				{"SoftVJP", dz[s : s+K], bdz},
				{"SoftTangents xa", xa[s : s+K], bxa}, {"SoftTangents xt", xt[s : s+K], bxt}, {"SoftTangents xat", xat[s : s+K], bxat},
				{"CondPreactVJP", cv[s : s+K], bcv}, {"CondPreactJVP", cj[s : s+K], bcj}, {"MomentsVJP", mv[s : s+K], bmv},
			} {
				if !slices.Equal(cmp.got, cmp.want) {
					t.Errorf("trial %d block %d: %s %v, OneHot %v", trial, d, cmp.name, cmp.got, cmp.want)
				}
			}
		}
		if dt != dtSum {
			t.Errorf("trial %d: SoftVJP returns %v, blocks sum to %v", trial, dt, dtSum)
		}
		if got := c.LogProb(b); math.Abs(got-lp) > 1e-13*max(1, math.Abs(lp)) {
			t.Errorf("trial %d: LogProb %v, blocks sum to %v", trial, got, lp)
		}
	}
}

// TestOneHotVecSampling checks Rand's frequencies against the enumerated
// probabilities (z-test at 4 SE per outcome: a false alarm has probability
// about 6e-5 per comparison, 27 comparisons, fixed seed), that the
// probabilities sum to 1 and that Score is x − π.
func TestOneHotVecSampling(t *testing.T) {
	const reps = 40000
	c := must(dist.NewOneHotVec(3, []float64{0.2, -0.7, 1.1, 0, 2, -1, -0.3, 0.4, 0.9}))
	rng := rand.New(rand.NewPCG(11, 12))
	n := c.Dim()
	x := make([]float64, n)
	counts := map[string]float64{}
	key := func(x []float64) string {
		s := make([]byte, len(x))
		for i, v := range x {
			s[i] = '0' + byte(v)
		}
		return string(s)
	}
	for range reps {
		c.Rand(x, rng)
		counts[key(x)]++
	}
	if c.SupportSize() != 27 {
		t.Fatalf("SupportSize %d, want 27", c.SupportSize())
	}
	total := 0.0
	for i := range c.SupportSize() {
		p := c.Outcome(x, i)
		total += p
		got := counts[key(x)] / reps
		if se := math.Sqrt(p * (1 - p) / reps); math.Abs(got-p) > 4*se {
			t.Errorf("P(%v) = %.5f by sampling, %.5f exact (%.1f SE)", x, got, p, (got-p)/se)
		}
		if lp := c.LogProb(x); math.Abs(math.Exp(lp)-p) > 1e-14 {
			t.Errorf("outcome %d: exp LogProb %v, Outcome %v", i, math.Exp(lp), p)
		}
	}
	if math.Abs(total-1) > 1e-12 {
		t.Errorf("probabilities sum to %v", total)
	}
}

// TestOneHotVecRegistry checks the registered family's logits, its
// capabilities, and that large families are valid but not enumerable.
func TestOneHotVecRegistry(t *testing.T) {
	d := must(dist.New("onehot-vec", map[string]float64{"dim": 128, "k": 2, "uniform": 0.01, "seed": 3}))
	c := d.(dist.OneHotVec)
	if c.Blocks() != 128 || c.K != 2 || c.Dim() != 256 || c.NumParams() != 256 {
		t.Fatalf("dim 128, k 2: %d blocks of %d, Dim %d", c.Blocks(), c.K, c.Dim())
	}
	for i, l := range c.Logits {
		if math.Abs(l) >= 0.01 {
			t.Errorf("logit[%d] = %v, want in (−0.01, 0.01)", i, l)
		}
	}
	if !slices.Equal(c.Logits, dist.OneHotVecLogits(128, 2, 0, 0.01, 0, 3)) {
		t.Error("logits differ from OneHotVecLogits")
	}
	if c.SupportSize() != 0 {
		t.Errorf("2^128 outcomes: SupportSize %d, want 0", c.SupportSize())
	}
	n := must(dist.New("onehot-vec", map[string]float64{"dim": 3, "k": 100, "normal": 1, "seed": 1})).(dist.OneHotVec)
	if n.SupportSize() != 1000000 {
		t.Errorf("3 blocks of 100: SupportSize %d", n.SupportSize())
	}
	var _ interface {
		dist.Factorized
		dist.Finite
		dist.Moments
		dist.RelaxedLocation
	} = c
	if _, err := dist.New("onehot-vec", map[string]float64{"k": 1}); err == nil {
		t.Error("k = 1 accepted")
	}
	if _, err := dist.New("onehot-vec", map[string]float64{"dim": 1e6, "k": 10}); err == nil {
		t.Error("D·K = 10⁷ accepted")
	}
	if _, err := c.WithParams(append(slices.Clone(c.Logits[:255]), math.NaN())); err == nil {
		t.Error("NaN logit accepted")
	}
}

// TestOneHotVecNoAllocations checks that the per-sample methods allocate
// nothing.
func TestOneHotVecNoAllocations(t *testing.T) {
	c := must(dist.NewOneHotVec(3, []float64{0.2, -0.7, 1.1, 0, 2, -1}))
	n := c.Dim()
	rng := rand.New(rand.NewPCG(1, 1))
	x, s, u, z, b, dz, y := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, 3)
	if a := testing.AllocsPerRun(50, func() {
		c.Rand(x, rng)
		c.LogProb(x)
		c.Score(s, x)
		c.Outcome(x, 4)
		c.RelaxNoise(u, rng)
		c.Preact(z, u)
		c.Hard(b, z)
		c.Soft(x, z, 0.5)
		c.SoftVJP(dz, x, z, s, 0.5)
		c.CondPreact(z, u, b)
		c.CondPreactVJP(dz, u, b, s)
		c.BlockLogits(y, 1)
		c.BlockLogitVJP(s, 1, y)
		c.IndicatorVJP(y, 1, s)
		c.SetClass(x, 1, c.Class(x, 0))
	}); a != 0 {
		t.Errorf("%v allocations per call", a)
	}
}

// TestOneHotVecCondPreactExtreme checks the conditional draw where a
// class probability underflows (logits −800 and 700): it matches OneHot's
// to a relative 1e-12, is finite, and maps back to the outcome.
func TestOneHotVecCondPreactExtreme(t *testing.T) {
	logits := []float64{0, -800, 2, 700, 0, -3}
	c := must(dist.NewOneHotVec(3, logits))
	rng := rand.New(rand.NewPCG(13, 14))
	n := c.Dim()
	u, v, z, zt, b, bt := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for trial := range 50 {
		c.RelaxNoise(u, rng)
		c.RelaxNoise(v, rng)
		c.Preact(z, u)
		c.Hard(b, z)
		if trial%2 == 1 { // condition on the improbable classes too
			c.SetClass(b, 0, 1)
			c.SetClass(b, 1, 1)
		}
		c.CondPreact(zt, v, b)
		c.Hard(bt, zt)
		if !slices.Equal(b, bt) {
			t.Fatalf("trial %d: H(z̃) = %v for b = %v (z̃ = %v)", trial, bt, b, zt)
		}
		for d := range 2 {
			o := must(dist.NewOneHot(logits[3*d : 3*d+3]))
			w := make([]float64, 3)
			o.CondPreact(w, v[3*d:3*d+3], b[3*d:3*d+3])
			for i, want := range w {
				got := zt[3*d+i]
				if math.IsNaN(got) || math.IsInf(got, 0) || math.Abs(got-want) > 1e-12*max(1, math.Abs(want)) {
					t.Errorf("trial %d block %d: z̃[%d] = %v, OneHot %v", trial, d, i, got, want)
				}
			}
		}
	}
}
