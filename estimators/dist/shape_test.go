package dist_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gradbench/gradbench/estimators/dist"
)

// reference returns the distuv log-probability function of the same
// distribution as d, for 1-D families.
func reference(d dist.Distribution) func(x float64) float64 {
	switch d := d.(type) {
	case dist.Normal:
		return distuv.Normal{Mu: d.Mu, Sigma: d.Sigma}.LogProb
	case dist.LogNormal:
		return distuv.LogNormal{Mu: d.Mu, Sigma: d.Sigma}.LogProb
	case dist.Exponential:
		return distuv.Exponential{Rate: d.Rate}.LogProb
	case dist.Laplace:
		return distuv.Laplace{Mu: d.Mu, Scale: d.Scale}.LogProb
	case dist.Weibull:
		return distuv.Weibull{K: d.K, Lambda: d.Lambda}.LogProb
	case dist.Gamma:
		return distuv.Gamma{Alpha: d.Alpha, Beta: d.Beta}.LogProb
	case dist.Beta:
		return distuv.Beta{Alpha: d.Alpha, Beta: d.Beta}.LogProb
	case dist.StudentT:
		return distuv.StudentsT{Mu: d.Mu, Sigma: d.Scale, Nu: d.DF}.LogProb
	case dist.Poisson:
		return distuv.Poisson{Lambda: d.Lambda}.LogProb
	case dist.Bernoulli:
		return distuv.Bernoulli{P: d.Prob()}.LogProb
	case dist.Categorical:
		w := make([]float64, len(d.Logits))
		for i, l := range d.Logits {
			w[i] = math.Exp(l)
		}
		return distuv.NewCategorical(w, nil).LogProb
	}
	return nil
}

func TestLogProbMatchesDistuv(t *testing.T) {
	for _, f := range fixtures() {
		ref := reference(f.d)
		if ref == nil {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			x := make([]float64, 1)
			for range 20 {
				f.d.Rand(x, rng)
				got, want := f.d.LogProb(x), ref(x[0])
				// Both are closed forms of a few terms: agreement to
				// 1e-12 relative allows for different rounding.
				if !closeRel(got, want, 1e-12) {
					t.Errorf("LogProb(%v) = %v, distuv %v", x[0], got, want)
				}
			}
		})
	}
}

func TestLogProbOutsideSupport(t *testing.T) {
	for _, c := range []struct {
		d dist.Distribution
		x float64
	}{
		{must(dist.NewLogNormal(0, 1)), -1},
		{must(dist.NewLogNormal(0, 1)), 0},
		{must(dist.NewExponential(1)), -0.5},
		{must(dist.NewWeibull(2, 1)), -0.5},
		{must(dist.NewGamma(2, 1)), -0.5},
		{must(dist.NewBeta(2, 2)), 1.5},
		{must(dist.NewPoisson(2)), 1.5},
		{must(dist.NewPoisson(2)), -1},
		{must(dist.NewBernoulli(0)), 0.5},
		{must(dist.NewCategorical([]float64{0, 0})), 2},
		{must(dist.NewCategorical([]float64{0, 0})), math.NaN()},
	} {
		if got := c.d.LogProb([]float64{c.x}); !math.IsInf(got, -1) {
			t.Errorf("%s: LogProb(%v) = %v, want -Inf", c.d.Name(), c.x, got)
		}
	}
}

// TestDensityIntegrates checks that the density integrates to the mass the
// CDF gives, on [Q(1e-9), Q(0.5)] and [Q(0.5), Q(1−1e-9)]: each piece should
// hold 0.5 − 1e-9. Positive variables are integrated in t = log x, which
// turns the power-law endpoint behaviour into smooth exponential decay, so
// 200-point Gauss–Legendre converges far below the 1e-7 tolerance.
func TestDensityIntegrates(t *testing.T) {
	for _, f := range fixtures() {
		q, ok := f.d.(dist.Quantiler)
		if !ok {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			lo, mid, hi := q.Quantile(1e-9), q.Quantile(0.5), q.Quantile(1-1e-9)
			x := make([]float64, 1)
			density := func(v float64) float64 {
				x[0] = v
				return math.Exp(q.LogProb(x))
			}
			var integrate func(a, b float64) float64
			if lo > 0 {
				integrate = func(a, b float64) float64 {
					return quad.Fixed(func(s float64) float64 {
						return density(math.Exp(s)) * math.Exp(s)
					}, math.Log(a), math.Log(b), 200, nil, 0)
				}
			} else {
				integrate = func(a, b float64) float64 {
					return quad.Fixed(density, a, b, 200, nil, 0)
				}
			}
			for _, piece := range [][2]float64{{lo, mid}, {mid, hi}} {
				got := integrate(piece[0], piece[1])
				if want := 0.5 - 1e-9; math.Abs(got-want) > 1e-7 {
					t.Errorf("∫ p over [%v, %v] = %v, want %v", piece[0], piece[1], got, want)
				}
			}
		})
	}
}

func TestDiscreteMassSumsToOne(t *testing.T) {
	for _, f := range fixtures() {
		x := make([]float64, 1)
		switch d := f.d.(type) {
		case dist.Finite:
			var s float64
			for i := range d.SupportSize() {
				p := d.Outcome(x, i)
				s += p
				if lp := d.LogProb(x); !closeRel(math.Exp(lp), p, 1e-12) {
					t.Errorf("%s: outcome %d: exp(LogProb) = %v, Outcome %v", f.name, i, math.Exp(lp), p)
				}
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("%s: Σ Outcome = %v, want 1", f.name, s)
			}
		case dist.Poisson:
			var s float64
			for k := range 1000 {
				x[0] = float64(k)
				s += math.Exp(d.LogProb(x))
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("%s: Σ P(k) = %v, want 1", f.name, s)
			}
		}
	}
}

// TestDecileFrequencies checks the whole law of Rand (and of Transform∘Noise
// for reparameterized families), not just two moments: the fraction of
// draws in each decile [Q(i/10), Q((i+1)/10)) is 0.1 within 4 binomial
// standard errors. Each comparison fails with probability about 6e-5 for a
// correct sampler; the seeds are fixed.
func TestDecileFrequencies(t *testing.T) {
	const n = 50000
	for _, f := range fixtures() {
		q, ok := f.d.(dist.Quantiler)
		if !ok {
			continue
		}
		check := func(t *testing.T, draw func(x []float64)) {
			var edges [11]float64
			for i := range edges {
				edges[i] = q.Quantile(float64(i) / 10)
			}
			var counts [10]float64
			x := make([]float64, 1)
			for range n {
				draw(x)
				for i := range 10 {
					if x[0] < edges[i+1] || i == 9 {
						counts[i]++
						break
					}
				}
			}
			se := math.Sqrt(0.1 * 0.9 / n)
			for i, c := range counts {
				if got := c / n; math.Abs(got-0.1) > 4*se {
					t.Errorf("decile %d: frequency %v ± %v, want 0.1", i, got, se)
				}
			}
		}
		t.Run(f.name+"/Rand", func(t *testing.T) {
			rng := rand.New(rand.NewPCG(13, 14))
			check(t, func(x []float64) { q.Rand(x, rng) })
		})
		if r, ok := f.d.(dist.Reparameterized); ok {
			t.Run(f.name+"/Transform", func(t *testing.T) {
				rng := rand.New(rand.NewPCG(15, 16))
				eps := make([]float64, 1)
				check(t, func(x []float64) { r.Noise(eps, rng); r.Transform(x, eps) })
			})
		}
	}
}

// TestPoissonFrequencies checks both samplers (inversion below λ = 10,
// transformed rejection above) against the probability mass function: for
// every k with P(k) > 1e-3 the frequency is within 4 binomial standard
// errors (each comparison fails with probability about 6e-5 for a correct
// sampler).
func TestPoissonFrequencies(t *testing.T) {
	const n = 100000
	for _, lambda := range []float64{0.3, 3.5, 9.99, 10, 25, 400} {
		p := must(dist.NewPoisson(lambda))
		rng := rand.New(rand.NewPCG(17, uint64(lambda*100)))
		counts := map[float64]float64{}
		x := make([]float64, 1)
		for range n {
			p.Rand(x, rng)
			if !(x[0] >= 0 && x[0] == math.Trunc(x[0])) {
				t.Fatalf("λ=%v: draw %v is not a count", lambda, x[0])
			}
			counts[x[0]]++
		}
		for k := 0.0; k < lambda+10*math.Sqrt(lambda)+10; k++ {
			x[0] = k
			pk := math.Exp(p.LogProb(x))
			if pk < 1e-3 {
				continue
			}
			se := math.Sqrt(pk * (1 - pk) / n)
			if got := counts[k] / n; math.Abs(got-pk) > 4*se {
				t.Errorf("λ=%v: P(%v): frequency %v ± %v, want %v", lambda, k, got, se, pk)
			}
		}
	}
}

// TestSmallShapes checks that gamma and beta draws with tiny shapes stay in
// the support and finite (the log-space sampler avoids 0/0).
func TestSmallShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	x := make([]float64, 1)
	b := must(dist.NewBeta(0.01, 0.02))
	g := must(dist.NewGamma(0.05, 1))
	for range 10000 {
		b.Rand(x, rng)
		if !(x[0] >= 0 && x[0] <= 1) {
			t.Fatalf("beta(0.01, 0.02) draw %v", x[0])
		}
		g.Rand(x, rng)
		if !(x[0] >= 0) || math.IsInf(x[0], 0) {
			t.Fatalf("gamma(0.05, 1) draw %v", x[0])
		}
	}
}

func TestQuantileCDFRoundTrip(t *testing.T) {
	for _, f := range fixtures() {
		q, ok := f.d.(dist.Quantiler)
		if !ok {
			continue
		}
		for _, p := range []float64{1e-12, 1e-6, 0.01, 0.3, 0.5, 0.9, 0.999} {
			x := q.Quantile(p)
			// distuv's inverses are accurate to about 1e-10 relative
			// (the incomplete gamma and beta inversions are iterative).
			tol := 1e-9 * p
			if _, ok := f.d.(dist.VonMises); ok {
				// Its support ends at μ − π, not at 0, with a density
				// above 0 there, and its series CDF (κ < 20) is accurate
				// to 2e-16 absolute, not relative (see VonMises.CDF).
				tol += 2e-16
			}
			if got := q.CDF(x); math.Abs(got-p) > tol {
				t.Errorf("%s: CDF(Quantile(%v)) = %v", f.name, p, got)
			}
		}
	}
}

// TestCDFMatchesDistuv compares the hand-written closed-form CDFs (and the
// distuv-backed ones) with distuv at the deciles: absolute agreement to 1e-12
// allows for 1 − exp(−z) being computed with or without expm1.
func TestCDFMatchesDistuv(t *testing.T) {
	type cdfer interface{ CDF(float64) float64 }
	for _, f := range fixtures() {
		q, ok := f.d.(dist.Quantiler)
		if !ok {
			continue
		}
		var ref cdfer
		switch d := f.d.(type) {
		case dist.Normal:
			ref = distuv.Normal{Mu: d.Mu, Sigma: d.Sigma}
		case dist.LogNormal:
			ref = distuv.LogNormal{Mu: d.Mu, Sigma: d.Sigma}
		case dist.Exponential:
			ref = distuv.Exponential{Rate: d.Rate}
		case dist.Laplace:
			ref = distuv.Laplace{Mu: d.Mu, Scale: d.Scale}
		case dist.Weibull:
			ref = distuv.Weibull{K: d.K, Lambda: d.Lambda}
		case dist.Gamma:
			ref = distuv.Gamma{Alpha: d.Alpha, Beta: d.Beta}
		case dist.Beta:
			ref = distuv.Beta{Alpha: d.Alpha, Beta: d.Beta}
		case dist.VonMises:
			continue // distuv has none; vonmises_test.go checks it against 40-digit values
		case dist.StudentT:
			ref = distuv.StudentsT{Mu: d.Mu, Sigma: d.Scale, Nu: d.DF}
		default:
			t.Fatalf("%s: no distuv reference for a Quantiler", f.name)
		}
		for i := 1; i < 10; i++ {
			x := q.Quantile(float64(i) / 10)
			if got, want := q.CDF(x), ref.CDF(x); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s: CDF(%v) = %v, distuv %v", f.name, x, got, want)
			}
		}
	}
}
