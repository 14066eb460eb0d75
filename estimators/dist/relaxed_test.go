package dist_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gradbench/gradbench/estimators/dist"
)

// relaxedFixtures are the relaxed families at parameters away from the
// boundaries.
func relaxedFixtures() []fixture {
	return []fixture{
		{"bernoulli(0.7)", must(dist.NewBernoulli(0.7))},
		{"bernoulli-vec(3)", must(dist.NewBernoulliVec([]float64{0.4, -1.2, 2}))},
		{"bernoulli-tied(3)", must(dist.NewBernoulliTied(3, -0.3))},
		{"onehot(4)", must(dist.NewOneHot([]float64{0.1, -1, 2, 0.5}))},
	}
}

func near(got, want float64) bool { return math.Abs(got-want) <= fdTol*max(1, math.Abs(want)) }

// fdParams returns the Jacobian-vector product (∂g/∂θ) w of g(θ) (len Dim)
// by central differences along w.
func fdParams(t *testing.T, d dist.Distribution, w []float64, g func(p dist.Distribution, out []float64)) []float64 {
	t.Helper()
	theta := d.Params(nil)
	out := make([]float64, d.Dim())
	res := make([]float64, d.Dim())
	for i := range res {
		res[i] = fd.Derivative(func(h float64) float64 {
			th := make([]float64, len(theta))
			for j := range th {
				th[j] = theta[j] + h*w[j]
			}
			q, err := d.WithParams(th)
			if err != nil {
				t.Fatal(err)
			}
			g(q, out)
			return out[i]
		}, 0, fdSettings)
	}
	return res
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestPreactDerivatives checks PreactJVP, PreactVJP, CondPreactJVP and
// CondPreactVJP against central differences of Preact and CondPreact in θ,
// and that the VJP is the transpose of the JVP.
func TestPreactDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, fx := range relaxedFixtures() {
		r := fx.d.(dist.RelaxedConditional)
		D, P := r.Dim(), r.NumParams()
		u, v, z, b := make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)
		for trial := range 6 {
			r.RelaxNoise(u, rng)
			r.RelaxNoise(v, rng)
			r.Preact(z, u)
			r.Hard(b, z)
			w := make([]float64, P)
			a := make([]float64, D)
			for j := range w {
				w[j] = rng.NormFloat64()
			}
			for j := range a {
				a[j] = rng.NormFloat64()
			}
			for _, c := range []struct {
				name string
				g    func(q dist.Distribution, out []float64)
				jvp  func(dst []float64)
				vjp  func(dst []float64)
			}{
				{"preact", func(q dist.Distribution, out []float64) { q.(dist.Relaxed).Preact(out, u) },
					func(dst []float64) { r.PreactJVP(dst, u, w) }, func(dst []float64) { r.PreactVJP(dst, u, a) }},
				{"cond", func(q dist.Distribution, out []float64) { q.(dist.RelaxedConditional).CondPreact(out, v, b) },
					func(dst []float64) { r.CondPreactJVP(dst, v, b, w) }, func(dst []float64) { r.CondPreactVJP(dst, v, b, a) }},
			} {
				want := fdParams(t, fx.d, w, c.g)
				got := make([]float64, D)
				c.jvp(got)
				for i := range got {
					if !near(got[i], want[i]) {
						t.Errorf("%s trial %d: %s JVP[%d] = %.10g, finite differences %.10g", fx.name, trial, c.name, i, got[i], want[i])
					}
				}
				vj := make([]float64, P)
				c.vjp(vj)
				if x, y := dot(vj, w), dot(a, got); !near(x, y) {
					t.Errorf("%s trial %d: %s ⟨VJP(a), w⟩ = %.10g, ⟨a, JVP(w)⟩ = %.10g", fx.name, trial, c.name, x, y)
				}
			}
		}
	}
}

// TestSoftDerivatives checks SoftVJP and SoftTangents against central
// differences of Soft in z and τ.
func TestSoftDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, fx := range relaxedFixtures() {
		r := fx.d.(dist.RelaxedConditional)
		D := r.Dim()
		u, z, x := make([]float64, D), make([]float64, D), make([]float64, D)
		for _, tau := range []float64{0.3, 1, 2.5} {
			r.RelaxNoise(u, rng)
			r.Preact(z, u)
			r.Soft(x, z, tau)
			a, vv := make([]float64, D), make([]float64, D)
			for i := range a {
				a[i], vv[i] = rng.NormFloat64(), rng.NormFloat64()
			}
			soft := func(h, ht float64, i int) float64 {
				zz, xx := make([]float64, D), make([]float64, D)
				for j := range zz {
					zz[j] = z[j] + h*a[j]
				}
				r.Soft(xx, zz, tau+ht)
				return xx[i]
			}
			xa, xt, xat := make([]float64, D), make([]float64, D), make([]float64, D)
			r.SoftTangents(xa, xt, xat, x, z, a, tau)
			dz := make([]float64, D)
			dtau := r.SoftVJP(dz, x, z, vv, tau)
			wantDtau := 0.0
			for i := range D {
				wa := fd.Derivative(func(h float64) float64 { return soft(h, 0, i) }, 0, fdSettings)
				wt := fd.Derivative(func(h float64) float64 { return soft(0, h, i) }, 0, fdSettings)
				wat := fd.Derivative(func(h float64) float64 {
					return fd.Derivative(func(g float64) float64 { return soft(g, h, i) }, 0, fdSettings)
				}, 0, &fd.Settings{Formula: fd.Central, Step: 1e-4})
				wantDtau += vv[i] * wt
				if !near(xa[i], wa) || !near(xt[i], wt) || math.Abs(xat[i]-wat) > 1e-4*max(1, math.Abs(wat)) {
					t.Errorf("%s τ=%g: tangents[%d] = (%.8g, %.8g, %.8g), finite differences (%.8g, %.8g, %.8g)",
						fx.name, tau, i, xa[i], xt[i], xat[i], wa, wt, wat)
				}
			}
			if !near(dtau, wantDtau) {
				t.Errorf("%s τ=%g: SoftVJP τ part %.10g, want %.10g", fx.name, tau, dtau, wantDtau)
			}
			if x, y := dot(dz, a), dot(vv, xa); !near(x, y) {
				t.Errorf("%s τ=%g: ⟨SoftVJP(v), a⟩ = %.10g, ⟨v, (∂x/∂z)a⟩ = %.10g", fx.name, tau, x, y)
			}
		}
	}
}

// TestRelaxedSampling checks that H(z(θ, u)) has distribution p (by
// frequencies against enumeration), that the conditional sample always maps
// to its outcome, and that z̃ given b has the mean of z given b (Monte Carlo,
// by rejection). Each comparison is a two-sample z-test at 4 SE: a false
// alarm has probability about 6e-5 per comparison under the normal
// approximation, with fixed seeds.
func TestRelaxedSampling(t *testing.T) {
	const reps = 40000
	for _, fx := range relaxedFixtures() {
		r := fx.d.(dist.RelaxedConditional)
		fin := fx.d.(dist.Finite)
		D := r.Dim()
		rng := rand.New(rand.NewPCG(5, 6))
		u, v, z, zt, b, bt := make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)
		type acc struct{ n, sumZ, sumZ2, sumT, sumT2 []float64 }
		counts := map[string]float64{}
		stats := map[string]*acc{}
		key := func(b []float64) string {
			s := make([]byte, len(b))
			for i, x := range b {
				s[i] = '0' + byte(x)
			}
			return string(s)
		}
		for range reps {
			r.RelaxNoise(u, rng)
			r.Preact(z, u)
			r.Hard(b, z)
			r.RelaxNoise(v, rng)
			r.CondPreact(zt, v, b)
			r.Hard(bt, zt)
			k := key(b)
			if key(bt) != k {
				t.Fatalf("%s: H(z̃) = %v for b = %v", fx.name, bt, b)
			}
			counts[k]++
			a := stats[k]
			if a == nil {
				a = &acc{make([]float64, 1), make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)}
				stats[k] = a
			}
			a.n[0]++
			for i := range D {
				a.sumZ[i] += z[i]
				a.sumZ2[i] += z[i] * z[i]
				a.sumT[i] += zt[i]
				a.sumT2[i] += zt[i] * zt[i]
			}
		}
		x := make([]float64, D)
		for i := range fin.SupportSize() {
			p := fin.Outcome(x, i)
			got := counts[key(x)] / reps
			if se := math.Sqrt(p * (1 - p) / reps); math.Abs(got-p) > 4*se+1e-12 {
				t.Errorf("%s: P(%v) = %.5f by sampling, %.5f exact (%.1f SE)", fx.name, x, got, p, (got-p)/se)
			}
		}
		for k, a := range stats {
			n := a.n[0]
			if n < 100 {
				continue
			}
			for i := range D {
				mz, mt := a.sumZ[i]/n, a.sumT[i]/n
				vz, vt := a.sumZ2[i]/n-mz*mz, a.sumT2[i]/n-mt*mt
				se := math.Sqrt((vz + vt) / n)
				if math.Abs(mz-mt) > 4*se {
					t.Errorf("%s: b = %s: E[z_%d | b] = %.4f, E[z̃_%d] = %.4f (%.1f SE)", fx.name, k, i, mz, i, mt, (mz-mt)/se)
				}
			}
		}
	}
}

// TestDiscreteScoresAndMoments checks Score against differences of
// LogProb, MomentsVJP against differences of Mean and Variance, and that
// the enumerated probabilities sum to 1.
func TestDiscreteScoresAndMoments(t *testing.T) {
	for _, fx := range relaxedFixtures()[1:] {
		d := fx.d
		fin := d.(dist.Finite)
		mo := d.(dist.Moments)
		D, P := d.Dim(), d.NumParams()
		theta := d.Params(nil)
		x := make([]float64, D)
		s := make([]float64, P)
		total := 0.0
		at := func(j int, h float64) dist.Distribution {
			th := append([]float64(nil), theta...)
			th[j] += h
			return must(d.WithParams(th))
		}
		for i := range fin.SupportSize() {
			total += fin.Outcome(x, i)
			d.Score(s, x)
			for j := range P {
				want := fd.Derivative(func(h float64) float64 { return at(j, h).LogProb(x) }, 0, fdSettings)
				if !near(s[j], want) {
					t.Errorf("%s: score[%d] at %v = %.10g, finite differences %.10g", fx.name, j, x, s[j], want)
				}
			}
		}
		if math.Abs(total-1) > 1e-12 {
			t.Errorf("%s: probabilities sum to %v", fx.name, total)
		}
		a, b := make([]float64, D), make([]float64, D)
		for i := range a {
			a[i], b[i] = 0.3*float64(i)-0.5, 1-0.2*float64(i)
		}
		got := make([]float64, P)
		mo.MomentsVJP(got, a, b)
		for j := range P {
			want := fd.Derivative(func(h float64) float64 {
				m := at(j, h).(dist.Moments)
				mean, vr := make([]float64, D), make([]float64, D)
				m.Mean(mean)
				m.Variance(vr)
				return dot(a, mean) + dot(b, vr)
			}, 0, fdSettings)
			if !near(got[j], want) {
				t.Errorf("%s: MomentsVJP[%d] = %.10g, finite differences %.10g", fx.name, j, got[j], want)
			}
		}
	}
}

func TestDiscreteRegistry(t *testing.T) {
	for _, c := range []struct {
		name   string
		params map[string]float64
		ok     bool
		np     int
	}{
		{"bernoulli-vec", map[string]float64{"dim": 3, "logit": 0.5, "spread": 1}, true, 3},
		{"bernoulli-vec", map[string]float64{"dim": 3, "tied": 1}, true, 1},
		{"bernoulli-vec", map[string]float64{"dim": 21}, false, 0},
		{"bernoulli-vec", map[string]float64{"dim": 3, "tied": 1, "spread": 1}, false, 0},
		{"bernoulli-vec", map[string]float64{"tied": 0.5}, false, 0},
		{"onehot", map[string]float64{"k": 10, "spread": 2}, true, 10},
		{"onehot", map[string]float64{"k": 1}, false, 0},
	} {
		d, err := dist.New(c.name, c.params)
		if c.ok != (err == nil) {
			t.Errorf("New(%s, %v): error %v, want ok = %v", c.name, c.params, err, c.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, dist.ErrParam) {
				t.Errorf("New(%s, %v): error %v does not wrap ErrParam", c.name, c.params, err)
			}
			continue
		}
		if d.NumParams() != c.np {
			t.Errorf("New(%s, %v): %d parameters, want %d", c.name, c.params, d.NumParams(), c.np)
		}
	}
	tied := must(dist.NewBernoulliTied(3, 0.2))
	if _, err := tied.WithParams([]float64{math.NaN()}); err == nil {
		t.Error("tied WithParams(NaN) succeeded")
	}
	var _ dist.Binary = tied
	var _ dist.Binary = dist.Bernoulli{}
	var _ dist.RelaxedConditional = dist.Bernoulli{}
}

// TestOneHotMatchesCategorical checks that the one-hot family enumerates
// the same probabilities and scores as the categorical one.
func TestOneHotMatchesCategorical(t *testing.T) {
	l := []float64{0.3, -2, 1.5}
	c, o := must(dist.NewCategorical(l)), must(dist.NewOneHot(l))
	xi, xo := make([]float64, 1), make([]float64, 3)
	si, so := make([]float64, 3), make([]float64, 3)
	for i := range 3 {
		pc, po := c.Outcome(xi, i), o.Outcome(xo, i)
		c.Score(si, xi)
		o.Score(so, xo)
		if math.Abs(pc-po) > 1e-15 || math.Abs(c.LogProb(xi)-o.LogProb(xo)) > 1e-14 {
			t.Errorf("class %d: categorical %v, onehot %v", i, pc, po)
		}
		for j := range si {
			if math.Abs(si[j]-so[j]) > 1e-15 {
				t.Errorf("class %d: scores differ: %v, %v", i, si, so)
			}
		}
	}
	if o.LogProb([]float64{1, 1, 0}) != math.Inf(-1) {
		t.Error("LogProb of a non-one-hot vector is not −Inf")
	}
}

func TestRelaxedNoAllocations(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, fx := range relaxedFixtures() {
		r := fx.d.(dist.RelaxedConditional)
		D, P := r.Dim(), r.NumParams()
		u, z, x, b, g, w := make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, P), make([]float64, D)
		a := testing.AllocsPerRun(20, func() {
			r.RelaxNoise(u, rng)
			r.Preact(z, u)
			r.Hard(b, z)
			r.Soft(x, z, 0.5)
			r.SoftVJP(w, x, z, x, 0.5)
			r.CondPreact(z, u, b)
			r.CondPreactVJP(g, u, b, w)
			r.CondPreactJVP(w, u, b, g)
			r.Score(g, b)
		})
		if a != 0 {
			t.Errorf("%s: %v allocations per sample", fx.name, a)
		}
	}
}

// A vector beyond MaxBernoulliDim (a model's latent layer) is a valid
// family, but its support is not enumerable: SupportSize is 0, so exact
// references refuse it instead of overflowing.
func TestBernoulliVecLarge(t *testing.T) {
	logits := make([]float64, 200)
	b, err := dist.NewBernoulliVec(logits)
	if err != nil {
		t.Fatal(err)
	}
	if n := b.SupportSize(); n != 0 {
		t.Errorf("SupportSize = %d for D = 200, want 0", n)
	}
	if n := (dist.BernoulliVec{Logits: logits[:dist.MaxBernoulliDim]}).SupportSize(); n != 1<<dist.MaxBernoulliDim {
		t.Errorf("SupportSize = %d for D = %d, want %d", n, dist.MaxBernoulliDim, 1<<dist.MaxBernoulliDim)
	}
	if _, err := dist.NewBernoulliVec(nil); err == nil {
		t.Error("dist.NewBernoulliVec(nil): no error")
	}
}
