package claims

import (
	"math"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

// TestUnbiasedOneOutlier: 90 components with a typical spread of
// standardized biases, one of them at 4.02 SE (what a quick reproduce
// produced): the family-wise bias test does not reject, the equivalence
// test does, and the verdict stays "supported". A per-component 4-SE rule
// would have said "not supported".
func TestUnbiasedOneOutlier(t *testing.T) {
	t.Parallel()
	z := normalZ(90)
	z[17] = 4.02
	c := one(claimUnbiased(unbiasedRows("pathwise", 45, z, 0)))
	wantVerdict(t, c, Supported)
	must(t, "measured", c.Measured, "90 components in 45 cells", "largest |bias|/SE 4.02")
	if c.Tests[0].Rejected {
		t.Errorf("bias test rejected (p %g)", c.Tests[0].P)
	}
}

// TestUnbiasedTwoPercent: a real bias of 2% of the gradient (a wrong
// Jacobian factor, 6.3 SE per component) is rejected, on every component
// or on a single cell of 45.
func TestUnbiasedTwoPercent(t *testing.T) {
	t.Parallel()
	c := one(claimUnbiased(unbiasedRows("pathwise", 45, normalZ(90), 0.02)))
	wantVerdict(t, c, NotSupported, "bias detected")

	rows := unbiasedRows("pathwise", 45, normalZ(90), 0)
	for i := range 2 {
		r := &rows[10+i]
		r.Bias += 0.02 * r.Reference
		r.Mean += 0.02 * r.Reference
	}
	c = one(claimUnbiased(rows))
	wantVerdict(t, c, NotSupported, "bias detected")
}

// TestUnbiasedInconclusive: with 100 replications the equivalence margin
// (0.05 sd) is half a standard error: no bias is detected, and none can be
// ruled out.
func TestUnbiasedInconclusive(t *testing.T) {
	t.Parallel()
	rows := unbiasedRows("pathwise", 3, normalZ(6), 0)
	for i := range rows {
		rows[i].Replications = 100
		rows[i].SE = math.Sqrt(rows[i].Variance / 100)
		rows[i].Bias = 0.1 * rows[i].SE
	}
	c := one(claimUnbiased(rows))
	wantVerdict(t, c, Inconclusive, "no bias detected", "0.05 sd not shown")
	if got := one(claimUnbiased(nil)); got.Verdict.Word != Inconclusive {
		t.Errorf("no rows: %q", got.Verdict)
	}
}

// ratioRows returns pathwise and score rows of one family (normal × obj)
// at the given score/pathwise variance ratios, one setting each.
func ratioRows(obj string, reps int, ratios ...float64) []store.Row {
	var out []store.Row
	for i, q := range ratios {
		p := cell{exp: "synthetic", est: "pathwise", dist: "normal", obj: obj, k: float64(i), param: "mu",
			ref: 1, sd: 1, reps: reps, evals: 1, unbiased: true}
		s := p
		s.est, s.sd = "score", math.Sqrt(q)
		out = append(out, p.row(), s.row())
	}
	return out
}

func TestSamples(t *testing.T) {
	t.Parallel()
	// Every family well above 2×: supported.
	many := append(ratioRows("quadratic", 100000, 5, 8, 40), ratioRows("gaussian", 100000, 3, 4)...)
	c := one(claimSamples(many))
	wantVerdict(t, c, Supported, "in both problem families")
	must(t, "measured", c.Measured, "normal × quadratic (3 settings): min 5 [", "normal × gaussian (2 settings): min 3 [")
	// One family with a setting at 0.5: not supported, naming it.
	c = one(claimSamples(append(ratioRows("cos", 100000, 10, 0.5), many...)))
	wantVerdict(t, c, NotSupported, "not supported in 1 of 3 problem families: normal × cos", "supported in 2")
	// A family at 2.02 on 1000 replications: too close to 2 to tell.
	c = one(claimSamples(append(ratioRows("cos", 1000, 2.02, 30), many...)))
	wantVerdict(t, c, Inconclusive, "normal × cos (Holm p")
}

// lowestRows returns a family where every alternative needs ratio× the
// pathwise evaluations at one setting.
func lowestRows(obj string, ratios map[string]float64) []store.Row {
	p := cell{exp: "synthetic", est: "pathwise", dist: "normal", obj: obj, param: "mu",
		ref: 1, sd: 1, reps: 100000, evals: 1, unbiased: true, blocks: 10}
	out := []store.Row{p.row()}
	for _, est := range sortedKeys(ratios) {
		a := p
		a.est, a.sd = est, math.Sqrt(ratios[est])
		if est == "mvd" {
			a.evals = 4
			a.sd = math.Sqrt(ratios[est] / 4)
		}
		out = append(out, a.row())
	}
	return out
}

func TestLowest(t *testing.T) {
	t.Parallel()
	win := func(obj string) []store.Row { return lowestRows(obj, map[string]float64{"score": 5, "mvd": 3}) }
	lose := lowestRows("cos", map[string]float64{"score": 0.2, "mvd": 3})
	// Usually (2 of 3 families), not always (1 beaten): supported.
	c := one(claimLowest(append(append(win("quadratic"), win("gaussian")...), lose...)))
	wantVerdict(t, c, Supported, "lowest throughout in 2 of 3", "beaten in 1 (normal × cos)")
	// Always: not supported ("always, not usually").
	c = one(claimLowest(append(win("quadratic"), win("gaussian")...)))
	wantVerdict(t, c, NotSupported, "always, not usually")
	// Beaten in half the families: not supported.
	c = one(claimLowest(append(win("quadratic"), lose...)))
	wantVerdict(t, c, NotSupported, "beaten in 1")
	// A family where the best alternative is within noise of pathwise:
	// inconclusive.
	tie := lowestRows("tie", map[string]float64{"score": 1.0})
	c = one(claimLowest(append(append(win("quadratic"), tie...), lose...)))
	wantVerdict(t, c, Inconclusive, "undecided: normal × tie")
}

// TestScoreOptimalCharged: score+optimal with half pathwise's variance per
// sample is charged the ≈ n(L−1)/2 evaluations its baseline uses, so
// pathwise stays the lower-variance choice per evaluation; without block
// statistics it is left out.
func TestScoreOptimalCharged(t *testing.T) {
	t.Parallel()
	rows := lowestRows("quadratic", map[string]float64{"score+optimal": 0.5})
	so := &rows[1]
	if got, want := evaluations(so), 1+float64(10000-1)/2; got != want {
		t.Errorf("evaluations(score+optimal, 10 blocks of 10⁴) = %g, want %g", got, want)
	}
	if c := one(claimLowest(rows)); !c.Tests[0].Rejected || c.Tests[0].Side != For {
		t.Errorf("pathwise should be shown lowest: %s", c.Measured)
	}
	so.BlockMeans = nil
	c := one(claimLowest(rows))
	must(t, "measured", c.Measured, "score+optimal left out: block size unknown")
}

// stepRows: pathwise returns 0 (SE 0) against the exact gradient; the
// score function has the given standardized bias at every component.
func stepRows(pathwiseMean float64, scoreZ float64) []store.Row {
	var out []store.Row
	for i, ref := range []float64{0.242, -0.242, 0.399, 0} {
		p := cell{exp: ClaimsStep, est: "pathwise", dist: "normal", obj: "step-ae", k: float64(i / 2), param: []string{"mu", "sigma"}[i%2],
			ref: ref, reps: 100000, evals: 1, unbiased: true}
		p.bias = pathwiseMean - ref
		p.sd = 0
		if pathwiseMean != 0 {
			p.sd = 0.5
		}
		s := p
		s.est, s.sd = "score", 0.8
		s.bias = scoreZ * s.sd / math.Sqrt(float64(s.reps))
		out = append(out, p.row(), s.row())
	}
	return out
}

func TestStep(t *testing.T) {
	t.Parallel()
	c := one(claimStep(stepRows(0, 0.5)))
	wantVerdict(t, c, Supported)
	must(t, "measured", c.Measured, "pathwise wrong at the 3 nonzero components: supported")
	// The score function biased by 8 SE everywhere: not supported.
	c = one(claimStep(stepRows(0, 8)))
	wantVerdict(t, c, NotSupported, "score function: bias detected")
	// Pathwise right where the gradient is 0.242: not shown wrong.
	rows := stepRows(0, 0.5)
	for i := range rows {
		if rows[i].Estimator == "pathwise" && rows[i].Reference == 0.242 {
			rows[i].Mean, rows[i].Bias, rows[i].SE, rows[i].Variance = 0.242, 0, 0.001, 0.1
		}
	}
	c = one(claimStep(rows))
	wantVerdict(t, c, Inconclusive, "pathwise not shown wrong")
}

// discreteRows returns one cell per k of a Bernoulli problem: an unbiased
// estimator with variance unbVar and a relaxation with bias relaxBias and
// variance relaxVar, at equal evaluations, with 20 blocks.
func discreteRows(exp string, ref, unbVar, relaxBias, relaxVar float64, ks ...float64) []store.Row {
	var out []store.Row
	for _, k := range ks {
		base := cell{exp: exp, dist: "bernoulli", obj: "quadratic", k: k, param: "logit", ref: ref, reps: 20000, blocks: 20}
		out = append(out,
			cell{est: "score+loo", sd: math.Sqrt(unbVar), evals: 2, unbiased: true}.on(base).row(),
			cell{est: "gs-1", sd: math.Sqrt(relaxVar), bias: relaxBias, evals: 2}.on(base).row(),
		)
	}
	return out
}

func TestDiscrete(t *testing.T) {
	t.Parallel()
	// The relaxation's small bias and variance beat the unbiased
	// estimator's variance at both cells: supported.
	win := discreteRows("toy", 0.005, 1e-2, 1e-3, 1e-4, 0.45, 0.49)
	c := one(claimDiscrete([]string{"toy"}, [][]store.Row{win}))
	wantVerdict(t, c, Supported)
	must(t, "measured", c.Measured, "toy (2 cells)", "among relaxations gs-1 at 2")
	// Its bias alone exceeds the unbiased estimator's MSE: not supported.
	lose := discreteRows("toy", 0.005, 1e-6, 1e-2, 1e-4, 0.45, 0.49)
	c = one(claimDiscrete([]string{"toy"}, [][]store.Row{lose}))
	wantVerdict(t, c, NotSupported, "toy")
	// A zero exact gradient everywhere: left out, nothing to decide.
	zero := discreteRows("zero", 0, 1e-2, 1e-3, 1e-4, 0.45)
	c = one(claimDiscrete([]string{"zero"}, [][]store.Row{zero}))
	wantVerdict(t, c, Inconclusive, "no non-degenerate problem")
	must(t, "measured", c.Measured, "1 cell with a zero exact gradient left out")
	// MuProp exact: the objective is linear, the cell is left out.
	linear := append(slices2(win), cell{exp: "toy", est: "muprop", dist: "bernoulli", obj: "quadratic", k: 0.45, param: "logit",
		ref: 0.005, reps: 20000, blocks: 20, evals: 3, unbiased: true}.row())
	c = one(claimDiscrete([]string{"toy"}, [][]store.Row{linear}))
	must(t, "measured", c.Measured, "1 cell with an objective linear in x (muprop exact) left out", "toy (1 cell)")
	// Without block statistics there is no test.
	for i := range win {
		win[i].BlockMeans = nil
	}
	c = one(claimDiscrete([]string{"toy"}, [][]store.Row{win}))
	wantVerdict(t, c, Inconclusive)
	must(t, "measured", c.Measured, "no block statistics")
}

func slices2(r []store.Row) []store.Row { return append([]store.Row(nil), r...) }

func TestVAEGaussian(t *testing.T) {
	t.Parallel()
	c := one(claimVAEGaussian(newModelResults(ClaimsVAEGaussian, gaussianVAE())))
	wantVerdict(t, c, Supported, "in all 3 comparisons")
	must(t, "measured", c.Measured, "3 seeds", "step 2000", "score recovers 5% of pathwise's gain")
	// A variant as good as pathwise: no significant gap, inconclusive.
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		ss = append(ss,
			series{"pathwise", seed, "test_iw", curve(-540, -115, 300, jitter(seed))},
			series{"score+ma", seed, "test_iw", curve(-540, -115, 300, -jitter(seed))})
	}
	c = one(claimVAEGaussian(newModelResults(ClaimsVAEGaussian, metrics(ClaimsVAEGaussian, 100, 2000, nil, ss))))
	wantVerdict(t, c, Inconclusive, "score+ma (Holm p")
	// A variant better than pathwise at equal evaluations: not supported.
	ss = ss[:0]
	for seed := 1; seed <= 3; seed++ {
		ss = append(ss,
			series{"pathwise", seed, "test_iw", curve(-540, -115, 300, jitter(seed))},
			series{"score+loo", seed, "test_iw", curve(-540, -105, 300, jitter(seed)+0.1*float64(seed))})
	}
	c = one(claimVAEGaussian(newModelResults(ClaimsVAEGaussian, metrics(ClaimsVAEGaussian, 100, 2000, nil, ss))))
	wantVerdict(t, c, NotSupported, "score+loo")
	// One seed: nothing to test across seeds.
	c = one(claimVAEGaussian(newModelResults(ClaimsVAEGaussian, metrics(ClaimsVAEGaussian, 100, 2000, nil, ss[:2]))))
	wantVerdict(t, c, Inconclusive, "1 seed: no test across seeds")
}

// TestVAEGaussianEqualEvaluations: score+loo costs twice pathwise's
// evaluations per step; at pathwise's final count it has trained half the
// steps, and its curve is read there, not at its own end.
func TestVAEGaussianEqualEvaluations(t *testing.T) {
	t.Parallel()
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		ss = append(ss,
			series{"pathwise", seed, "test_iw", curve(-540, -115, 300, jitter(seed))},
			series{"score+loo", seed, "test_iw", curve(-540, -115, 300, -jitter(seed)+0.01*float64(seed))},
		)
	}
	c := one(claimVAEGaussian(newModelResults(ClaimsVAEGaussian, metrics(ClaimsVAEGaussian, 100, 2000, map[string]float64{"pathwise": 100, "score+loo": 200}, ss))))
	must(t, "measured", c.Measured, "pathwise − score+loo at equal evaluations (3 seeds) +14.", "recovers 97%")
}

func TestVAEGaussianStoppedRuns(t *testing.T) {
	t.Parallel()
	// A run that diverged (NaN) is left out of the comparison and counted.
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		ss = append(ss, series{"pathwise", seed, "test_iw", curve(-540, -115, 300, jitter(seed))})
		score := curve(-540, -400, 300, jitter(seed))
		if seed == 2 {
			score = func(step int) float64 {
				if step >= 1500 {
					return math.NaN()
				}
				return -500
			}
		}
		ss = append(ss, series{"score", seed, "test_iw", score})
	}
	c := one(claimVAEGaussian(newModelResults(ClaimsVAEGaussian, metrics(ClaimsVAEGaussian, 100, 2000, nil, ss))))
	must(t, "measured", c.Measured, "score: 1 of 3 runs stopped early, left out", "pathwise − score at equal evaluations (2 seeds)")
}

func TestBLR(t *testing.T) {
	t.Parallel()
	c := one(claimBLR(newModelResults(ClaimsBLR, blrMetrics(0, 30))))
	wantVerdict(t, c, Supported, "in all 3 parts")
	must(t, "measured", c.Measured, "equivalence within ±1 nat: supported", "min 200 (step 0)")
	// mvd 3 nats lower: the equivalence is refuted; score+ma below 10× at
	// one step: not supported.
	c = one(claimBLR(newModelResults(ClaimsBLR, blrMetrics(-3, 4))))
	wantVerdict(t, c, NotSupported, "ELBO", "score+ma variance")
	// mvd 0.97 nat lower, within the margin but not by enough to show it
	// on 3 seeds: inconclusive.
	c = one(claimBLR(newModelResults(ClaimsBLR, blrMetrics(-0.97, 30))))
	wantVerdict(t, c, Inconclusive, "ELBO (Holm p")
}

func TestVAEBernoulli(t *testing.T) {
	t.Parallel()
	exps := []*modelResults{
		newModelResults(ClaimsVAEBernoulli[0], bernoulliVAE(ClaimsVAEBernoulli[0], 1)),
		newModelResults(ClaimsVAEBernoulli[1], bernoulliVAE(ClaimsVAEBernoulli[1], -1)),
	}
	c := one(claimVAEBernoulli(exps))
	wantVerdict(t, c, NotSupported, "vae-bernoulli-nonlinear train_elbo", "supported in 2")
	must(t, "measured", c.Measured,
		"by final test IW bound (mean over seeds): relax (-119) > disarm (-119.8) > arm (-121) > gumbel-softmax (-130.9)",
		"gumbel-softmax (0.5) < relax (2) < disarm (3) < arm (5)")
	c = one(claimVAEBernoulli(exps[:1]))
	wantVerdict(t, c, Supported)
	// A gain of 0.01 nat against seed noise of ±0.3: inconclusive, whatever
	// the sign of the mean.
	c = one(claimVAEBernoulli([]*modelResults{newModelResults("v", bernoulliNoisy(0.01))}))
	wantVerdict(t, c, Inconclusive)
}

// bernoulliNoisy is a Bernoulli VAE where DisARM's gain over ARM is gain
// plus noise that differs by seed.
func bernoulliNoisy(gain float64) []store.Metric {
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		for _, est := range []string{"arm", "disarm"} {
			off := 0.0
			if est == "disarm" {
				off = gain + jitter(seed)
			}
			ss = append(ss,
				series{est, seed, "train_elbo", curve(-540, -120, 300, off)},
				series{est, seed, "test_iw", curve(-540, -118, 300, off)})
		}
	}
	return metrics("v", 100, 1000, nil, ss)
}

func TestTwoSided(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pFor, pAgainst, p float64
		side              Side
	}{
		{0.01, 0.99, 0.02, For},
		{0.7, 0.001, 0.002, Against},
		{0.6, 0.6, 1, For},
	} {
		if p, s := twoSided(tc.pFor, tc.pAgainst); math.Abs(p-tc.p) > 1e-15 || s != tc.side {
			t.Errorf("twoSided(%g, %g) = %g, %d; want %g, %d", tc.pFor, tc.pAgainst, p, s, tc.p, tc.side)
		}
	}
	if p, _ := twoSided(math.NaN(), math.NaN()); !math.IsNaN(p) {
		t.Errorf("twoSided(NaN, NaN) = %g", p)
	}
}

func TestEvery(t *testing.T) {
	t.Parallel()
	ps := []part{{"a", Supported, ""}, {"b", Supported, ""}}
	if v := every(ps, "part"); v.Word != Supported {
		t.Errorf("%q", v)
	}
	ps = append(ps, part{"c", Inconclusive, "1 seed"})
	if v := every(ps, "part"); v.Word != Inconclusive || !strings.Contains(v.Reason, "c (1 seed)") {
		t.Errorf("%q", v)
	}
	ps = append(ps, part{"d", NotSupported, ""})
	if v := every(ps, "part"); v.Word != NotSupported || !strings.HasPrefix(v.Reason, "not supported in 1 of 4 parts: d") {
		t.Errorf("%q", v)
	}
	if v := every(nil, "part"); v.Word != Inconclusive {
		t.Errorf("%q", v)
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	lines := wrap("aaa bbb ccc dddddddddddd e", 7, "  ")
	want := []string{"aaa bbb", "  ccc", "  ddddd", "  ddddd", "  dd e"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("wrap = %q, want %q", lines, want)
	}
	if got := wrap("", 10, ""); len(got) != 1 || got[0] != "" {
		t.Errorf("wrap(\"\") = %q", got)
	}
}

// TestImplicit checks claim (i)'s rules on synthetic cells: pathwise
// unbiased and mt-naive biased by 8% of the reference is supported;
// pathwise biased by 8% is not supported; mt-naive unbiased leaves the
// claim inconclusive.
func TestImplicit(t *testing.T) {
	t.Parallel()
	z := normalZ(40)
	rows := func(pathwiseBias, naiveBias float64) []store.Row {
		return append(unbiasedRows("pathwise", 20, z, pathwiseBias), unbiasedRows("mt-naive", 20, z, naiveBias)...)
	}
	c := one(claimImplicit(ClaimsImplicit, rows(0, 0.08)))
	wantVerdict(t, c, Supported)
	must(t, "measured", c.Measured, "pathwise: 40 components in 20 cells", "mt-naive: largest |bias|/SE")
	wantVerdict(t, one(claimImplicit(ClaimsImplicit, rows(0.08, 0.08))), NotSupported, "bias detected")
	wantVerdict(t, one(claimImplicit(ClaimsImplicit, rows(0, 0))), Inconclusive, "the contrast's bias not detected")
}
