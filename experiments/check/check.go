// Package check compares a results folder with a baseline, cell by cell and
// gradient component by component, and decides whether an estimator's
// variance regressed or an unbiased estimator became biased.
//
// The decision rule (documented for users in README.md):
//
//   - A variance increase fails the check when it is statistically
//     significant at family-wise error rate Alpha (Holm's step-down
//     correction of one-sided p-values) and larger than the practical
//     Threshold (default +10%).
//   - An estimator that declares itself unbiased fails when its bias is
//     significant at family-wise rate Alpha (Holm-corrected two-sided
//     batch-means t-tests against the reference, on the replication
//     blocks' means; z-tests where there are fewer than 5 blocks) and
//     |mean − reference| > BiasSE standard errors (default 4). Block means
//     are nearly normal even when single estimates are skewed and
//     heavy-tailed, where the z statistic's tails are far heavier than
//     normal; the t distribution with B − 1 degrees of freedom accounts for
//     the estimated spread.
//   - Non-finite estimates where the baseline had none fail.
//   - A failed cell (the estimator panicked: sweep.IsFailed) fails.
//   - Differences at the level of floating-point rounding (below 1e-12
//     times the larger of 1 and the quantity's scale) count as zero, both
//     for the bias and for a variance, so exact estimators and zero
//     gradients do not fail on residues near 1e-17.
//   - New cells (not in the baseline) have no variance test, but they get
//     the same bias test (an unbiased estimator's new cell fails when it is
//     biased) and the same non-finite rule (the baseline had no non-finite
//     estimates there, having no cell), so a new estimator that wrongly
//     declares itself unbiased fails the check at once.
//   - Improvements, removed cells and new cells that pass are reported,
//     never fail.
//
// The family of the Holm correction is every test that can fail the check:
// the variance-increase tests of every compared row and the bias tests of
// every row of an unbiased estimator, compared or new, of every results
// folder compared together (gradbench check with several folders), so
// that the chance that an unchanged estimator fails is at most Alpha.
// Holm's correction controls the family-wise rate for any family size;
// counting new cells' bias tests in the family only makes every test of
// the family a little more conservative (the smallest p-value is compared
// with Alpha/m, m the family size, instead of Alpha/(m − new)).
//
// Audit applies the bias test and the non-finite and failed-cell rules to
// rows that are to become a baseline, as one Holm family of bias tests.
//
// The variance test is a rank test on the replication blocks: every block is
// an independent random stream, so its sample variance is an independent
// draw, and under "no change" the baseline's and the new blocks' variances
// are draws from one distribution. The Wilcoxon–Mann–Whitney test
// (stats.RankSum) on them is exact whatever the tails of the estimates.
// Gradient estimators are often heavy-tailed (score functions, estimated
// control-variate coefficients): there the F test, and even the asymptotic
// test on log variances with kurtosis-based standard errors
// (stats.CompareVariances), raise false alarms far above their nominal rate,
// which the regression suite measured. Rows without block variances (fewer
// than 5 blocks) fall back to the kurtosis-based test.
package check

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/sweep"
	"github.com/gradbench/gradbench/experiments/table"
)

// Options sets the decision rule; DefaultOptions returns the documented one.
type Options struct {
	Alpha     float64 // family-wise error rate (0.05)
	Threshold float64 // practical variance-increase threshold (0.10, i.e. +10%)
	BiasSE    float64 // bias threshold in standard errors (4)
}

// DefaultOptions returns the documented decision rule: α = 0.05, a +10%
// practical threshold and 4 standard errors for bias.
func DefaultOptions() Options {
	return Options{Alpha: 0.05, Threshold: 0.10, BiasSE: 4}
}

// validate returns an error unless 0 < Alpha < 1, Threshold ≥ 0 and
// BiasSE > 0, all finite. A zero value is not replaced by a default: a
// threshold of 0 means "fail on any significant increase".
func (o Options) validate() error {
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("alpha = %v, want 0 < alpha < 1", o.Alpha)
	}
	if !(o.Threshold >= 0) || math.IsInf(o.Threshold, 0) {
		return fmt.Errorf("threshold = %v, want a finite number ≥ 0", o.Threshold)
	}
	if !(o.BiasSE > 0) || math.IsInf(o.BiasSE, 0) {
		return fmt.Errorf("bias threshold = %v standard errors, want a finite number > 0", o.BiasSE)
	}
	return nil
}

// Status is the verdict on one compared row.
type Status string

// The verdicts. Regression, Biased, NonFinite and Failed fail the check.
const (
	Same       Status = "~"          // no significant change
	Worse      Status = "worse"      // significant increase below the practical threshold
	Regression Status = "REGRESSION" // significant increase above the threshold
	Better     Status = "better"     // significant decrease
	Biased     Status = "BIASED"     // declared unbiased, significantly biased by > BiasSE SE
	NonFinite  Status = "NONFINITE"  // non-finite estimates where the baseline had none
	Failed     Status = "FAILED"     // the estimator panicked on the cell (sweep.IsFailed)
	New        Status = "new"        // only in the new results
	Removed    Status = "removed"    // only in the baseline
	Skipped    Status = "skipped"    // skipped in either (reason in Note)
)

// Failing reports whether s fails the check.
func (s Status) Failing() bool {
	return s == Regression || s == Biased || s == NonFinite || s == Failed
}

// Row is the comparison of one cell × gradient component.
type Row struct {
	Key       string
	Base, New *store.Row // nil when absent
	Ratio     float64    // new variance / baseline variance
	P         float64    // Holm-adjusted one-sided p-value for an increase (two-sided for "better")
	BiasZ     float64    // (mean − reference)/SE of the new results
	BiasP     float64    // Holm-adjusted two-sided p-value of the bias test (NaN: none)
	Status    Status
	Note      string
	Blocks    bool // the variance test was the rank test on block variances
}

// minBlocks is the number of block variances per side from which the
// variance test is the rank test.
const minBlocks = 5

// Report is the outcome of a comparison.
type Report struct {
	Options Options
	Rows    []Row
}

// Failed reports whether any row fails.
func (r *Report) Failed() bool {
	for _, row := range r.Rows {
		if row.Status.Failing() {
			return true
		}
	}
	return false
}

// Compared returns the number of rows present in both runs and tested.
func (r *Report) Compared() int {
	n := 0
	for _, row := range r.Rows {
		if row.Base != nil && row.New != nil && row.Status != Skipped {
			n++
		}
	}
	return n
}

// Count returns the number of rows with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, row := range r.Rows {
		if row.Status == s {
			n++
		}
	}
	return n
}

// Key returns the identity of a row across runs: estimator label and
// options, family and objective with parameters, n and gradient component.
func Key(r *store.Row) string {
	var b strings.Builder
	b.WriteString(r.Estimator)
	if r.Options != "" {
		fmt.Fprintf(&b, "{%s}", r.Options)
	}
	fmt.Fprintf(&b, " %s%s %s%s n=%d", r.Distribution, kvs(r.Dist), r.Objective, kvs(r.Obj), r.N)
	if r.Param != "" {
		fmt.Fprintf(&b, " ∂%s", r.Param)
	}
	return b.String()
}

func kvs(kv []store.KV) string {
	if len(kv) == 0 {
		return ""
	}
	parts := make([]string, len(kv))
	for i, p := range kv {
		parts[i] = p.Name + "=" + strconv.FormatFloat(p.Value, 'g', 6, 64)
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// roundingFloor is the size below which a difference or a standard
// deviation counts as floating-point rounding: 1e-12 times the larger of 1
// and the quantity's scale. Estimates of exactly-zero gradients or of an
// exact estimator carry residues near 1e-17 that must not count as bias or
// variance.
const roundingFloor = 1e-12

// numericallyZero reports whether a sample variance is zero up to rounding,
// as for an estimator that is exact: its standard deviation is below
// roundingFloor × max(1, |mean|).
func numericallyZero(r *store.Row) bool {
	scale := max(1, math.Abs(r.Mean))
	return r.Variance == 0 || r.Variance <= roundingFloor*roundingFloor*scale*scale
}

// roundingBias reports whether the bias of r is within rounding of zero:
// |mean − reference| ≤ roundingFloor × max(1, |reference|).
func roundingBias(r *store.Row) bool {
	return math.Abs(r.Mean-r.Reference) <= roundingFloor*max(1, math.Abs(r.Reference))
}

// BiasTest is the bias test of a row of an unbiased estimator, the one
// Compare and Audit use: z = (mean − reference)/SE and the two-sided
// p-value (not adjusted for multiplicity) of the batch-means t-test on the
// replication blocks' means against the reference, or of the z-test when
// the row has fewer than 5 block means. The reference's own standard error
// (Monte Carlo references) widens both.
func BiasTest(r *store.Row) (z, p float64) {
	z, p = stats.ZTest(r.Mean, r.SE, r.Reference, r.ReferenceSE)
	if len(r.BlockMeans) >= minBlocks {
		_, p = stats.BatchMeansTest(r.BlockMeans, r.Reference, r.ReferenceSE)
	}
	return z, p
}

// biasFails reports whether a row with bias statistic z and Holm-adjusted
// p-value adj fails the bias rule.
func biasFails(r *store.Row, z, adj float64, opts Options) bool {
	return adj <= opts.Alpha && math.Abs(z) > opts.BiasSE && !roundingBias(r)
}

// keyFunc returns the row identity used across the given row sets: Key,
// prefixed by the experiment's name when the rows come from more than one
// experiment.
func keyFunc(sets ...[]store.Row) func(*store.Row) string {
	exps := map[string]bool{}
	for _, rows := range sets {
		for i := range rows {
			exps[rows[i].Experiment] = true
		}
	}
	if len(exps) > 1 {
		// Several suites together: their cells are told apart by the
		// experiment's name.
		return func(r *store.Row) string { return r.Experiment + ": " + Key(r) }
	}
	return Key
}

func summary(r *store.Row) stats.VarianceSummary {
	return stats.VarianceSummary{N: r.Replications - r.Nonfinite, Variance: r.Variance, Kurtosis: r.Kurtosis}
}

// Compare compares new results with a baseline under the decision rule of
// the package documentation.
func Compare(base, cur []store.Row, opts Options) (*Report, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	key := keyFunc(base, cur)
	baseBy := map[string]*store.Row{}
	for i := range base {
		k := key(&base[i])
		if _, dup := baseBy[k]; dup {
			return nil, fmt.Errorf("baseline has two rows for %s", k)
		}
		baseBy[k] = &base[i]
	}
	rep := &Report{Options: opts}
	seen := map[string]bool{}
	for i := range cur {
		n := &cur[i]
		k := key(n)
		if seen[k] {
			return nil, fmt.Errorf("new results have two rows for %s", k)
		}
		seen[k] = true
		row := Row{Key: k, New: n, Base: baseBy[k], Ratio: math.NaN(), P: math.NaN(), BiasZ: math.NaN(), BiasP: math.NaN()}
		switch {
		case sweep.IsFailed(n):
			row.Status, row.Note = Failed, n.Skipped
		case row.Base == nil:
			row.Status = New
		case n.Skipped != "" || row.Base.Skipped != "":
			row.Status, row.Note = Skipped, cmp.Or(n.Skipped, row.Base.Skipped)
		case n.Replications != row.Base.Replications || len(n.BlockVariances) != len(row.Base.BlockVariances):
			return nil, fmt.Errorf("%s: the baseline has %d replications in %d blocks, the new results %d in %d: "+
				"compare runs of the same spec and profile (or rewrite the baseline)",
				k, row.Base.Replications, len(row.Base.BlockVariances), n.Replications, len(n.BlockVariances))
		}
		rep.Rows = append(rep.Rows, row)
	}
	for k, b := range baseBy {
		if !seen[k] {
			rep.Rows = append(rep.Rows, Row{Key: k, Base: b, Status: Removed, Ratio: math.NaN(), P: math.NaN(), BiasZ: math.NaN(), BiasP: math.NaN()})
		}
	}
	slices.SortStableFunc(rep.Rows, func(a, b Row) int { return strings.Compare(a.Key, b.Key) })

	// Variance and bias tests over the rows present in both; bias tests
	// also over the new rows of unbiased estimators.
	var idx, biasRows []int
	var pUp, pDown, pBias []float64
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Status == New && r.New.Skipped == "" {
			r.BiasZ, _ = stats.ZTest(r.New.Mean, r.New.SE, r.New.Reference, r.New.ReferenceSE)
			if _, bp := BiasTest(r.New); r.New.Unbiased && !math.IsNaN(bp) {
				biasRows, pBias = append(biasRows, i), append(pBias, bp)
			}
			continue
		}
		if r.Status != "" {
			continue
		}
		idx = append(idx, i)
		bz, nz := numericallyZero(r.Base), numericallyZero(r.New)
		var ratio, p float64
		switch {
		case bz && nz:
			ratio, p = 1, 1
		case bz:
			ratio, p = math.Inf(1), 0
		default:
			ratio, p = stats.CompareVariances(summary(r.Base), summary(r.New))
		}
		r.Ratio = ratio
		up, down := p/2, 1-p/2
		if ratio < 1 {
			up, down = down, up
		}
		if !bz && !nz && len(r.Base.BlockVariances) >= minBlocks && len(r.New.BlockVariances) >= minBlocks {
			_, up, down = stats.RankSum(r.Base.BlockVariances, r.New.BlockVariances)
			r.Blocks = true
		}
		pUp, pDown = append(pUp, up), append(pDown, down)
		r.BiasZ, _ = stats.ZTest(r.New.Mean, r.New.SE, r.New.Reference, r.New.ReferenceSE)
		if _, bp := BiasTest(r.New); r.New.Unbiased && !math.IsNaN(bp) {
			biasRows, pBias = append(biasRows, i), append(pBias, bp)
		}
	}
	// The failing rules (variance increase, bias of compared and of new
	// rows) form one family, so that the chance of any false failure is at
	// most Alpha; improvements are reported from their own family. Rows of
	// estimators that do not claim to be unbiased have no bias test (nor
	// rows whose reference could not be computed): they are left out of
	// the family rather than counted in it.
	adjFail := stats.HolmAdjust(slices.Concat(pUp, pBias))
	adjUp := adjFail[:len(pUp)]
	for k, i := range biasRows {
		rep.Rows[i].BiasP = adjFail[len(pUp)+k]
	}
	// New rows: the bias and non-finite rules.
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Status != New || r.New.Skipped != "" {
			continue
		}
		switch {
		case r.New.Nonfinite > 0:
			r.Status = NonFinite
			r.Note = fmt.Sprintf("new cell: %d non-finite estimates", r.New.Nonfinite)
		case r.New.Unbiased && biasFails(r.New, r.BiasZ, r.BiasP, opts):
			r.Status = Biased
			r.Note = fmt.Sprintf("new cell: bias %.3g = %.1f SE", r.New.Bias, r.BiasZ)
		}
	}
	if len(idx) == 0 {
		return rep, nil
	}
	adjDown := stats.HolmAdjust(pDown)
	for j, i := range idx {
		r := &rep.Rows[i]
		r.P = adjUp[j]
		switch {
		case r.New.Nonfinite > 0 && r.Base.Nonfinite == 0:
			r.Status = NonFinite
			r.Note = fmt.Sprintf("%d non-finite estimates (baseline: none)", r.New.Nonfinite)
		case r.New.Unbiased && biasFails(r.New, r.BiasZ, r.BiasP, opts):
			r.Status = Biased
			r.Note = fmt.Sprintf("bias %.3g = %.1f SE", r.New.Bias, r.BiasZ)
		case adjUp[j] <= opts.Alpha && r.Ratio > 1+opts.Threshold:
			r.Status = Regression
		case adjUp[j] <= opts.Alpha:
			r.Status = Worse
		case adjDown[j] <= opts.Alpha:
			r.Status, r.P = Better, adjDown[j]
		default:
			r.Status = Same
		}
	}
	return rep, nil
}

// Audit tests rows that are to become a baseline. Every row of an
// estimator that declares itself unbiased gets the bias test of Compare
// (BiasTest, where the reference is known; all of them, across every
// experiment in rows, one Holm family
// at family-wise rate opts.Alpha, so that a correct baseline is refused
// with probability at most Alpha), and fails, as in Compare, when its bias
// is significant and above opts.BiasSE standard errors. A row with
// non-finite estimates, or of a failed cell, fails too. Audit returns the
// failing rows, in key order, with status Biased, NonFinite or Failed and a
// note (New holds the row; Base is nil), and the number of bias tests made.
// opts.Threshold is not used.
func Audit(rows []store.Row, opts Options) (refused []Row, tests int, err error) {
	if err := opts.validate(); err != nil {
		return nil, 0, err
	}
	key := keyFunc(rows)
	seen := map[string]bool{}
	var all []Row
	var pBias []float64
	var biasRows []int
	for i := range rows {
		r := &rows[i]
		k := key(r)
		if seen[k] {
			return nil, 0, fmt.Errorf("two rows for %s", k)
		}
		seen[k] = true
		row := Row{Key: k, New: r, Ratio: math.NaN(), P: math.NaN(), BiasZ: math.NaN(), BiasP: math.NaN()}
		switch {
		case sweep.IsFailed(r):
			row.Status, row.Note = Failed, r.Skipped
		case r.Skipped != "":
			row.Status = Skipped
		case r.Nonfinite > 0:
			row.Status, row.Note = NonFinite, fmt.Sprintf("%d non-finite estimates", r.Nonfinite)
		}
		if r.Skipped == "" {
			row.BiasZ, _ = stats.ZTest(r.Mean, r.SE, r.Reference, r.ReferenceSE)
			if _, p := BiasTest(r); r.Unbiased && !math.IsNaN(p) {
				biasRows, pBias = append(biasRows, len(all)), append(pBias, p)
			}
		}
		all = append(all, row)
	}
	for k, adj := range stats.HolmAdjust(pBias) {
		row := &all[biasRows[k]]
		row.BiasP = adj
		if row.Status == "" && biasFails(row.New, row.BiasZ, adj, opts) {
			row.Status, row.Note = Biased, fmt.Sprintf("bias %.3g = %.1f SE (declared unbiased)", row.New.Bias, row.BiasZ)
		}
	}
	for _, row := range all {
		if row.Status.Failing() {
			refused = append(refused, row)
		}
	}
	slices.SortStableFunc(refused, func(a, b Row) int { return strings.Compare(a.Key, b.Key) })
	return refused, len(pBias), nil
}

// AuditTable renders the refused rows of Audit: cell, mean, reference,
// bias/SE, Holm-adjusted p and verdict.
func AuditTable(refused []Row) *table.Table {
	t := &table.Table{
		Header:     []string{"cell", "mean", "reference", "bias/SE", "p (Holm)", "verdict"},
		RightAlign: []bool{false, true, true, true, true, false},
	}
	for _, row := range refused {
		g := func(v float64) string {
			if math.IsNaN(v) {
				return ""
			}
			return strconv.FormatFloat(v, 'g', 4, 64)
		}
		bz := ""
		if !math.IsNaN(row.BiasZ) && !math.IsInf(row.BiasZ, 0) {
			bz = fmt.Sprintf("%+.1f", row.BiasZ)
		}
		t.Append(row.Key, g(row.New.Mean), g(row.New.Reference), bz, g(row.BiasP), string(row.Status)+": "+row.Note)
	}
	return t
}

// fmtVar formats a variance with its 95% confidence interval as
// "v ± h%" (half-width of the log-symmetric interval, in percent).
func fmtVar(r *store.Row) string {
	if r == nil || r.Skipped != "" {
		return "-"
	}
	v := strconv.FormatFloat(r.Variance, 'g', 4, 64)
	if r.Variance > 0 && r.VarianceHi > r.Variance {
		return fmt.Sprintf("%s ± %.0f%%", v, 100*(r.VarianceHi/r.Variance-1))
	}
	return v
}

// Table renders the report as a benchstat-style table: baseline variance
// ± CI, new variance ± CI, change, p-value and n, "~" where not significant.
// With all set, every row is listed; otherwise rows with status Same or
// Skipped are left out and counted in the caption.
func (r *Report) Table(all bool) *table.Table {
	t := &table.Table{
		Header:     []string{"cell", "baseline var", "new var", "delta", "p (Holm)", "n", "bias/SE", "verdict"},
		RightAlign: []bool{false, true, true, true, true, true, true, false},
	}
	hidden := 0
	for i := range r.Rows {
		row := &r.Rows[i]
		if (row.Status == Same || row.Status == Skipped) && !all {
			hidden++
			continue
		}
		delta, p, n, bz := "", "", "", ""
		if !math.IsNaN(row.Ratio) {
			switch {
			case row.Status == Same:
				delta = "~"
			case math.IsInf(row.Ratio, 1):
				delta = "+∞"
			default:
				delta = fmt.Sprintf("%+.1f%%", 100*(row.Ratio-1))
			}
			p = strconv.FormatFloat(row.P, 'g', 2, 64)
			n = fmt.Sprintf("%d+%d", row.Base.Replications-row.Base.Nonfinite, row.New.Replications-row.New.Nonfinite)
			if row.Blocks {
				n = fmt.Sprintf("%d+%d blocks", len(row.Base.BlockVariances), len(row.New.BlockVariances))
			}
		}
		if !math.IsNaN(row.BiasZ) && !math.IsInf(row.BiasZ, 0) {
			bz = fmt.Sprintf("%+.1f", row.BiasZ)
		}
		verdict := string(row.Status)
		if row.Note != "" && row.Status != Same {
			verdict += ": " + row.Note
		}
		t.Append(row.Key, fmtVar(row.Base), fmtVar(row.New), delta, p, n, bz, verdict)
	}
	t.Caption = r.Summary()
	if hidden > 0 {
		t.Caption += fmt.Sprintf(" (%d unchanged or skipped rows not shown; -all lists them)", hidden)
	}
	return t
}

// Summary returns a one-line verdict with counts.
func (r *Report) Summary() string {
	verdict := "PASS"
	if r.Failed() {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %d rows compared at family-wise α = %g, threshold +%g%%: %d regressions, %d biased, %d non-finite, %d failed, %d worse below threshold, %d better, %d unchanged, %d new, %d removed, %d skipped",
		verdict, len(r.Rows), r.Options.Alpha, 100*r.Options.Threshold, r.Count(Regression), r.Count(Biased), r.Count(NonFinite), r.Count(Failed),
		r.Count(Worse), r.Count(Better), r.Count(Same), r.Count(New), r.Count(Removed), r.Count(Skipped))
}

// benchName turns a row key into a Go benchmark name: no spaces, and
// key=value components separated by slashes.
func benchName(r *store.Row) string {
	name := fmt.Sprintf("BenchmarkGrad/est=%s/dist=%s%s/obj=%s%s/n=%d/param=%s",
		r.Estimator, r.Distribution, kvs(r.Dist), r.Objective, kvs(r.Obj), r.N, r.Param)
	return strings.Map(func(c rune) rune {
		if c == ' ' || c == '\t' {
			return '_'
		}
		return c
	}, name)
}

// WriteBenchfmt writes rows in the Go benchmark format, one line per row
// that was run, so that benchstat can compare two results folders:
//
//	BenchmarkGrad/est=score/dist=normal(mu=1,sigma=1)/obj=quadratic(k=3)/n=1/param=mu  R  v variance  v·evals var*evals  ns ns/estimate
func WriteBenchfmt(w io.Writer, rows []store.Row) error {
	for i := range rows {
		r := &rows[i]
		if r.Skipped != "" {
			continue
		}
		_, err := fmt.Fprintf(w, "%s\t%d\t%s variance\t%s var*evals\t%s ns/estimate\n",
			benchName(r), r.Replications-r.Nonfinite, store.FormatFloat(r.Variance), store.FormatFloat(r.VarTimesEvals), store.FormatFloat(r.NsPerEstimate))
		if err != nil {
			return err
		}
	}
	return nil
}
