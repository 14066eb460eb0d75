package check

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

// row returns a synthetic row of an unbiased estimator with the given
// variance, 20000 replications and normal-like kurtosis.
func row(est, param string, variance float64) store.Row {
	r := store.Row{
		Experiment: "t", Estimator: est, Unbiased: true, Distribution: "normal", Objective: "quadratic",
		Dist: []store.KV{{Name: "mu", Value: 1}, {Name: "sigma", Value: 1}}, Obj: []store.KV{{Name: "k", Value: 3}},
		N: 1, Replications: 20000, Param: param, Mean: 1, Reference: 1, ReferenceMethod: "closed",
		Variance: variance, Kurtosis: 3,
	}
	r.SE = math.Sqrt(variance / float64(r.Replications))
	return r
}

func compare(t *testing.T, base, cur []store.Row) *Report {
	t.Helper()
	rep, err := Compare(base, cur, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestIdenticalPasses(t *testing.T) {
	base := []store.Row{row("score", "mu", 10), row("score", "sigma", 20), row("pathwise", "mu", 0)}
	rep := compare(t, base, base)
	if rep.Failed() || rep.Count(Same) != 3 {
		t.Fatalf("identical results: %s", rep.Summary())
	}
}

func TestDecisions(t *testing.T) {
	// With n = 20000 per side and kurtosis 3, SE(log s²) ≈ 0.01 per side,
	// so the log-ratio test has SE ≈ 0.014: +30% is z ≈ 18.5, +5% is z ≈ 3.5
	// (significant after Holm over 6 rows, but below the 10% threshold).
	base := []store.Row{
		row("a", "mu", 10), row("b", "mu", 10), row("c", "mu", 10),
		row("d", "mu", 10), row("e", "mu", 10), row("f", "mu", 10),
	}
	cur := []store.Row{
		row("a", "mu", 13),    // regression
		row("b", "mu", 10.5),  // significant but below threshold
		row("c", "mu", 7),     // better
		row("d", "mu", 10.01), // noise
		row("e", "mu", 10),
		row("g", "mu", 10), // new
	}
	cur[4].Mean = 1 + 10*cur[4].SE // biased by 10 SE
	cur[4].Bias = cur[4].Mean - 1
	rep := compare(t, base, cur)
	want := map[string]Status{"a": Regression, "b": Worse, "c": Better, "d": Same, "e": Biased, "f": Removed, "g": New}
	for _, r := range rep.Rows {
		est := strings.Fields(r.Key)[0]
		if r.Status != want[est] {
			t.Errorf("%s: status %q, want %q (ratio %g, p %g)", est, r.Status, want[est], r.Ratio, r.P)
		}
	}
	if !rep.Failed() {
		t.Error("report with a regression and a bias does not fail")
	}
	var buf bytes.Buffer
	if err := rep.Table(false).Write(&buf, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "REGRESSION") || !strings.Contains(buf.String(), "a normal(mu=1,sigma=1) quadratic(k=3) n=1 ∂mu") {
		t.Errorf("table does not name the regressed cell:\n%s", buf.String())
	}
}

func TestBiasIgnoredForBiasedEstimators(t *testing.T) {
	base := []store.Row{row("gs", "mu", 1)}
	cur := []store.Row{row("gs", "mu", 1)}
	cur[0].Unbiased = false
	cur[0].Mean = 2 // 140 SE away
	if rep := compare(t, base, cur); rep.Failed() {
		t.Errorf("biased-by-design estimator failed: %s", rep.Summary())
	}
}

func TestNonFiniteFails(t *testing.T) {
	base := []store.Row{row("s", "mu", 1)}
	cur := []store.Row{row("s", "mu", 1)}
	cur[0].Nonfinite = 1
	rep := compare(t, base, cur)
	if !rep.Failed() || rep.Rows[0].Status != NonFinite {
		t.Errorf("non-finite estimates did not fail: %s", rep.Summary())
	}
}

func TestZeroVariance(t *testing.T) {
	base := []store.Row{row("mvd", "mu", 0)}
	cur := []store.Row{row("mvd", "mu", 1e-34)} // rounding noise on a mean of 1
	if rep := compare(t, base, cur); rep.Failed() {
		t.Errorf("rounding-level variance failed: %s", rep.Summary())
	}
	cur[0].Variance = 1e-3
	if rep := compare(t, base, cur); !rep.Failed() {
		t.Errorf("variance appearing where it was 0 passed: %s", rep.Summary())
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{Alpha: 1.5}, {Threshold: -1}, {BiasSE: math.NaN()}} {
		if _, err := Compare(nil, nil, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func TestBenchfmt(t *testing.T) {
	var buf bytes.Buffer
	r := row("score", "mu", 2.5)
	r.NsPerEstimate = 12
	if err := WriteBenchfmt(&buf, []store.Row{r}); err != nil {
		t.Fatal(err)
	}
	want := "BenchmarkGrad/est=score/dist=normal(mu=1,sigma=1)/obj=quadratic(k=3)/n=1/param=mu\t20000\t2.5 variance\t0 var*evals\t12 ns/estimate\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestRoundingResidues(t *testing.T) {
	// An exact estimator of a zero gradient: mean and spread are rounding
	// residues, so neither the bias nor the variance may fail.
	base := []store.Row{row("exact", "mu", 1e-34)}
	cur := []store.Row{row("exact", "mu", 4e-34)}
	for _, r := range []*store.Row{&base[0], &cur[0]} {
		r.Reference, r.Mean = 0, 3e-17
		r.SE = 1e-19
	}
	if rep := compare(t, base, cur); rep.Failed() {
		t.Errorf("rounding residues failed: %s", rep.Summary())
	}
	// A real bias of 1e-6 on a gradient near 1 with a tiny SE still fails.
	cur[0].Reference, cur[0].Mean = 1, 1+1e-6
	if rep := compare(t, base, cur); !rep.Failed() {
		t.Errorf("bias of 1e-6 at 1e4 SE passed: %s", rep.Summary())
	}
}

func TestIncomparableRuns(t *testing.T) {
	base := []store.Row{row("s", "mu", 1)}
	cur := []store.Row{row("s", "mu", 1)}
	cur[0].Replications = 10000 // another profile
	if _, err := Compare(base, cur, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "replications") {
		t.Errorf("runs of different sizes compared: %v", err)
	}
}

func TestThresholdZero(t *testing.T) {
	// +5% at z ≈ 3.5 (see TestDecisions): below the default threshold, a
	// regression with threshold 0.
	base := []store.Row{row("b", "mu", 10)}
	cur := []store.Row{row("b", "mu", 10.5)}
	opts := DefaultOptions()
	opts.Threshold = 0
	rep, err := Compare(base, cur, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows[0].Status != Regression {
		t.Errorf("threshold 0: status %s, want %s", rep.Rows[0].Status, Regression)
	}
	if _, err := Compare(base, cur, Options{}); err == nil {
		t.Error("zero Options (alpha 0) accepted")
	}
}
