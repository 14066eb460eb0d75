package blr

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/optim"
	"github.com/gradbench/gradbench/experiments/stats"
)

const dataFile = "../../data/breast-cancer/breast_cancer.csv"

var _ objective.Curved = (*Likelihood)(nil)

func load(t *testing.T) *Data {
	t.Helper()
	d, err := LoadCSV(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoadCSV(t *testing.T) {
	t.Parallel()
	d := load(t)
	if d.N != 569 || d.D != 31 || len(d.X) != 569*31 {
		t.Fatalf("N = %d, D = %d", d.N, d.D)
	}
	pos := 0
	for _, y := range d.Y {
		if y == 1 {
			pos++
		}
	}
	if pos != 357 { // 357 benign, 212 malignant
		t.Fatalf("%d benign", pos)
	}
	for j := range d.D - 1 {
		var m, s float64
		for i := range d.N {
			m += d.Row(i)[j]
			s += d.Row(i)[j] * d.Row(i)[j]
		}
		if math.Abs(m/569) > 1e-9 || math.Abs(s/569-1) > 1e-9 {
			t.Fatalf("column %d: mean %v, second moment %v", j, m/569, s/569)
		}
	}
	if d.Row(3)[30] != 1 {
		t.Fatal("no bias column")
	}
}

func TestLoadCSVErrors(t *testing.T) {
	t.Parallel()
	if _, err := LoadCSV("no/such/file.csv"); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestLikelihoodDerivatives(t *testing.T) {
	t.Parallel()
	d := load(t)
	rng := rand.New(rand.NewPCG(1, 2))
	l := &Likelihood{Data: d, Batch: []int{0, 5, 100, 300, 568}, Scale: 569.0 / 5}
	w := make([]float64, d.D)
	for j := range w {
		w[j] = 0.3 * rng.NormFloat64()
	}
	g := make([]float64, d.D)
	if v := l.Grad(g, w); v != l.Value(w) {
		t.Fatalf("Grad returns %v, Value %v", v, l.Value(w))
	}
	want := fd.Gradient(nil, l.Value, w, &fd.Settings{Formula: fd.Central})
	for j := range g {
		if math.Abs(g[j]-want[j]) > 1e-5*(1+math.Abs(want[j])) {
			t.Fatalf("grad[%d] = %v, fd %v", j, g[j], want[j])
		}
	}
	h := make([]float64, d.D)
	l.HessDiag(h, w)
	for j := range h {
		wantH := fd.Derivative(func(x float64) float64 {
			old := w[j]
			w[j] = x
			defer func() { w[j] = old }()
			gg := make([]float64, d.D)
			l.Grad(gg, w)
			return gg[j]
		}, w[j], &fd.Settings{Formula: fd.Central})
		if math.Abs(h[j]-wantH) > 1e-5*(1+math.Abs(wantH)) {
			t.Fatalf("hess[%d] = %v, fd %v", j, h[j], wantH)
		}
	}
	// The full Hessian: its diagonal is HessDiag's, and every row is the
	// finite-difference derivative of the gradient (fd.Jacobian of Grad).
	D := d.D
	full := make([]float64, D*D)
	l.Hessian(full, w)
	jac := mat.NewDense(D, D, nil)
	fd.Jacobian(jac, func(dst, x []float64) { l.Grad(dst, x) }, w, &fd.JacobianSettings{Formula: fd.Central})
	for r := range D {
		if full[r*D+r] != h[r] {
			t.Fatalf("Hessian diagonal %d: %v, HessDiag %v", r, full[r*D+r], h[r])
		}
		for k := range D {
			if want := jac.At(r, k); math.Abs(full[r*D+k]-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("Hessian[%d][%d] = %v, fd %v", r, k, full[r*D+k], want)
			}
		}
	}
}

func TestKLGradient(t *testing.T) {
	t.Parallel()
	mu, s := []float64{0.5, -1, 2}, []float64{0.3, 1, 2.5}
	dmu, dls := make([]float64, 3), make([]float64, 3)
	KL(dmu, dls, mu, s)
	x := append(append([]float64(nil), mu...), math.Log(0.3), 0, math.Log(2.5))
	want := fd.Gradient(nil, func(p []float64) float64 {
		ss := []float64{math.Exp(p[3]), math.Exp(p[4]), math.Exp(p[5])}
		return KL(nil, nil, p[:3], ss)
	}, x, &fd.Settings{Formula: fd.Central})
	got := append(dmu, dls...)
	for j := range got {
		if math.Abs(got[j]-want[j]) > 1e-6*(1+math.Abs(want[j])) {
			t.Fatalf("KL grad[%d] = %v, fd %v", j, got[j], want[j])
		}
	}
	if KL(nil, nil, []float64{0}, []float64{1}) != 0 {
		t.Fatal("KL(N(0,1) ‖ N(0,1)) ≠ 0")
	}
}

// TestTrainImproves runs 300 pathwise SGD steps and requires the ELBO to rise
// well above its starting value and the accuracy to be high (logistic
// regression on this data set reaches ≈ 98% training accuracy).
func TestTrainImproves(t *testing.T) {
	t.Parallel()
	d := load(t)
	tr, err := NewTrainer(d, 32, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	est, _ := estimators.New("pathwise", nil)
	rng := rand.New(rand.NewPCG(3, 4))
	mu, s := tr.MuS()
	e0, _, _ := Evaluate(d, mu, s, 200, rng)
	opt := &optim.SGD{}
	for range 300 {
		if _, err := tr.Step(est, rng, rng); err != nil {
			t.Fatal(err)
		}
		opt.Step(tr.Params, tr.Grad, 1e-3)
	}
	mu, s = tr.MuS()
	e1, se, acc := Evaluate(d, mu, s, 200, rng)
	if !(e1 > e0+100) || acc < 0.95 {
		t.Fatalf("ELBO %v → %v ± %v, accuracy %v", e0, e1, se, acc)
	}
}

// TestScoreVarianceLarger checks the paper's observation at the prior:
// the score function's μ-gradient variance is ≥ 10× the pathwise one.
func TestScoreVarianceLarger(t *testing.T) {
	t.Parallel()
	d := load(t)
	tr, _ := NewTrainer(d, 32, 50, 1)
	pw, _ := estimators.New("pathwise", nil)
	sc, _ := estimators.New("score", nil)
	vp, _, _, err := tr.GradVariance(pw, 50, rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	vs, _, _, err := tr.GradVariance(sc, 50, rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	if !(vs > 10*vp) {
		t.Fatalf("variance of μ-gradient: score %v, pathwise %v", vs, vp)
	}
}

func TestStepAllocs(t *testing.T) {
	d := load(t)
	tr, _ := NewTrainer(d, 32, 5, 1)
	est, _ := estimators.New("pathwise", nil)
	rng := rand.New(rand.NewPCG(8, 9))
	tr.Step(est, rng, rng)
	if a := testing.AllocsPerRun(20, func() { tr.Step(est, rng, rng) }); a != 0 {
		t.Errorf("Step allocates %v times", a)
	}
}

// TestDeltaFullHessianUnbiased compares, on one minibatch of the BLR
// log-likelihood (dense Hessian), the mean of 4000 estimates of the delta
// method with the full Hessian and fresh coefficients (the reference
// implementation's variant, score and pathwise bases) with the mean of 4000
// pathwise estimates: both are unbiased, so each of the 62 components'
// difference is within 4.5 standard errors, a family-wise false-alarm rate
// of about 62 × 6.8e-6 ≈ 4e-4 under normality (a fixed seed makes it
// deterministic). The full-Hessian variant also leaves fewer than a third of
// the diagonal variant's variance on the μ components here.
func TestDeltaFullHessianUnbiased(t *testing.T) {
	t.Parallel()
	d := load(t)
	tr, err := NewTrainer(d, 32, 10, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for j := range d.D {
		tr.Params[j] = 0.5 * rng.NormFloat64()
	}
	lik := tr.NextBatch(rng)
	q := tr.Posterior()
	const reps = 4000
	P := 2 * d.D
	moments := func(name string, opts map[string]string) []stats.Moments {
		est, err := estimators.New(name, opts)
		if err != nil {
			t.Fatal(err)
		}
		m := make([]stats.Moments, P)
		g := make([]float64, P)
		for range reps {
			if _, err := est.Estimate(g, q, lik, tr.Samples, rng); err != nil {
				t.Fatal(err)
			}
			stats.AddVec(m, g)
		}
		return m
	}
	ref := moments("pathwise", nil)
	full := map[string]string{"hessian": "full", "coeff_samples": "25"}
	for _, base := range []string{"score", "pathwise"} {
		opts := map[string]string{"base": base}
		for k, v := range full {
			opts[k] = v
		}
		got := moments("delta", opts)
		for j := range P {
			se := math.Sqrt(got[j].Variance()/reps + ref[j].Variance()/reps)
			if diff := got[j].Mean() - ref[j].Mean(); math.Abs(diff) > 4.5*se {
				t.Errorf("delta %v: component %d: mean %v, pathwise %v (%.1f SE)", opts, j, got[j].Mean(), ref[j].Mean(), diff/se)
			}
		}
	}
	diag := moments("delta", map[string]string{"base": "pathwise"})
	fullP := moments("delta", map[string]string{"base": "pathwise", "hessian": "full", "coeff_samples": "25"})
	var vd, vf float64
	for j := range d.D {
		vd += diag[j].Variance()
		vf += fullP[j].Variance()
	}
	t.Logf("μ-gradient variance: diagonal delta %.4g, full-Hessian delta %.4g", vd, vf)
	if !(vf < vd/3) {
		t.Errorf("full-Hessian delta μ variance %.4g, want below a third of the diagonal's %.4g", vf, vd)
	}
}

// TestLoadCSVShowsNoContent: errors about a malformed data file name the
// file, the line and the field, and never show the file's text.
func TestLoadCSVShowsNoContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, text := range []string{"topsecret\n", "secret,words\n", "3,1\n1,0\nsecret,1\n"} {
		path := filepath.Join(dir, fmt.Sprintf("bad%d.csv", i))
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadCSV(path)
		if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), path) {
			t.Errorf("LoadCSV(%q): %v, want an error naming the file without its contents", text, err)
		}
	}
}

var _ objective.Batch = (*Likelihood)(nil)

// TestValuesSameBits checks that Values gives Value's bits (as
// objective.Batch requires) on the full data and on a minibatch with
// repeated examples, for points with zero coordinates among normal ones,
// and that Evaluate gives the bits of drawing, evaluating and counting one
// posterior sample at a time, for sample counts that leave a partial block.
func TestValuesSameBits(t *testing.T) {
	t.Parallel()
	d := load(t)
	rng := rand.New(rand.NewPCG(31, 32))
	all := &Likelihood{Data: d, Batch: make([]int, d.N), Scale: 1}
	for i := range all.Batch {
		all.Batch[i] = i
	}
	mb := &Likelihood{Data: d, Batch: []int{3, 7, 7, 100, 568, 0}, Scale: float64(d.N) / 6}
	const R = 37
	ws := make([]float64, R*d.D)
	for j := range ws {
		if rng.IntN(5) > 0 {
			ws[j] = rng.NormFloat64()
		}
	}
	for _, l := range []*Likelihood{all, mb} {
		got := make([]float64, R)
		l.Values(got, ws)
		for r := range R {
			if want := l.Value(ws[r*d.D : (r+1)*d.D]); math.Float64bits(got[r]) != math.Float64bits(want) {
				t.Errorf("%d examples, point %d: Values %v, Value %v", len(l.Batch), r, got[r], want)
			}
		}
	}
	mu, s := make([]float64, d.D), make([]float64, d.D)
	for j := range mu {
		mu[j], s[j] = 0.3*rng.NormFloat64(), 0.5+rng.Float64()
	}
	for _, k := range []int{1, 100, 257} {
		e1, se1, a1 := Evaluate(d, mu, s, k, rand.New(rand.NewPCG(uint64(k), 2)))
		e2, se2, a2 := evaluateOneByOne(d, mu, s, k, rand.New(rand.NewPCG(uint64(k), 2)))
		if math.Float64bits(e1) != math.Float64bits(e2) || math.Float64bits(se1) != math.Float64bits(se2) || a1 != a2 {
			t.Errorf("k = %d: Evaluate %v, %v, %v; one sample at a time %v, %v, %v", k, e1, se1, a1, e2, se2, a2)
		}
	}
}

// evaluateOneByOne is Evaluate drawing, evaluating (Value) and counting
// one posterior sample at a time.
func evaluateOneByOne(d *Data, mu, s []float64, k int, rng *rand.Rand) (elbo, se, acc float64) {
	w := make([]float64, d.D)
	all := &Likelihood{Data: d, Batch: make([]int, d.N), Scale: 1}
	for i := range all.Batch {
		all.Batch[i] = i
	}
	var sum, sum2 float64
	correct := 0
	for range k {
		for j := range w {
			w[j] = mu[j] + s[j]*rng.NormFloat64()
		}
		v := all.Value(w)
		sum += v
		sum2 += v * v
		for i := range d.N {
			if all.margin(i, w) > 0 {
				correct++
			}
		}
	}
	mean := sum / float64(k)
	variance := max(0, (sum2-float64(k)*mean*mean)/float64(k-1))
	return mean - KL(nil, nil, mu, s), math.Sqrt(variance / float64(k)), float64(correct) / float64(k*d.N)
}
