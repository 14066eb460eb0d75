package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// rows returns a small synthetic results set: two estimators on two cells
// (two components each), a third estimator skipped for one component, a
// fourth skipped for a whole cell (no component), and non-finite
// estimates of the score function at the second k.
func rows() []store.Row {
	mk := func(est string, k float64, param string, v float64) store.Row {
		return store.Row{
			Experiment: "demo", Estimator: est, Unbiased: true, Distribution: "normal", Objective: "quadratic",
			Dist: []store.KV{{Name: "mu", Value: 1}, {Name: "sigma", Value: 1}},
			Obj:  []store.KV{{Name: "k", Value: k}},
			N:    10, Replications: 1000, Param: param,
			Mean: 2.0123, Reference: 2, ReferenceMethod: "closed", Bias: 0.0123,
			Variance: v, VarianceLo: v * 0.92, VarianceHi: v * 1.09, SE: math.Sqrt(v / 1000),
			Evals: 10, VarTimesEvals: v * 10,
		}
	}
	rs := []store.Row{
		mk("score", 2, "mu", 1.234567), mk("score", 2, "sigma", 3.5e-5),
		mk("pathwise", 2, "mu", 0.4), mk("pathwise", 2, "sigma", 0.80001),
		mk("score", 3, "mu", 12345678), mk("score", 3, "sigma", 7.25),
		mk("pathwise", 3, "mu", 0.4), mk("pathwise", 3, "sigma", 0.8),
	}
	rs[4].Nonfinite = 3
	rs[4].ReferenceMethod, rs[4].ReferenceSE = "montecarlo", 0.0042
	sk := mk("mvd", 2, "mu", 0)
	sk.Skipped = "objective not supported"
	sk.Mean, sk.Bias, sk.Variance, sk.VarianceLo, sk.VarianceHi = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	whole := mk("score+loo", 2, "", 0)
	whole.Skipped = "needs n ≥ 2"
	whole.Mean, whole.Bias, whole.Variance, whole.VarianceLo, whole.VarianceHi = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	return append(rs, sk, whole)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func write(t *testing.T, tab *table.Table, f table.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tab.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFullGolden(t *testing.T) {
	tab := Full(rows())
	for _, f := range table.Formats {
		golden(t, "full."+string(f), write(t, tab, f))
	}
}

func TestSummaryGolden(t *testing.T) {
	tab, err := Summary(rows(), SummaryOptions{Baseline: "pathwise"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range table.Formats {
		golden(t, "summary."+string(f), write(t, tab, f))
	}
	tab, err = Summary(rows(), SummaryOptions{By: []string{"obj.k", "param"}, CostNormalised: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-cost.text", write(t, tab, table.Text))
}

func TestSummaryErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts SummaryOptions
		want string
	}{
		{SummaryOptions{Baseline: "nope"}, `baseline estimator "nope" is not in the results`},
		{SummaryOptions{By: []string{"param"}}, "estimator score has several rows in the group param=mu"},
		{SummaryOptions{By: []string{"obj.zzz"}}, `unknown grouping column "obj.zzz"`},
		{SummaryOptions{By: []string{"estimator"}}, "estimators are the columns"},
	} {
		_, err := Summary(rows(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Summary(%+v) error = %v, want it to contain %q", tc.opts, err, tc.want)
		}
	}
}

func TestNum(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {1.234567, "1.235"}, {-0.0123456, "-0.01235"}, {1234.5678, "1235"},
		{123456.7, "123457"}, {1e6, "1e+06"}, {-0.00049, "-4.9e-04"}, {3.5e-5, "3.5e-05"}, {0.001, "0.001"},
		{math.NaN(), NA}, {math.Inf(1), "inf"}, {2.5, "2.5"}, {100, "100"},
	} {
		if got := Num(tc.v); got != tc.want {
			t.Errorf("Num(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
	if got := PlusMinus(1.23456, 0.012345); got != "1.235 ± 0.012" {
		t.Errorf("PlusMinus = %q", got)
	}
	if got := Interval(2, 1.5, 2.75); got != "2 [1.5, 2.75]" {
		t.Errorf("Interval = %q", got)
	}
	if got := Ratio(1, 4); got != "0.25" {
		t.Errorf("Ratio = %q", got)
	}
}

func TestPlusMinusKeepsZeros(t *testing.T) {
	t.Parallel()
	if got := PlusMinus(1.235, 0.1); got != "1.235 ± 0.10" {
		t.Errorf("PlusMinus(1.235, 0.1) = %q, want 1.235 ± 0.10", got)
	}
	if got := PlusMinus(3.5e-5, 3e-6); got != "3.5e-05 ± 3.0e-06" {
		t.Errorf("PlusMinus = %q", got)
	}
}

func TestFinal(t *testing.T) {
	t.Parallel()
	var pts []store.CurvePoint
	for seed := range 3 {
		for step := 0; step <= 20; step += 10 {
			pts = append(pts, store.CurvePoint{Experiment: "tr", Estimator: "pathwise", Seed: seed, Step: step,
				Evals: float64(step * 10), Objective: 3 - 0.1*float64(step) + 0.01*float64(seed), GradVariance: 0.5, Status: store.StatusOK})
		}
	}
	tab := Final(pts)
	if len(tab.Rows) != 1 {
		t.Fatalf("rows %v", tab.Rows)
	}
	r := tab.Rows[0]
	// Objectives at step 20: 1, 1.01, 1.02: mean 1.01, sd 0.01, se 0.01/√3 = 0.005774.
	if r[1] != "20" || r[2] != "3/3" || !strings.HasPrefix(r[3], "1.01 ± 0.0058") || r[4] != "200" || r[5] != "0.5" {
		t.Errorf("row %q", r)
	}
}

// TestFinalAllStopped: when every run of an estimator stopped, its row is
// the last step with a live run, and the stopped column counts every run.
func TestFinalAllStopped(t *testing.T) {
	t.Parallel()
	var pts []store.CurvePoint
	for seed := range 2 {
		pts = append(pts,
			store.CurvePoint{Experiment: "tr", Estimator: "score", Seed: seed, Step: 0, Objective: -5, GradVariance: 1, Status: store.StatusOK},
			store.CurvePoint{Experiment: "tr", Estimator: "score", Seed: seed, Step: 3 + seed, Objective: math.NaN(), GradVariance: math.NaN(),
				Status: store.StoppedPrefix + "diverged"})
	}
	r := Final(pts).Rows[0]
	if r[1] != "0" || r[2] != "2/2" || r[6] != "2" {
		t.Errorf("row %q: want step 0, 2/2 runs, 2 stopped", r)
	}
}

// TestFinalMetrics: each seed's value at its last step, averaged over
// seeds with the t interval; a metric of the last step only counts; probes
// are left out; names choose and order the columns.
func TestFinalMetrics(t *testing.T) {
	t.Parallel()
	ms := []store.Metric{
		{Experiment: "x", Estimator: "a", Seed: 0, Step: 0, Name: "elbo", Value: -9},
		{Experiment: "x", Estimator: "a", Seed: 0, Step: 10, Name: "elbo", Value: -1},
		{Experiment: "x", Estimator: "a", Seed: 1, Step: 10, Name: "elbo", Value: -3},
		{Experiment: "x", Estimator: "a", Seed: 1, Step: 10, Name: "full", Value: 5},
		{Experiment: "x", Estimator: "a", Seed: 0, Step: 10, Name: "probe_var_enc", Value: 7},
		{Experiment: "x", Estimator: "b", Seed: 0, Step: 10, Name: "elbo", Value: 2},
	}
	tab := FinalMetrics(ms, nil, nil)
	if got, want := strings.Join(tab.Header, "|"), "estimator|seeds|elbo ± se [95% ci]|full ± se [95% ci]"; got != want {
		t.Fatalf("header %q, want %q", got, want)
	}
	// a: elbo mean −2, se 1, t_{1, 0.975} = 12.706: [−14.7, 10.7].
	if got, want := strings.Join(tab.Rows[0], "|"), "a|2|-2 ± 1.0 [-14.7, 10.7]|5 [n/a, n/a]"; got != want {
		t.Errorf("row a %q, want %q", got, want)
	}
	if got := strings.Join(FinalMetrics(ms, []string{"full", "elbo"}, nil).Rows[1], "|"); got != "b|1|-|2 [n/a, n/a]" {
		t.Errorf("row b with names %q", got)
	}
	pub := FinalMetrics(ms, []string{"elbo"}, map[string]float64{"a": -1.5})
	if got := strings.Join(pub.Rows[0][3:], "|") + "/" + strings.Join(pub.Rows[1][3:], "|"); got != "-1.5|-0.5/-|-" {
		t.Errorf("published columns %q", got)
	}
}

// TestEstimators: the per-estimator totals sum bias², variance, MSE and
// variance × evaluations over the components of every cell, keep the
// largest |bias|/SE, and count skipped cells apart.
func TestEstimators(t *testing.T) {
	t.Parallel()
	rows := []store.Row{
		{Experiment: "x", Estimator: "a", N: 1, Param: "p0", Bias: 0.1, SE: 0.05, Variance: 2, MSE: 2.01, Evals: 1, VarTimesEvals: 2},
		{Experiment: "x", Estimator: "a", N: 1, Param: "p1", Bias: -0.3, SE: 0.1, Variance: 1, MSE: 1.09, Evals: 1, VarTimesEvals: 1},
		{Experiment: "x", Estimator: "b", N: 1, Param: "p0", Skipped: "unsupported"},
		{Experiment: "x", Estimator: "a", N: 4, Param: "p0", Bias: 0, SE: 0.01, Variance: 0.5, MSE: 0.5, Evals: 4, VarTimesEvals: 2},
	}
	tb := Estimators(rows)
	want := [][]string{
		{"a", "1", "1", "0.1", "3", "3.1", "3", "3", "2", "0"},
		{"b", "1", NA, NA, NA, NA, NA, NA, "0", "1"},
		{"a", "4", "4", "0", "0.5", "0.5", "0", "2", "1", "0"},
	}
	if !reflect.DeepEqual(tb.Rows, want) {
		t.Errorf("rows %q, want %q", tb.Rows, want)
	}
}
