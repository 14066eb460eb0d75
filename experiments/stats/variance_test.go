package stats

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// A calibration distribution: its name, its variance and a sampler.
type calDist struct {
	name     string
	variance float64
	kurtosis float64 // for the record
	sampler  func(rng *rand.Rand) func() float64
}

var calDists = []calDist{
	{"normal", 1, 3, func(rng *rand.Rand) func() float64 { return rng.NormFloat64 }},
	{"student-t(10)", 10.0 / 8, 4, func(rng *rand.Rand) func() float64 {
		return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: 10, Src: rng}.Rand
	}},
	{"exponential", 1, 9, func(rng *rand.Rand) func() float64 { return rng.ExpFloat64 }},
	{"chi-square(1)", 2, 15, func(rng *rand.Rand) func() float64 {
		return func() float64 { z := rng.NormFloat64(); return z * z }
	}},
	{"lognormal(0,1)", (math.E - 1) * math.E, math.Exp(4) + 2*math.Exp(3) + 3*math.Exp(2) - 3, func(rng *rand.Rand) func() float64 {
		return func() float64 { return math.Exp(rng.NormFloat64()) }
	}},
}

const (
	calTrials = 2000 // simulated experiments per distribution
	calN      = 1000 // observations per sample
)

// calResult holds the rates measured over calTrials simulated experiments,
// each with two independent samples of size calN.
type calResult struct {
	kurtCover float64 // VarianceCI(a, 0.95) contains the true variance
	chiCover  float64 // the chi-square 95% interval for a contains it
	ratioRej  float64 // VarianceRatioTest(a, b) has p < 0.05
}

// chiSquareCI is the textbook normal-theory interval for a variance,
// (n−1)s²/χ²_{n−1}(1∓(1−level)/2), kept here to show why the package does
// not use it.
func chiSquareCI(m Moments, level float64) (lo, hi float64) {
	c := distuv.ChiSquared{K: float64(m.N() - 1)}
	s := m.Variance() * float64(m.N()-1)
	return s / c.Quantile(0.5+level/2), s / c.Quantile(0.5-level/2)
}

var calibration = sync.OnceValue(func() []calResult {
	res := make([]calResult, len(calDists))
	for i, d := range calDists {
		rng := rand.New(rand.NewPCG(2024, uint64(i)))
		draw := d.sampler(rng)
		var kc, cc, rej int
		for range calTrials {
			var a, b Moments
			for range calN {
				a.Add(draw())
			}
			for range calN {
				b.Add(draw())
			}
			if lo, hi := VarianceCI(a, 0.95); lo <= d.variance && d.variance <= hi {
				kc++
			}
			if lo, hi := chiSquareCI(a, 0.95); lo <= d.variance && d.variance <= hi {
				cc++
			}
			if _, p := VarianceRatioTest(a, b); p < 0.05 {
				rej++
			}
		}
		res[i] = calResult{float64(kc) / calTrials, float64(cc) / calTrials, float64(rej) / calTrials}
	}
	return res
})

// binomSE is the standard error of a proportion estimated from calTrials
// trials when the true rate is p.
func binomSE(p float64) float64 { return math.Sqrt(p * (1 - p) / calTrials) }

// TestVarianceCICoverage checks the coverage of the 95% VarianceCI over
// 2000 simulated samples of n = 1000.
//
// The interval is asymptotic. For nearly symmetric data (normal,
// Student-t(10)) it is accurate at n = 1000 and the coverage must lie within
// 4 binomial standard errors (±0.0195) of 0.95: a false failure has
// probability about 6e-5. For skewed data it undercovers, because the
// sample kurtosis is low exactly when s² is low. Reference coverages from a
// separate run of 20000 trials per distribution (SE ≈ 0.0017): normal 0.947,
// t(10) 0.947, exponential (κ = 9) 0.935, chi-square(1) (κ = 15) 0.930,
// lognormal(0, 1) (κ ≈ 114) 0.844. For the exponential and chi-square(1),
// the test asserts coverage ≥ 0.90, more than 4 standard errors (0.0057)
// below their reference values, and no more than 0.95 + 4 SE (the interval
// must not be needlessly wide either). The lognormal is too heavy-tailed for
// any moment-based interval at this n; its coverage is only checked against
// the chi-square interval (TestChiSquareUndercovers). The 8-point
// shortfall is the price of an asymptotic interval; a user whose estimates
// are that heavy-tailed needs more replications.
func TestVarianceCICoverage(t *testing.T) {
	t.Parallel()
	res := calibration()
	tol := 4 * binomSE(0.95)
	for i, d := range calDists {
		c := res[i].kurtCover
		t.Logf("%-15s coverage %.4f (chi-square interval %.4f)", d.name, c, res[i].chiCover)
		switch d.name {
		case "normal", "student-t(10)":
			if math.Abs(c-0.95) > tol {
				t.Errorf("%s: coverage %.4f, want 0.95 ± %.4f", d.name, c, tol)
			}
		case "exponential", "chi-square(1)":
			if c < 0.90 || c > 0.95+tol {
				t.Errorf("%s: coverage %.4f, want in [0.90, %.4f]", d.name, c, 0.95+tol)
			}
		}
	}
}

// TestChiSquareUndercovers shows why VarianceCI does not use the chi-square
// interval: on the same simulated samples, the chi-square interval is fine
// for normal data (within 4 SE of 0.95) but covers far less than 95% for
// skewed or heavy-tailed data (reference values from 20000 trials:
// exponential 0.673, chi-square(1) 0.547, lognormal 0.282, t(10) 0.893),
// while the kurtosis-based interval covers much more often. The difference
// of two coverage rates on the same trials has a standard error at most
// 1/sqrt(2000) = 0.022; both assertions on it are at 4 of those.
func TestChiSquareUndercovers(t *testing.T) {
	t.Parallel()
	res := calibration()
	tol := 4 * binomSE(0.95)
	diffTol := 4 / math.Sqrt(calTrials)
	for i, d := range calDists {
		r := res[i]
		if d.name == "normal" {
			if math.Abs(r.chiCover-0.95) > tol {
				t.Errorf("normal: chi-square coverage %.4f, want 0.95 ± %.4f", r.chiCover, tol)
			}
			continue
		}
		if d.name == "student-t(10)" {
			// Kurtosis 4 is too close to 3 for a 4-SE statement at this size.
			continue
		}
		if r.chiCover > 0.95-tol {
			t.Errorf("%s: chi-square coverage %.4f, expected clear undercoverage (< %.4f)", d.name, r.chiCover, 0.95-tol)
		}
		if r.kurtCover-r.chiCover < diffTol {
			t.Errorf("%s: kurtosis-based coverage %.4f not clearly above chi-square %.4f", d.name, r.kurtCover, r.chiCover)
		}
	}
}

// TestVarianceRatioCalibration checks the type I error of
// VarianceRatioTest at α = 0.05: two independent samples of n = 1000 from
// the same distribution, 2000 times. For normal, t(10) and exponential data
// the rejection rate must be within 4 binomial SE (±0.0195) of 0.05
// (reference rates from 20000 trials: 0.051, 0.052, 0.056). For the heavier
// tails the test is somewhat liberal (references: chi-square(1) 0.059,
// lognormal 0.085); the assertion there is a rate ≤ 0.11, 4 SE (0.0062)
// above the lognormal reference: not wildly off, and a regression check
// built on it should still use Holm's correction and a small α.
func TestVarianceRatioCalibration(t *testing.T) {
	t.Parallel()
	res := calibration()
	tol := 4 * binomSE(0.05)
	for i, d := range calDists {
		r := res[i].ratioRej
		t.Logf("%-15s rejection rate %.4f", d.name, r)
		switch d.name {
		case "normal", "student-t(10)", "exponential":
			if math.Abs(r-0.05) > tol {
				t.Errorf("%s: rejection rate %.4f, want 0.05 ± %.4f", d.name, r, tol)
			}
		default:
			if r > 0.11 {
				t.Errorf("%s: rejection rate %.4f, want ≤ 0.11", d.name, r)
			}
		}
	}
}

// TestVarianceRatioPower checks that the test detects a 20% increase of the
// variance of normal data at n = 1000. The asymptotic power at α = 0.05 is
// Φ(log 1.2/sqrt(4/1000) − 1.96) ≈ 0.82; over 200 trials its SE is 0.027,
// and the assertion (≥ 0.70) is more than 4 SE below.
func TestVarianceRatioPower(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 3))
	const trials = 200
	scale := math.Sqrt(1.2)
	rej := 0
	for range trials {
		var a, b Moments
		for range calN {
			a.Add(rng.NormFloat64())
			b.Add(scale * rng.NormFloat64())
		}
		ratio, p := VarianceRatioTest(a, b)
		if p < 0.05 && ratio > 1 {
			rej++
		}
		// The ratio interval excludes 1 exactly when p < 0.05.
		lo, hi := VarianceRatioCI(a, b, 0.95)
		if (lo <= 1 && 1 <= hi) != (p >= 0.05) || !(lo <= ratio && ratio <= hi) {
			t.Fatalf("VarianceRatioCI [%v, %v] inconsistent with ratio %v, p = %v", lo, hi, ratio, p)
		}
	}
	if power := float64(rej) / trials; power < 0.70 {
		t.Errorf("power against a 20%% variance increase: %.3f, want ≥ 0.70 (about 0.82)", power)
	}
}

func TestCompareVariancesEdges(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	for _, c := range []struct {
		a, b     VarianceSummary
		ratio, p float64
	}{
		{VarianceSummary{10, 0, nan}, VarianceSummary{10, 0, nan}, 1, 1},
		{VarianceSummary{10, 0, nan}, VarianceSummary{10, 2, 3}, math.Inf(1), 0},
		{VarianceSummary{10, 2, 3}, VarianceSummary{10, 0, nan}, 0, 0},
		{VarianceSummary{1, 2, nan}, VarianceSummary{10, 2, 3}, nan, nan},
		{VarianceSummary{10, nan, nan}, VarianceSummary{10, 2, 3}, nan, nan},
		{VarianceSummary{100, 2, 3}, VarianceSummary{100, 2, 3}, 1, 1},
	} {
		r, p := CompareVariances(c.a, c.b)
		same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
		if !same(r, c.ratio) || !same(p, c.p) {
			t.Errorf("CompareVariances(%+v, %+v) = %v, %v, want %v, %v", c.a, c.b, r, p, c.ratio, c.p)
		}
	}
	// An invalid kurtosis (below 1 for a large sample) has no standard error.
	if se := (VarianceSummary{N: 1000, Variance: 1, Kurtosis: 0.5}).LogSE(); !math.IsNaN(se) {
		t.Errorf("LogSE with kurtosis 0.5 = %v, want NaN", se)
	}
	var one Moments
	one.Add(1)
	if lo, hi := VarianceCI(one, 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("VarianceCI of one value = [%v, %v], want NaN", lo, hi)
	}
}

// TestLogSENormal checks the formula against a case where it is exact: for
// normal data Var(s²) = 2σ⁴/(n−1), so with κ = m_4/s⁴ = 3 (a stored
// kurtosis b_2 = 3n²/(n−1)²) the standard error of log s² must be
// sqrt(2/(n−1)) up to rounding.
func TestLogSENormal(t *testing.T) {
	t.Parallel()
	for _, n := range []int{10, 100, 1000} {
		got := VarianceSummary{N: n, Variance: 1, Kurtosis: 3 * float64(n*n) / float64((n-1)*(n-1))}.LogSE()
		want := math.Sqrt(2 / float64(n-1))
		if math.Abs(got-want) > 1e-14*want {
			t.Errorf("n = %d: LogSE = %v, want %v", n, got, want)
		}
	}
}

func TestLevelPanics(t *testing.T) {
	t.Parallel()
	var m Moments
	m.Add(1)
	m.Add(2)
	for _, level := range []float64{0, 1, -0.5, 95, math.NaN()} {
		for name, f := range map[string]func(){
			"VarianceCI":      func() { VarianceCI(m, level) },
			"VarianceRatioCI": func() { VarianceRatioCI(m, m, level) },
			"MeanCI":          func() { MeanCI(m, level) },
			"ZQuantile":       func() { ZQuantile(level) },
			"Holm":            func() { Holm([]float64{0.1}, level) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s with level %v did not panic", name, level)
					}
				}()
				f()
			}()
		}
	}
}
