package claims

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/store"
)

// ManyTimes is what claim (b) means by "many more samples": the score
// function needs more than ManyTimes as many samples as the pathwise
// estimator for the same variance.
const ManyTimes = 2

// setting identifies a cell × component apart from the estimator.
func setting(r *store.Row) string {
	return cellKey(r) + "|" + r.Param
}

// problem is a problem family, distribution × objective: the unit over
// which claims (b) and (c) are decided.
func problem(r *store.Row) string { return r.Distribution + " × " + r.Objective }

// bySetting groups the rows that were run, with a finite variance, by
// problem family and then setting (estimator → row).
func bySetting(rows []store.Row) map[string]map[string]map[string]*store.Row {
	out := map[string]map[string]map[string]*store.Row{}
	for i := range rows {
		r := &rows[i]
		if r.Skipped != "" || math.IsNaN(r.Variance) {
			continue
		}
		f := problem(r)
		if out[f] == nil {
			out[f] = map[string]map[string]*store.Row{}
		}
		s := setting(r)
		if out[f][s] == nil {
			out[f][s] = map[string]*store.Row{}
		}
		out[f][s][r.Estimator] = r
	}
	return out
}

// evaluations returns the evaluations of f and ∇f one estimate of r
// really uses. For score+optimal that includes the samples its baseline is
// estimated from: the running sums hold every earlier estimate of its
// replication block (the sweep resets the estimator at each block), so an
// estimate uses on average n·(L−1)/2 earlier samples' evaluations besides
// its own n, L = replications/blocks. It returns NaN if the block size is
// not known (no block statistics in the results).
func evaluations(r *store.Row) float64 {
	if !strings.HasPrefix(r.Estimator, "score+optimal") {
		return r.Evals
	}
	if len(r.BlockMeans) == 0 {
		return math.NaN()
	}
	l := float64(r.Replications) / float64(len(r.BlockMeans)) // one mean per block
	return r.Evals + float64(r.N)*(l-1)/2
}

// ratioTest is one setting's ratio test.
type ratioTest struct {
	at       *store.Row // the alternative's row
	lr       logRatio
	pAbove   float64 // H0: ratio ≤ threshold
	pBelow   float64 // H0: ratio ≥ threshold
	settingL string
}

// familyResult is a problem family's combined test of "ratio > threshold
// at every setting".
type familyResult struct {
	name     string
	tests    []ratioTest
	skipped  int
	test     *Test
	min, max *ratioTest
}

// combine builds the family's test: for the claim, the intersection–union
// test of every setting (its p-value is the largest); against, the union
// test of some setting below (Bonferroni: the smallest times their count).
func (f *familyResult) combine(label, h0, method string) {
	pFor, pAgainst := 0.0, 1.0
	for i := range f.tests {
		t := &f.tests[i]
		pFor = math.Max(pFor, t.pAbove)
		pAgainst = math.Min(pAgainst, t.pBelow)
		if f.min == nil || t.lr.log < f.min.lr.log {
			f.min = t
		}
		if f.max == nil || t.lr.log > f.max.lr.log {
			f.max = t
		}
	}
	pAgainst = math.Min(1, float64(len(f.tests))*pAgainst)
	if len(f.tests) == 0 {
		pFor, pAgainst = math.NaN(), math.NaN()
	}
	p, side := twoSided(pFor, pAgainst)
	f.test = &Test{Claim: label, Question: f.name, H0: h0,
		Method: fmt.Sprintf("%s; intersection–union over %d tests for, Bonferroni for against, twice the smaller p", method, len(f.tests)),
		P:      p, Side: side}
}

// ratioText formats a ratio with its 95% interval.
func ratioText(l logRatio) string {
	lo, hi := l.ci(0.95)
	return fmt.Sprintf("%s [%s, %s]", report.Sig(l.ratio(), 3), report.Sig(lo, 3), report.Sig(hi, 3))
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// claimSamples is claim (b): per problem family, the score function needs
// more than ManyTimes the pathwise estimator's samples for equal variance
// at every setting.
func claimSamples(rows []store.Row) *builder {
	const label = "(b)"
	var fams []*familyResult
	groups := bySetting(rows)
	for _, name := range sortedKeys(groups) {
		f := &familyResult{name: name}
		for _, s := range sortedKeys(groups[name]) {
			est := groups[name][s]
			p, sc := est["pathwise"], est["score"]
			if p == nil || sc == nil {
				continue
			}
			// Variance falls as 1/n: the score function needs
			// Var_score/Var_pathwise times the samples, which is also the
			// ratio of evaluations (one per sample each).
			lr := newLogRatio(sc, 1, p, 1)
			if !lr.valid() {
				f.skipped++
				continue
			}
			a, b := lr.above(ManyTimes)
			f.tests = append(f.tests, ratioTest{at: sc, lr: lr, pAbove: a, pBelow: b, settingL: where(p)})
		}
		if len(f.tests) == 0 {
			continue
		}
		f.combine(label, fmt.Sprintf("Var_score/Var_pathwise = %d at the setting where it is smallest", ManyTimes),
			"one-sided z-test per setting of the log variance ratio (kurtosis-based SE)")
		fams = append(fams, f)
	}
	var tests []*Test
	for _, f := range fams {
		tests = append(tests, f.test)
	}
	b := &builder{claim: Claim{
		Label:       label,
		Statement:   "the score function needs many more samples for the same variance",
		Experiments: append(slices.Clone(ClaimsFigures), ClaimsContinuous),
		Test: fmt.Sprintf("\"Many\" is more than %d×. Per problem family (distribution × objective), the ratio of samples for equal variance, Var_score/Var_pathwise, tested against %d at each setting (cell × component; z-test of the log ratio with kurtosis-based standard errors); for the claim if above %d at every setting (intersection–union), against if below at some setting (Bonferroni); one test per family, twice the smaller p. Supported if supported in every family, not supported if not supported in any",
			ManyTimes, ManyTimes, ManyTimes),
		Tests: tests,
	}}
	b.finish = func(c *Claim) {
		var parts []string
		var ps []part
		for _, f := range fams {
			w := f.test.Outcome()
			ps = append(ps, part{label: f.name, word: w, reason: "Holm p " + pText(f.test.Adjusted)})
			txt := fmt.Sprintf("%s (%s): min %s at %s, max %s; %s",
				f.name, countOf(len(f.tests), "setting"), ratioText(f.min.lr), f.min.settingL, report.Sig(f.max.lr.ratio(), 3), f.test.result())
			if f.skipped > 0 {
				txt += fmt.Sprintf(" (%s without a usable variance left out)", countOf(f.skipped, "setting"))
			}
			parts = append(parts, txt)
		}
		c.Measured = "samples of score per pathwise sample for equal variance (95% CI): " + strings.Join(parts, "; ")
		c.Verdict = every(ps, "problem family")
	}
	return b
}

// claimLowest is claim (c): the pathwise estimator is usually, not
// always, the lower-variance choice per evaluation, per problem family.
func claimLowest(rows []store.Row) *builder {
	const label = "(c)"
	var fams []*familyResult
	uncharged := map[string]bool{}
	groups := bySetting(rows)
	for _, name := range sortedKeys(groups) {
		f := &familyResult{name: name}
		for _, s := range sortedKeys(groups[name]) {
			est := groups[name][s]
			p := est["pathwise"]
			if p == nil {
				continue
			}
			for _, a := range sortedKeys(est) {
				if a == "pathwise" {
					continue
				}
				r := est[a]
				ea := evaluations(r)
				if math.IsNaN(ea) {
					uncharged[a] = true
					continue
				}
				// Evaluations of a needed per pathwise evaluation for
				// equal variance: above 1 where pathwise is better.
				lr := newLogRatio(r, ea, p, p.Evals)
				if !lr.valid() {
					f.skipped++
					continue
				}
				x, y := lr.above(1)
				f.tests = append(f.tests, ratioTest{at: r, lr: lr, pAbove: x, pBelow: y, settingL: where(p) + " vs " + a})
			}
		}
		if len(f.tests) == 0 {
			continue
		}
		f.combine(label, "Var_a·evals_a = Var_pathwise·evals_pathwise for the alternative a and setting where the ratio is smallest",
			"one-sided z-test per setting and alternative of the log ratio of variance × evaluations")
		fams = append(fams, f)
	}
	var tests []*Test
	for _, f := range fams {
		tests = append(tests, f.test)
	}
	b := &builder{claim: Claim{
		Label:       label,
		Statement:   "pathwise is usually, not always, the lower-variance choice for continuous families",
		Experiments: append(slices.Clone(ClaimsFigures), ClaimsContinuous),
		Test:        "Per problem family, the ratio of evaluations an alternative (score, score+optimal charged the evaluations its baseline uses, coupled mvd) needs per pathwise evaluation for equal variance, tested against 1 at each setting; for pathwise if above 1 for every setting and alternative (intersection–union), against if below 1 for some (Bonferroni); one test per family, twice the smaller p. \"Usually\": pathwise shown lowest throughout in more than half of the families; \"not always\": shown beaten in at least one. Supported if both, not supported if pathwise is beaten in half the families or more, or shown lowest in all",
		Tests:       tests,
	}}
	b.finish = func(c *Claim) {
		var parts []string
		lowest, beaten := 0, 0
		var beatenNames, undecided []string
		for _, f := range fams {
			switch f.test.Outcome() {
			case Supported:
				lowest++
			case NotSupported:
				beaten++
				beatenNames = append(beatenNames, f.name)
			default:
				undecided = append(undecided, f.name)
			}
			parts = append(parts, fmt.Sprintf("%s (%s): min %s at %s; %s",
				f.name, countOf(len(f.tests), "comparison"), ratioText(f.min.lr), f.min.settingL, f.test.result()))
		}
		note := ""
		if len(uncharged) > 0 {
			note = fmt.Sprintf(" (%s left out: block size unknown, so the evaluations of its baseline cannot be charged)", strings.Join(slices.Sorted(maps.Keys(uncharged)), ", "))
		}
		c.Measured = "evaluations of the best alternative per pathwise evaluation for equal variance (95% CI; score+optimal charged its baseline's evaluations" + note + "): " + strings.Join(parts, "; ")
		n := len(fams)
		summary := fmt.Sprintf("pathwise shown lowest throughout in %d of %s, beaten in %d", lowest, countOf(n, "problem family"), beaten)
		if beaten > 0 {
			summary += " (" + strings.Join(beatenNames, ", ") + ")"
		}
		switch {
		case n == 0:
			c.Verdict = Verdict{Inconclusive, "no data: no setting has pathwise and an alternative"}
		case 2*beaten >= n:
			c.Verdict = Verdict{NotSupported, summary}
		case lowest == n:
			c.Verdict = Verdict{NotSupported, summary + ": always, not usually"}
		case 2*lowest > n && beaten > 0:
			c.Verdict = Verdict{Supported, summary}
		default:
			c.Verdict = Verdict{Inconclusive, summary + "; undecided: " + strings.Join(undecided, ", ")}
		}
	}
	return b
}
