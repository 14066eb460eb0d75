package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestZQuantileAndP(t *testing.T) {
	t.Parallel()
	// Standard values (Abramowitz and Stegun, table 26.1).
	for _, c := range []struct{ level, z float64 }{
		{0.95, 1.959963984540054},
		{0.99, 2.5758293035489004},
		{0.6826894921370859, 1},
	} {
		if got := ZQuantile(c.level); math.Abs(got-c.z) > 1e-12 {
			t.Errorf("ZQuantile(%v) = %v, want %v", c.level, got, c.z)
		}
		if got := NormalTwoSidedP(c.z); math.Abs(got-(1-c.level)) > 1e-14 {
			t.Errorf("NormalTwoSidedP(%v) = %v, want %v", c.z, got, 1-c.level)
		}
		if got := NormalTwoSidedP(-c.z); math.Abs(got-(1-c.level)) > 1e-14 {
			t.Errorf("NormalTwoSidedP(%v) = %v, want %v", -c.z, got, 1-c.level)
		}
	}
	// Far tail: 2Φ(−10) = 1.523970604832105e-23, computed without
	// cancellation.
	if got, want := NormalTwoSidedP(10), 1.523970604832105e-23; math.Abs(got-want) > 1e-12*want {
		t.Errorf("NormalTwoSidedP(10) = %v, want %v", got, want)
	}
	if p := NormalTwoSidedP(38); !(p > 0) {
		t.Errorf("NormalTwoSidedP(38) = %v, want > 0", p)
	}
	if p := NormalTwoSidedP(math.Inf(-1)); p != 0 {
		t.Errorf("NormalTwoSidedP(-Inf) = %v, want 0", p)
	}
	if p := NormalTwoSidedP(math.NaN()); !math.IsNaN(p) {
		t.Errorf("NormalTwoSidedP(NaN) = %v, want NaN", p)
	}
}

func TestZTestEdges(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ est, se, ref, refSE, z, p float64 }{
		{1, 0, 1, 0, 0, 1},
		{2, 0, 1, 0, math.Inf(1), 0},
		{0, 0, 1, 0, math.Inf(-1), 0},
		{1.3, 0.3, 1, 0.4, 0.6, NormalTwoSidedP(0.6)},
	} {
		z, p := ZTest(c.est, c.se, c.ref, c.refSE)
		if math.Abs(z-c.z) > 1e-15 && z != c.z || math.Abs(p-c.p) > 1e-15 {
			t.Errorf("ZTest(%v, %v, %v, %v) = %v, %v, want %v, %v", c.est, c.se, c.ref, c.refSE, z, p, c.z, c.p)
		}
	}
	if z, p := ZTest(math.NaN(), 1, 0, 0); !math.IsNaN(z) || !math.IsNaN(p) {
		t.Errorf("ZTest with NaN = %v, %v, want NaN", z, p)
	}
	var one Moments
	one.Add(1)
	if z, p := MeanZTest(one, 1, 0); !math.IsNaN(z) || !math.IsNaN(p) {
		t.Errorf("MeanZTest of one value = %v, %v, want NaN", z, p)
	}
	if lo, hi := MeanCI(one, 0.9); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("MeanCI of one value = [%v, %v], want NaN", lo, hi)
	}
}

// TestMeanZTestCalibration checks the type I error of MeanZTest at α = 0.05
// on skewed data (exponential, n = 1000, true mean 1, exact reference): over
// 2000 trials the rejection rate must be within 4 binomial SE (±0.0195) of
// 0.05; a false failure has probability about 6e-5. A second reference with
// its own standard error (as from a Monte Carlo reference run) is checked
// the same way.
func TestMeanZTestCalibration(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 8))
	const trials = 2000
	tol := 4 * math.Sqrt(0.05*0.95/trials)
	rejExact, rejMC := 0, 0
	for range trials {
		var m Moments
		for range 1000 {
			m.Add(rng.ExpFloat64())
		}
		if _, p := MeanZTest(m, 1, 0); p < 0.05 {
			rejExact++
		}
		// A reference from an independent run of 500 draws.
		var ref Moments
		for range 500 {
			ref.Add(rng.ExpFloat64())
		}
		if _, p := MeanZTest(m, ref.Mean(), ref.SE()); p < 0.05 {
			rejMC++
		}
	}
	for name, r := range map[string]int{"exact reference": rejExact, "Monte Carlo reference": rejMC} {
		rate := float64(r) / trials
		if math.Abs(rate-0.05) > tol {
			t.Errorf("%s: rejection rate %.4f, want 0.05 ± %.4f", name, rate, tol)
		}
	}
}

// TestMeanCICoverage checks the Student t interval where the t quantile
// matters: normal samples of n = 5, 4000 trials. The coverage of the 95%
// interval must be within 4 binomial SE (±0.0138) of 0.95. (A normal
// quantile would give about 0.88 here.)
func TestMeanCICoverage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(6, 1))
	const trials = 4000
	cover := 0
	for range trials {
		var m Moments
		for range 5 {
			m.Add(2 + 3*rng.NormFloat64())
		}
		if lo, hi := MeanCI(m, 0.95); lo <= 2 && 2 <= hi {
			cover++
		}
	}
	c := float64(cover) / trials
	if tol := 4 * math.Sqrt(0.05*0.95/trials); math.Abs(c-0.95) > tol {
		t.Errorf("MeanCI coverage %.4f, want 0.95 ± %.4f", c, tol)
	}
}

// TestBatchMeansTestCalibration: batch means of 200 lognormal(0, 1.5)
// observations, 20 batches, tested against the true mean: rejection rate at
// α = 0.01 over 4000 trials within 4 binomial SE (0.0063) of 0.01 — while
// the z-test on the pooled observations rejects more often (skewness). The
// seed is fixed.
func TestBatchMeansTestCalibration(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	const trials, B, per = 4000, 20, 200
	mean := math.Exp(1.5 * 1.5 / 2)
	rej := 0
	xs := make([]float64, B)
	for range trials {
		for b := range xs {
			s := 0.0
			for range per {
				s += math.Exp(1.5 * rng.NormFloat64())
			}
			xs[b] = s / per
		}
		if _, p := BatchMeansTest(xs, mean, 0); p <= 0.01 {
			rej++
		}
	}
	rate := float64(rej) / trials
	if se := math.Sqrt(0.01 * 0.99 / trials); math.Abs(rate-0.01) > 4*se {
		t.Errorf("rejection rate %.4f, want 0.01 ± %.4f", rate, 4*se)
	}
}
