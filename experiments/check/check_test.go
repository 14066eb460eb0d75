package check

import (
	"bytes"
	"math"
	"path/filepath"
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
	t.Parallel()
	base := []store.Row{row("score", "mu", 10), row("score", "sigma", 20), row("pathwise", "mu", 0)}
	rep := compare(t, base, base)
	if rep.Failed() || rep.Count(Same) != 3 {
		t.Fatalf("identical results: %s", rep.Summary())
	}
}

func TestDecisions(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	base := []store.Row{row("gs", "mu", 1)}
	cur := []store.Row{row("gs", "mu", 1)}
	cur[0].Unbiased = false
	cur[0].Mean = 2 // 140 SE away
	if rep := compare(t, base, cur); rep.Failed() {
		t.Errorf("biased-by-design estimator failed: %s", rep.Summary())
	}
}

func TestNonFiniteFails(t *testing.T) {
	t.Parallel()
	base := []store.Row{row("s", "mu", 1)}
	cur := []store.Row{row("s", "mu", 1)}
	cur[0].Nonfinite = 1
	rep := compare(t, base, cur)
	if !rep.Failed() || rep.Rows[0].Status != NonFinite {
		t.Errorf("non-finite estimates did not fail: %s", rep.Summary())
	}
}

func TestZeroVariance(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	for _, o := range []Options{{Alpha: 1.5}, {Threshold: -1}, {BiasSE: math.NaN()}} {
		if _, err := Compare(nil, nil, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func TestBenchfmt(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	base := []store.Row{row("s", "mu", 1)}
	cur := []store.Row{row("s", "mu", 1)}
	cur[0].Replications = 10000 // another profile
	if _, err := Compare(base, cur, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "replications") {
		t.Errorf("runs of different sizes compared: %v", err)
	}
}

func TestThresholdZero(t *testing.T) {
	t.Parallel()
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

// TestNewCellsTested: a cell the baseline lacks gets the bias and
// non-finite rules (but no variance test): an unbiased estimator's biased
// new cell fails, a new cell of a biased-by-design estimator and an
// unbiased new cell pass as "new", and a failed cell fails.
func TestNewCellsTested(t *testing.T) {
	t.Parallel()
	base := []store.Row{row("a", "mu", 10)}
	cur := []store.Row{row("a", "mu", 10), row("b", "mu", 10), row("c", "mu", 10), row("d", "mu", 10), row("e", "mu", 10), row("f", "mu", 10)}
	cur[1].Mean = 1.25 // a 25% bias: 1e3 SE
	cur[1].Bias = 0.25
	cur[2].Mean, cur[2].Unbiased = 1.25, false // biased by design
	cur[3].Nonfinite = 3
	cur[4].Skipped = "failed: estimator panicked (block 0): boom"
	rep := compare(t, base, cur)
	want := map[string]Status{"a": Same, "b": Biased, "c": New, "d": NonFinite, "e": Failed, "f": New}
	for _, r := range rep.Rows {
		est := strings.Fields(r.Key)[0]
		if r.Status != want[est] {
			t.Errorf("%s: status %q, want %q (%s)", est, r.Status, want[est], r.Note)
		}
	}
	if !rep.Failed() || !strings.Contains(rep.Summary(), "1 biased, 1 non-finite, 1 failed") {
		t.Errorf("summary %s", rep.Summary())
	}
	// The new rows' bias tests join the Holm family of the variance and
	// bias tests: here 1 variance and 4 bias tests (a, b, d and f; c
	// declares no unbiasedness, e has no estimates), and b's Holm-adjusted
	// p-value is still about 0.
	for _, r := range rep.Rows {
		if strings.HasPrefix(r.Key, "b ") && !(r.BiasP < 1e-10) {
			t.Errorf("b: Holm-adjusted bias p = %g", r.BiasP)
		}
		if strings.HasPrefix(r.Key, "c ") && !math.IsNaN(r.BiasP) {
			t.Errorf("c (not unbiased): bias p = %g, want none", r.BiasP)
		}
	}
	var buf bytes.Buffer
	if err := rep.Table(false).Write(&buf, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "b normal(mu=1,sigma=1) quadratic(k=3) n=1 ∂mu") || !strings.Contains(buf.String(), "BIASED: new cell: bias") {
		t.Errorf("the table does not name the biased new cell:\n%s", buf.String())
	}
}

// TestAudit: Audit refuses the rows of an unbiased estimator that is
// biased, rows with non-finite estimates and failed cells, and passes the
// rest, including a biased-by-design estimator's and a skipped cell's; its
// bias tests are one Holm family over the rows of unbiased estimators with
// estimates.
func TestAudit(t *testing.T) {
	t.Parallel()
	rows := []store.Row{row("a", "mu", 10), row("b", "mu", 10), row("c", "mu", 10), row("d", "mu", 10), row("e", "mu", 10), row("f", "mu", 10)}
	rows[1].Mean, rows[1].Bias = 1.25, 0.25
	rows[2].Mean, rows[2].Unbiased = 1.25, false
	rows[3].Nonfinite = 1
	rows[4].Skipped = "failed: estimator panicked (trial estimate): boom"
	rows[5].Skipped = "f: unsupported: family normal is not a Bernoulli"
	refused, tests, err := Audit(rows, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refused {
		got = append(got, strings.Fields(r.Key)[0]+":"+string(r.Status))
	}
	if strings.Join(got, " ") != "b:BIASED d:NONFINITE e:FAILED" || tests != 3 {
		t.Errorf("refused %v after %d bias tests, want b:BIASED d:NONFINITE e:FAILED after 3 (a, b, d)", got, tests)
	}
	if _, _, err := Audit(rows[:1], Options{}); err == nil {
		t.Error("zero Options accepted")
	}
	if _, _, err := Audit([]store.Row{rows[0], rows[0]}, DefaultOptions()); err == nil {
		t.Error("duplicate rows accepted")
	}
}

// TestCommittedBaselineAudits: the committed baseline passes Audit (or
// records every refused row in its forced.json), so that "gradbench
// baseline" on unchanged code needs no -force. The audit is one Holm family
// of about 1000 bias tests at α = 0.05: a correct baseline is refused with
// probability at most 0.05, and the committed one is fixed, so the test is
// deterministic.
func TestCommittedBaselineAudits(t *testing.T) {
	t.Parallel()
	var rows []store.Row
	forced := map[string]bool{}
	for _, name := range []string{"regression", "regression-discrete"} {
		dir := filepath.Join("..", "..", "results", "baseline", name)
		r, err := store.LoadCells(dir)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
		f, err := LoadForced(dir)
		if err != nil {
			t.Fatal(err)
		}
		if f != nil {
			for _, c := range f.Refused {
				forced[c.Cell] = true
			}
		}
	}
	refused, tests, err := Audit(rows, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refused {
		if !forced[r.Key] {
			t.Errorf("%s: %s: %s (not recorded in a %s)", r.Key, r.Status, r.Note, ForcedFile)
		}
	}
	t.Logf("%d rows, %d bias tests, %d refused", len(rows), tests, len(refused))
}
