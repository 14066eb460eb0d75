package dist_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
)

// TestMVDMatchesClosedForm checks the measure-valued decomposition of Normal
// and MVNDiag on f(x) = Σ_d (x_d − k)², whose gradient is 2(μ_d − k) for
// mu[d] and 2σ_d for sigma[d]: the mean of c_j (f(xp) − f(xm)) over n draws
// is within 4 standard errors of it, coupled and uncoupled. Each comparison
// fails with probability about 6e-5 for a correct decomposition; the seeds
// are fixed.
func TestMVDMatchesClosedForm(t *testing.T) {
	const n, k = 200000, 1.2
	for _, d := range []dist.MeasureValued{
		must(dist.NewNormal(0.5, 1.3)),
		must(dist.NewMVNDiag([]float64{0.5, -1, 2}, []float64{1.3, 0.4, 2})),
	} {
		D := d.Dim()
		theta := d.Params(nil)
		f := func(x []float64) float64 {
			var s float64
			for _, v := range x {
				s += (v - k) * (v - k)
			}
			return s
		}
		xp, xm := make([]float64, D), make([]float64, D)
		for _, coupled := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(21, 22))
			for j := range d.NumParams() {
				var want float64
				if j < D {
					want = 2 * (theta[j] - k)
				} else {
					want = 2 * theta[j]
				}
				var s, s2 float64
				for range n {
					c := d.MVDSample(xp, xm, j, coupled, rng)
					g := c * (f(xp) - f(xm))
					s += g
					s2 += g * g
				}
				mean := s / n
				se := math.Sqrt((s2/n - mean*mean) / (n - 1))
				if math.Abs(mean-want) > 4*se {
					t.Errorf("%s coupled=%v %s: MVD mean %v ± %v, want %v", d.Name(), coupled, d.ParamNames()[j], mean, se, want)
				}
			}
		}
	}
}

// TestMVNCoupledSharesOtherCoordinates checks that coupled MVD samples
// differ only in the coordinate of the parameter, and uncoupled ones differ
// in the others too.
func TestMVNCoupledSharesOtherCoordinates(t *testing.T) {
	m := must(dist.NewMVNDiag([]float64{0, 1, 2}, []float64{1, 1, 1}))
	rng := rand.New(rand.NewPCG(23, 24))
	xp, xm := make([]float64, 3), make([]float64, 3)
	for j := range m.NumParams() {
		d := j % 3
		m.MVDSample(xp, xm, j, true, rng)
		for e := range 3 {
			if e != d && xp[e] != xm[e] {
				t.Errorf("coupled, parameter %d: coordinate %d differs: %v vs %v", j, e, xp[e], xm[e])
			}
		}
		m.MVDSample(xp, xm, j, false, rng)
		for e := range 3 {
			if e != d && xp[e] == xm[e] {
				t.Errorf("uncoupled, parameter %d: coordinate %d shared: %v", j, e, xp[e])
			}
		}
	}
}

func TestValidation(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		family, param string
		err           error
	}{
		{"normal", "sigma", errOf(dist.NewNormal(0, 0))},
		{"normal", "mu", errOf(dist.NewNormal(nan, 1))},
		{"mvn", "sigma[1]", errOf(dist.NewMVNDiag([]float64{0, 0}, []float64{1, -1}))},
		{"mvn", "mu[0]", errOf(dist.NewMVNDiag([]float64{inf}, []float64{1}))},
		{"mvn", "len(mu)", errOf(dist.NewMVNDiag([]float64{0, 0}, []float64{1}))},
		{"mvn", "len(mu)", errOf(dist.NewMVNDiag(nil, nil))},
		{"lognormal", "sigma", errOf(dist.NewLogNormal(0, nan))},
		{"lognormal", "mu", errOf(dist.NewLogNormal(-inf, 1))},
		{"exponential", "rate", errOf(dist.NewExponential(0))},
		{"exponential", "rate", errOf(dist.NewExponential(inf))},
		{"laplace", "scale", errOf(dist.NewLaplace(0, -2))},
		{"laplace", "mu", errOf(dist.NewLaplace(nan, 2))},
		{"weibull", "k", errOf(dist.NewWeibull(0, 1))},
		{"weibull", "lambda", errOf(dist.NewWeibull(1, nan))},
		{"gamma", "alpha", errOf(dist.NewGamma(-1, 1))},
		{"gamma", "beta", errOf(dist.NewGamma(1, 0))},
		{"dirichlet", "alpha[1]", errOf(dist.NewDirichlet([]float64{1, 0}))},
		{"dirichlet", "len(alpha)", errOf(dist.NewDirichlet([]float64{1}))},
		{"dirichlet", "dim", errOf(dist.New("dirichlet", map[string]float64{"dim": 1}))},
		{"beta", "alpha", errOf(dist.NewBeta(nan, 1))},
		{"beta", "beta", errOf(dist.NewBeta(1, inf))},
		{"von-mises", "kappa", errOf(dist.NewVonMises(0, 0))},
		{"von-mises", "mu", errOf(dist.NewVonMises(nan, 1))},
		{"student-t", "df", errOf(dist.NewStudentT(0, 0, 1))},
		{"student-t", "mu", errOf(dist.NewStudentT(3, nan, 1))},
		{"student-t", "scale", errOf(dist.NewStudentT(3, 0, -1))},
		{"poisson", "lambda", errOf(dist.NewPoisson(0))},
		{"poisson", "lambda", errOf(dist.NewPoisson(nan))},
		{"bernoulli", "logit", errOf(dist.NewBernoulli(nan))},
		{"bernoulli", "logit", errOf(dist.NewBernoulli(-inf))},
		{"categorical", "logits", errOf(dist.NewCategorical([]float64{1}))},
		{"categorical", "logit[2]", errOf(dist.NewCategorical([]float64{0, 1, nan}))},
		{"mvn", "dim", errOf(dist.New("mvn", map[string]float64{"dim": 0}))},
		{"mvn", "dim", errOf(dist.New("mvn", map[string]float64{"dim": 1.5}))},
		{"mvn", "dim", errOf(dist.New("mvn", map[string]float64{"dim": 10001}))},
		{"mvn", "dim", errOf(dist.New("mvn", map[string]float64{"dim": nan}))},
		{"mvn", "sigma", errOf(dist.New("mvn", map[string]float64{"sigma": 0}))},
		{"mvn", "mu", errOf(dist.New("mvn", map[string]float64{"mu": nan}))},
		{"categorical", "k", errOf(dist.New("categorical", map[string]float64{"k": 1}))},
		{"categorical", "k", errOf(dist.New("categorical", map[string]float64{"k": 2.5}))},
		{"categorical", "spread", errOf(dist.New("categorical", map[string]float64{"spread": inf}))},
		{"categorical", "logit[2]", errOf(dist.New("categorical", map[string]float64{"spread": 1e308}))},
		{"weibull", "k", errOf(dist.New("weibull", map[string]float64{"k": -1}))},
	} {
		if c.err == nil {
			t.Errorf("%s %s: no error", c.family, c.param)
			continue
		}
		if !errors.Is(c.err, dist.ErrParam) {
			t.Errorf("%s %s: %v does not wrap ErrParam", c.family, c.param, c.err)
		}
		if msg := c.err.Error(); !strings.Contains(msg, c.family) || !strings.Contains(msg, c.param) {
			t.Errorf("%s %s: message %q does not name both", c.family, c.param, msg)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestWithParamsRejectsInvalid(t *testing.T) {
	for _, f := range fixtures() {
		theta := f.d.Params(nil)
		theta[len(theta)-1] = math.NaN()
		if _, err := f.d.WithParams(theta); !errors.Is(err, dist.ErrParam) {
			t.Errorf("%s: WithParams with NaN: err = %v, want ErrParam", f.name, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	want := []string{"bernoulli", "beta", "categorical", "dirichlet", "exponential", "gamma", "laplace", "lognormal", "mvn", "normal", "poisson", "student-t", "von-mises", "weibull"}
	names := dist.Families()
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("family %q not registered (have %v)", w, names)
		}
	}
	for _, name := range names {
		fam, _ := dist.Lookup(name)
		if fam.Doc == "" {
			t.Errorf("%s: empty Doc", name)
		}
		d, err := dist.New(name, nil)
		if err != nil {
			t.Errorf("%s: defaults: %v", name, err)
			continue
		}
		if d.Name() != name {
			t.Errorf("%s: built a family named %q", name, d.Name())
		}
		theta := d.Params(nil)
		if len(theta) != d.NumParams() || len(d.ParamNames()) != d.NumParams() {
			t.Errorf("%s: %d params, %d names, NumParams %d", name, len(theta), len(d.ParamNames()), d.NumParams())
		}
		e, err := d.WithParams(theta)
		if err != nil || !slices.Equal(e.Params(nil), theta) {
			t.Errorf("%s: WithParams(Params()) = %v, %v; want %v", name, e, err, theta)
		}
	}
	if _, err := dist.New("nosuch", nil); err == nil || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Errorf("unknown family: err = %v", err)
	}
	if _, err := dist.New("gamma", map[string]float64{"shape": 1}); err == nil || !strings.Contains(err.Error(), `"shape"`) {
		t.Errorf("unknown parameter: err = %v", err)
	}
	c := must(dist.New("categorical", map[string]float64{"k": 5, "spread": 2})).(dist.Categorical)
	if !slices.Equal(c.Logits, []float64{0, 0.5, 1, 1.5, 2}) {
		t.Errorf("categorical k=5 spread=2: logits %v", c.Logits)
	}
	m := must(dist.New("mvn", map[string]float64{"dim": 3, "mu": 1, "sigma": 2})).(dist.MVNDiag)
	if !slices.Equal(m.Mu, []float64{1, 1, 1}) || !slices.Equal(m.Sigma, []float64{2, 2, 2}) {
		t.Errorf("mvn dim=3: %+v", m)
	}
	if got := m.ParamNames(); !slices.Equal(got, []string{"mu[0]", "mu[1]", "mu[2]", "sigma[0]", "sigma[1]", "sigma[2]"}) {
		t.Errorf("mvn ParamNames = %v", got)
	}
}

func TestConstructorsCopy(t *testing.T) {
	mu, sigma, l := []float64{0, 1}, []float64{1, 1}, []float64{0, 1}
	m := must(dist.NewMVNDiag(mu, sigma))
	c := must(dist.NewCategorical(l))
	mu[0], sigma[0], l[0] = 9, 9, 9
	if m.Mu[0] != 0 || m.Sigma[0] != 1 || c.Logits[0] != 0 {
		t.Errorf("constructors alias their arguments: %v %v %v", m.Mu, m.Sigma, c.Logits)
	}
}

func TestCapabilities(t *testing.T) {
	for _, c := range []struct {
		name                                     string
		reparam, finite, mvd, moments, quantiler bool
	}{
		{"normal", true, false, true, true, true},
		{"mvn", true, false, true, true, false},
		{"lognormal", true, false, false, true, true},
		{"exponential", true, false, true, true, true},
		{"laplace", true, false, false, true, true},
		{"weibull", true, false, true, true, true},
		{"gamma", true, false, true, true, true},
		{"dirichlet", true, false, false, true, false},
		{"beta", true, false, false, true, true},
		{"von-mises", true, false, false, false, true},
		{"student-t", true, false, false, false, true},
		{"poisson", false, false, true, true, false},
		{"bernoulli", false, true, true, true, false},
		{"categorical", false, true, false, false, false},
	} {
		d := must(dist.New(c.name, nil))
		_, r := d.(dist.Reparameterized)
		_, f := d.(dist.Finite)
		_, m := d.(dist.MeasureValued)
		_, mo := d.(dist.Moments)
		_, q := d.(dist.Quantiler)
		if r != c.reparam || f != c.finite || m != c.mvd || mo != c.moments || q != c.quantiler {
			t.Errorf("%s: reparameterized %v, finite %v, measure-valued %v, moments %v, quantiler %v; want %v %v %v %v %v",
				c.name, r, f, m, mo, q, c.reparam, c.finite, c.mvd, c.moments, c.quantiler)
		}
	}
}

// TestNoAllocations checks that the per-sample methods allocate nothing.
func TestNoAllocations(t *testing.T) {
	for _, f := range fixtures() {
		d := f.d
		rng := rand.New(rand.NewPCG(25, 26))
		D, P := d.Dim(), d.NumParams()
		x, x2, eps, v := make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)
		g := make([]float64, P)
		d.Rand(x, rng)
		for i := range v {
			v[i] = 1
		}
		check := func(method string, fn func()) {
			if a := testing.AllocsPerRun(100, fn); a != 0 {
				t.Errorf("%s.%s: %v allocations per call", f.name, method, a)
			}
		}
		check("Rand", func() { d.Rand(x, rng) })
		check("LogProb", func() { d.LogProb(x) })
		check("Score", func() { d.Score(g, x) })
		if r, ok := d.(dist.Reparameterized); ok {
			check("Noise", func() { r.Noise(eps, rng) })
			check("Transform", func() { r.Transform(x, eps) })
			check("PathVJP", func() { r.PathVJP(g, eps, v) })
		}
		if m, ok := d.(dist.MeasureValued); ok {
			check("MVDSample", func() {
				for j := range P {
					if pm, ok := m.(dist.PartialMeasureValued); ok && !pm.HasMVD(j) {
						continue
					}
					m.MVDSample(x, x2, j, j%2 == 0, rng)
				}
			})
		}
		if m, ok := d.(dist.Moments); ok {
			check("Mean", func() { m.Mean(x2) })
			check("Variance", func() { m.Variance(x2) })
			check("MomentsVJP", func() { m.MomentsVJP(g, x2, v) })
		}
		if fi, ok := d.(dist.Finite); ok {
			check("Outcome", func() { fi.Outcome(x2, fi.SupportSize()-1) })
		}
	}
}

func TestWrongLengthPanics(t *testing.T) {
	m := must(dist.NewMVNDiag([]float64{0, 0}, []float64{1, 1}))
	for name, fn := range map[string]func(){
		"Params":     func() { m.Params(make([]float64, 3)) },
		"WithParams": func() { m.WithParams(make([]float64, 3)) },
		"Rand":       func() { m.Rand(make([]float64, 1), rand.New(rand.NewPCG(1, 1))) },
		"Score":      func() { m.Score(make([]float64, 4), make([]float64, 3)) },
		"PathVJP":    func() { m.PathVJP(make([]float64, 3), make([]float64, 2), make([]float64, 2)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MVNDiag.%s with a wrong length did not panic", name)
				}
			}()
			fn()
		}()
	}
}
