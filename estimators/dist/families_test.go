package dist_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gradbench/gradbench/estimators/dist"
)

// fixture is one family at one θ.
type fixture struct {
	name string
	d    dist.Distribution
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// fixtures returns every family at one or more parameter values, chosen away
// from the boundaries so that central differences stay inside the domain.
func fixtures() []fixture {
	return []fixture{
		{"normal(0.3,1.5)", must(dist.NewNormal(0.3, 1.5))},
		{"normal(-2,0.5)", must(dist.NewNormal(-2, 0.5))},
		{"mvn(3)", must(dist.NewMVNDiag([]float64{0.5, -1, 2}, []float64{1, 0.3, 2.5}))},
		{"lognormal(0.2,0.5)", must(dist.NewLogNormal(0.2, 0.5))},
		{"lognormal(-1,0.2)", must(dist.NewLogNormal(-1, 0.2))},
		{"exponential(1.7)", must(dist.NewExponential(1.7))},
		{"laplace(0.5,2)", must(dist.NewLaplace(0.5, 2))},
		{"weibull(0.7,1.3)", must(dist.NewWeibull(0.7, 1.3))},
		{"weibull(2.5,0.8)", must(dist.NewWeibull(2.5, 0.8))},
		{"gamma(0.5,2)", must(dist.NewGamma(0.5, 2))},
		{"dirichlet(0.6,2.5,1.3)", must(dist.NewDirichlet([]float64{0.6, 2.5, 1.3}))},
		{"gamma(3.2,0.7)", must(dist.NewGamma(3.2, 0.7))},
		{"beta(0.6,2.5)", must(dist.NewBeta(0.6, 2.5))},
		{"beta(3,4)", must(dist.NewBeta(3, 4))},
		{"von-mises(0.5,2)", must(dist.NewVonMises(0.5, 2))},
		{"von-mises(-1,30)", must(dist.NewVonMises(-1, 30))},
		{"student-t(5,0.3,1.5)", must(dist.NewStudentT(5, 0.3, 1.5))},
		{"student-t(3,-1,0.5)", must(dist.NewStudentT(3, -1, 0.5))},
		{"poisson(3.5)", must(dist.NewPoisson(3.5))},
		{"poisson(25)", must(dist.NewPoisson(25))},
		{"bernoulli(0.7)", must(dist.NewBernoulli(0.7))},
		{"bernoulli(-3)", must(dist.NewBernoulli(-3))},
		{"categorical(4)", must(dist.NewCategorical([]float64{0.1, -1, 2, 0.5}))},
	}
}

// fdSettings are central differences with gonum's default step (about
// 6e-6): truncation error O(h²) times the third derivative and rounding error O(ε|f|/h) are both
// about 1e-10 for the O(1)–O(100) functions here, far below fdTol.
var fdSettings = &fd.Settings{Formula: fd.Central}

// fdTol is the tolerance for comparing an analytic derivative with central
// differences, relative to max(1, |derivative|).
const fdTol = 1e-6

func closeRel(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// atTheta returns d re-parameterized at theta, failing the test on error.
func atTheta(t *testing.T, d dist.Distribution, theta []float64) dist.Distribution {
	t.Helper()
	e, err := d.WithParams(theta)
	if err != nil {
		t.Fatalf("WithParams(%v): %v", theta, err)
	}
	return e
}

func TestScoreMatchesFiniteDifferences(t *testing.T) {
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			d := f.d
			theta := d.Params(nil)
			x := make([]float64, d.Dim())
			score := make([]float64, d.NumParams())
			for range 6 {
				d.Rand(x, rng)
				d.Score(score, x)
				want := fd.Gradient(nil, func(th []float64) float64 {
					e, err := d.WithParams(th)
					if err != nil {
						panic(err)
					}
					return e.LogProb(x)
				}, theta, fdSettings)
				for j := range score {
					if !closeRel(score[j], want[j], fdTol) {
						t.Errorf("x=%v: score[%s] = %v, finite differences %v", x, d.ParamNames()[j], score[j], want[j])
					}
				}
			}
		})
	}
}

func TestPathVJPMatchesFiniteDifferences(t *testing.T) {
	for _, f := range fixtures() {
		r, ok := f.d.(dist.Reparameterized)
		if !ok {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			D, P := r.Dim(), r.NumParams()
			theta := r.Params(nil)
			eps, v, x := make([]float64, D), make([]float64, D), make([]float64, D)
			got := make([]float64, P)
			for range 5 {
				r.Noise(eps, rng)
				for d := range D {
					clear(v)
					v[d] = 1
					clear(got)
					r.PathVJP(got, eps, v)
					want := fd.Gradient(nil, func(th []float64) float64 {
						atTheta(t, r, th).(dist.Reparameterized).Transform(x, eps)
						return x[d]
					}, theta, fdSettings)
					for j := range got {
						if !closeRel(got[j], want[j], fdTol) {
							t.Errorf("eps=%v: ∂x[%d]/∂%s = %v, finite differences %v", eps, d, r.ParamNames()[j], got[j], want[j])
						}
					}
				}
			}
		})
	}
}

func TestMomentsVJPMatchesFiniteDifferences(t *testing.T) {
	for _, f := range fixtures() {
		m, ok := f.d.(dist.Moments)
		if !ok {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			D, P := m.Dim(), m.NumParams()
			theta := m.Params(nil)
			a, b, buf := make([]float64, D), make([]float64, D), make([]float64, D)
			got := make([]float64, P)
			for d := range D {
				for _, which := range []string{"mean", "variance"} {
					clear(a)
					clear(b)
					if which == "mean" {
						a[d] = 1
					} else {
						b[d] = 1
					}
					clear(got)
					m.MomentsVJP(got, a, b)
					want := fd.Gradient(nil, func(th []float64) float64 {
						e := atTheta(t, m, th).(dist.Moments)
						if which == "mean" {
							e.Mean(buf)
						} else {
							e.Variance(buf)
						}
						return buf[d]
					}, theta, fdSettings)
					for j := range got {
						if !closeRel(got[j], want[j], fdTol) {
							t.Errorf("∂%s[%d]/∂%s = %v, finite differences %v", which, d, m.ParamNames()[j], got[j], want[j])
						}
					}
				}
			}
		})
	}
}

// momentCheck draws n samples with draw and compares the per-coordinate
// sample mean and variance with the family's Moments, each within 4 standard
// errors (the variance's from the sample fourth central moment). For a
// correct sampler each comparison fails with probability about 6e-5; the
// seeds are fixed, so the test is deterministic.
func momentCheck(t *testing.T, m dist.Moments, n int, draw func(x []float64)) {
	t.Helper()
	D := m.Dim()
	mean, variance := make([]float64, D), make([]float64, D)
	m.Mean(mean)
	m.Variance(variance)
	xs := make([][]float64, n)
	for i := range xs {
		xs[i] = make([]float64, D)
		draw(xs[i])
	}
	for d := range D {
		var s float64
		for _, x := range xs {
			s += x[d]
		}
		mu := s / float64(n)
		var m2, m4 float64
		for _, x := range xs {
			e := (x[d] - mu) * (x[d] - mu)
			m2 += e
			m4 += e * e
		}
		v := m2 / float64(n-1)
		m4 /= float64(n)
		seMean := math.Sqrt(v / float64(n))
		seVar := math.Sqrt((m4 - v*v) / float64(n))
		if math.Abs(mu-mean[d]) > 4*seMean {
			t.Errorf("coordinate %d: sample mean %v ± %v, want %v", d, mu, seMean, mean[d])
		}
		if math.Abs(v-variance[d]) > 4*seVar {
			t.Errorf("coordinate %d: sample variance %v ± %v, want %v", d, v, seVar, variance[d])
		}
	}
}

func TestSampleMoments(t *testing.T) {
	const n = 100000
	for _, f := range fixtures() {
		m, ok := f.d.(dist.Moments)
		if !ok {
			continue
		}
		t.Run(f.name+"/Rand", func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			momentCheck(t, m, n, func(x []float64) { m.Rand(x, rng) })
		})
		if r, ok := f.d.(dist.Reparameterized); ok {
			t.Run(f.name+"/Transform", func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, 8))
				eps := make([]float64, r.Dim())
				momentCheck(t, m, n, func(x []float64) {
					r.Noise(eps, rng)
					r.Transform(x, eps)
				})
			})
		}
	}
}

func TestCategoricalSampleFrequencies(t *testing.T) {
	// Categorical has no Moments: compare frequencies with Outcome's
	// probabilities, within 4 binomial standard errors per category.
	c := must(dist.NewCategorical([]float64{0.1, -1, 2, 0.5}))
	const n = 100000
	rng := rand.New(rand.NewPCG(9, 10))
	counts := make([]float64, c.SupportSize())
	x := make([]float64, 1)
	for range n {
		c.Rand(x, rng)
		counts[int(x[0])]++
	}
	for i := range counts {
		p := c.Outcome(x, i)
		se := math.Sqrt(p * (1 - p) / n)
		if got := counts[i] / n; math.Abs(got-p) > 4*se {
			t.Errorf("P(x=%d): frequency %v ± %v, want %v", i, got, se, p)
		}
	}
}

func Example() {
	d, err := dist.New("mvn", map[string]float64{"dim": 2, "sigma": 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.ParamNames(), d.Params(nil))
	_, err = dist.New("mvn", map[string]float64{"dim": 0})
	fmt.Println(err)
	// Output:
	// [mu[0] mu[1] sigma[0] sigma[1]] [0 0 0.5 0.5]
	// invalid parameter: mvn dim = 0, want an integer in [1, 10000]
}
