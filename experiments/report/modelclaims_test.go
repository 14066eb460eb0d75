package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

// series is one run of one metric in a synthetic metrics.csv: value(step).
type series struct {
	est    string
	seed   int
	metric string
	value  func(step int) float64
}

// writeMetrics writes dir/name/metrics.csv with the series evaluated at
// steps 0, every, 2·every, …, last; each step costs evalsPerStep[est]
// evaluations (1 if absent).
func writeMetrics(t *testing.T, dir, name string, every, last int, evalsPerStep map[string]float64, ss []series) {
	t.Helper()
	var b strings.Builder
	b.WriteString("experiment,estimator,seed,step,evals,metric,value\n")
	for _, s := range ss {
		per := evalsPerStep[s.est]
		if per == 0 {
			per = 1
		}
		for step := 0; step <= last; step += every {
			fmt.Fprintf(&b, "%s,%s,%d,%d,%g,%s,%g\n", name, s.est, s.seed, step, per*float64(step), s.metric, s.value(step))
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, store.MetricsFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// curve rises from start to end along 1 − exp(−step/scale), shifted by off.
func curve(start, end, scale, off float64) func(int) float64 {
	return func(step int) float64 {
		return start + (end-start)*(1-math.Exp(-float64(step)/scale)) + off
	}
}

// jitter is a fixed per-seed offset, so that the synthetic seeds differ.
func jitter(seed int) float64 { return []float64{0.3, -0.2, 0.1, -0.4, 0.2}[seed%5] }

func gaussianVAEFixture(t *testing.T, dir string) {
	t.Helper()
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		j := jitter(seed)
		ss = append(ss,
			series{"pathwise", seed, "test_iw", curve(-540, -115, 300, j)},
			// Barely moves: recovers a few per cent of pathwise's gain.
			series{"score", seed, "test_iw", curve(-540, -520, 300, j)},
			// Trains, more slowly: over half the gain at equal evaluations.
			series{"score+loo", seed, "test_iw", curve(-540, -125, 600, 2*j)},
			// As good as pathwise: no significant gap.
			series{"score+ma", seed, "test_iw", curve(-540, -115, 300, -j)},
		)
	}
	writeMetrics(t, dir, ClaimsVAEGaussian, 100, 2000, map[string]float64{"pathwise": 100, "score": 100, "score+loo": 100, "score+ma": 100}, ss)
}

func TestClaimVAEGaussian(t *testing.T) {
	dir := t.TempDir()
	gaussianVAEFixture(t, dir)
	rows, err := modelClaims(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1 (only the Gaussian VAE has results)", len(rows))
	}
	row := rows[0]
	if !strings.HasPrefix(row[0], "(f)") || row[1] != ClaimsVAEGaussian {
		t.Fatalf("row %q", row[:2])
	}
	for _, want := range []string{"score: does not", "score+ma: not supported (no significant gap)", "score+loo: does so slower"} {
		if !strings.Contains(row[3], want) {
			t.Errorf("verdict %q lacks %q", row[3], want)
		}
	}
	for _, want := range []string{"3 seeds", "step 2000", "pathwise higher in 3 of 3 seeds"} {
		if !strings.Contains(row[2], want) {
			t.Errorf("measured text lacks %q:\n%s", want, row[2])
		}
	}
}

func TestClaimVAEGaussianEqualEvaluations(t *testing.T) {
	// score+loo costs twice pathwise's evaluations per step: at pathwise's
	// final count it has trained half the steps, and its curve is read
	// there, not at its own end.
	dir := t.TempDir()
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		j := jitter(seed)
		ss = append(ss,
			series{"pathwise", seed, "test_iw", curve(-540, -115, 300, j)},
			series{"score+loo", seed, "test_iw", curve(-540, -115, 300, -j)},
		)
	}
	writeMetrics(t, dir, ClaimsVAEGaussian, 100, 2000, map[string]float64{"pathwise": 100, "score+loo": 200}, ss)
	r, err := loadModel(dir, ClaimsVAEGaussian)
	if err != nil {
		t.Fatal(err)
	}
	row := claimVAEGaussian(r)
	// Same curve against the step, so equal steps show no gap; at equal
	// evaluations score+loo is at step 1000, where the curve is within
	// 0.5% of its end: a small but consistent gap.
	if !strings.Contains(row[2], "at equal steps +0") && !strings.Contains(row[2], "at equal steps -0") {
		t.Errorf("equal-steps difference should be near zero:\n%s", row[2])
	}
	if !strings.Contains(row[3], "score+loo: does so slower") {
		t.Errorf("verdict %q", row[3])
	}
}

func TestClaimVAEGaussianNoTraining(t *testing.T) {
	// Pathwise does not improve on the initial bound: the claim's premise
	// fails and the verdict says so.
	dir := t.TempDir()
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		ss = append(ss,
			series{"pathwise", seed, "test_iw", curve(-540, -545, 300, jitter(seed))},
			series{"score", seed, "test_iw", curve(-540, -600, 300, jitter(seed))},
		)
	}
	writeMetrics(t, dir, ClaimsVAEGaussian, 100, 1000, nil, ss)
	r, err := loadModel(dir, ClaimsVAEGaussian)
	if err != nil {
		t.Fatal(err)
	}
	if row := claimVAEGaussian(r); !strings.HasPrefix(row[3], "not supported: pathwise did not improve") {
		t.Errorf("verdict %q", row[3])
	}
}

func blrFixture(t *testing.T, dir string, mvdOffset, scoreMARatioLow float64) {
	t.Helper()
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		j := 0.05 * jitter(seed)
		ss = append(ss,
			series{"pathwise", seed, "elbo", curve(-400, -67.6, 1000, j)},
			series{"mvd", seed, "elbo", curve(-400, -67.6, 1000, mvdOffset-j)},
			series{"pathwise", seed, "elbo_se", func(int) float64 { return 0.05 }},
			series{"mvd", seed, "elbo_se", func(int) float64 { return 0.05 }},
			series{"pathwise", seed, "var_mu", func(step int) float64 { return 1 + float64(step)/1000 }},
			series{"mvd", seed, "var_mu", func(step int) float64 { return 1.2 * (1 + float64(step)/1000) }},
			series{"score", seed, "var_mu", func(step int) float64 { return 200 * (1 + float64(step)/1000) }},
			series{"score+ma", seed, "var_mu", func(step int) float64 {
				if step == 2500 {
					return scoreMARatioLow * (1 + float64(step)/1000)
				}
				return 30 * (1 + float64(step)/1000)
			}},
		)
	}
	writeMetrics(t, dir, ClaimsBLR, 250, 5000, nil, ss)
}

func TestClaimBLR(t *testing.T) {
	dir := t.TempDir()
	blrFixture(t, dir, 0, 4)
	r, err := loadModel(dir, ClaimsBLR)
	if err != nil {
		t.Fatal(err)
	}
	row := claimBLR(r)
	for _, want := range []string{
		"ELBO: supported (no significant difference",
		"score variance: supported",
		"score+ma variance: not supported (below 10× at 1 of 21 steps)",
	} {
		if !strings.Contains(row[3], want) {
			t.Errorf("verdict %q lacks %q", row[3], want)
		}
	}
	if !strings.Contains(row[2], "min 200 (step 0)") {
		t.Errorf("score's minimum ratio should be 200 at step 0:\n%s", row[2])
	}
}

func TestClaimBLRDifferentELBO(t *testing.T) {
	dir := t.TempDir()
	blrFixture(t, dir, -1, 30)
	r, err := loadModel(dir, ClaimsBLR)
	if err != nil {
		t.Fatal(err)
	}
	row := claimBLR(r)
	for _, want := range []string{"ELBO: not supported (pathwise significantly higher)", "score+ma variance: supported"} {
		if !strings.Contains(row[3], want) {
			t.Errorf("verdict %q lacks %q", row[3], want)
		}
	}
}

func bernoulliFixture(t *testing.T, dir, name string, disarmGain float64) {
	t.Helper()
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		j := jitter(seed)
		for _, e := range []struct {
			est        string
			end, v     float64
			extraNoise float64
		}{
			{"arm", -120, 5, 0},
			{"disarm", -120 + disarmGain, 3, 0.1},
			{"relax", -118, 2, 0},
			{"gumbel-softmax", -130, 0.5, 0},
		} {
			ss = append(ss,
				series{e.est, seed, "train_elbo", curve(-540, e.end, 300, j+e.extraNoise*float64(seed))},
				series{e.est, seed, "test_iw", curve(-540, e.end+2, 300, j+e.extraNoise*float64(seed))},
				series{e.est, seed, "var_enc", func(int) float64 { return e.v }},
			)
		}
	}
	writeMetrics(t, dir, name, 100, 1500, nil, ss)
}

func TestClaimVAEBernoulli(t *testing.T) {
	dir := t.TempDir()
	bernoulliFixture(t, dir, ClaimsVAEBernoulli[0], 1)
	bernoulliFixture(t, dir, ClaimsVAEBernoulli[1], -1)
	rows, err := modelClaims(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.HasPrefix(rows[0][0], "(h)") {
		t.Fatalf("rows %q", rows)
	}
	row := rows[0]
	if row[1] != strings.Join(ClaimsVAEBernoulli, ", ") {
		t.Errorf("experiments %q", row[1])
	}
	for _, want := range []string{
		ClaimsVAEBernoulli[0] + ": train_elbo supported (significantly higher), test_iw supported (significantly higher)",
		ClaimsVAEBernoulli[1] + ": train_elbo not supported (significantly lower), test_iw not supported (significantly lower)",
	} {
		if !strings.Contains(row[3], want) {
			t.Errorf("verdict %q lacks %q", row[3], want)
		}
	}
	for _, want := range []*regexp.Regexp{
		// The linear experiment's ranking by the final bound, and both
		// experiments' ranking by variance.
		regexp.MustCompile(`test IW bound \(mean over seeds\): relax \([-.0-9]+\) > disarm \([-.0-9]+\) > arm \([-.0-9]+\) > gumbel-softmax \([-.0-9]+\); `),
		regexp.MustCompile(`test IW bound \(mean over seeds\): relax \([-.0-9]+\) > arm \([-.0-9]+\) > disarm \([-.0-9]+\) > gumbel-softmax \([-.0-9]+\); `),
		regexp.MustCompile(`gumbel-softmax \(0.5\) < relax \(2\) < disarm \(3\) < arm \(5\)`),
	} {
		if !want.MatchString(row[2]) {
			t.Errorf("measured text does not match %s:\n%s", want, row[2])
		}
	}
}

func TestDisarmVerdict(t *testing.T) {
	for _, tc := range []struct {
		m, h float64
		n    int
		want string
	}{
		{0, math.NaN(), 0, "no data"},
		{0.5, math.NaN(), 1, "holds on 1 seed (untested)"},
		{-0.5, math.NaN(), 1, "fails on 1 seed (untested)"},
		{1, 0.5, 3, "supported (significantly higher)"},
		{0.2, 0.5, 3, "supported on average (not significant, 3 seeds)"},
		{-1, 0.5, 3, "not supported (significantly lower)"},
		{-0.2, 0.5, 3, "not supported on average (lower, not significant, 3 seeds)"},
	} {
		if got := disarmVerdict(tc.m, tc.h, tc.n); got != tc.want {
			t.Errorf("disarmVerdict(%g, %g, %d) = %q, want %q", tc.m, tc.h, tc.n, got, tc.want)
		}
	}
}

func TestModelClaimsMissing(t *testing.T) {
	dir := t.TempDir()
	rows, err := modelClaims(dir)
	if err != nil || len(rows) != 0 {
		t.Fatalf("no results: rows %q, err %v; want none and no error", rows, err)
	}
	// A results folder without its metrics.csv is an error, not a silent
	// omission.
	if err := os.MkdirAll(filepath.Join(dir, ClaimsBLR), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := modelClaims(dir); err == nil || !strings.Contains(err.Error(), store.MetricsFile) {
		t.Fatalf("folder without %s: err %v", store.MetricsFile, err)
	}
}

func TestModelClaimsStoppedRuns(t *testing.T) {
	// A run that diverged (NaN) is left out of the comparison and counted.
	dir := t.TempDir()
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
	writeMetrics(t, dir, ClaimsVAEGaussian, 100, 2000, nil, ss)
	r, err := loadModel(dir, ClaimsVAEGaussian)
	if err != nil {
		t.Fatal(err)
	}
	row := claimVAEGaussian(r)
	if !strings.Contains(row[2], "score: 1 of 3 runs stopped early, left out") {
		t.Errorf("measured text should count the stopped run:\n%s", row[2])
	}
	if !strings.Contains(row[2], "pathwise higher in 2 of 2 seeds") {
		t.Errorf("the comparison should pair the 2 seeds that finished:\n%s", row[2])
	}
}
