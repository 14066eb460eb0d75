package claims

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/store"
)

// ELBOMargin is the equivalence margin, in nats, of claim (g)'s "the same
// final ELBO". The ELBO bounds the log evidence log p(data); on Kass and
// Raftery's (1995) scale a log Bayes factor below 1 (a factor below e ≈
// 2.7) is "not worth more than a bare mention", so two fits whose bounds
// differ by less than 1 nat are, in that sense, equally good.
const ELBOMargin = 1.0

// VarianceFactor is claim (g)'s "at least ten times" for the score
// function's gradient variance relative to the pathwise estimator's.
const VarianceFactor = 10

// modelPoint is one evaluation of one run.
type modelPoint struct {
	step         int
	evals, value float64
}

// modelResults are the metrics of a model experiment: metric → estimator
// → seed → the run's points in increasing step.
type modelResults struct {
	name     string
	runs     map[string]map[string]map[int][]modelPoint
	lastStep int // the largest step of any run: the end of training
}

// loadModel reads dir/name/metrics.csv. It returns nil and no error if the
// folder dir/name does not exist, and an error if the folder exists without
// a readable metrics.csv.
func loadModel(dir, name string) (*modelResults, error) {
	if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	ms, err := store.LoadMetrics(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return newModelResults(name, ms), nil
}

// newModelResults groups metrics by metric, estimator and seed.
func newModelResults(name string, ms []store.Metric) *modelResults {
	r := &modelResults{name: name, runs: map[string]map[string]map[int][]modelPoint{}}
	for _, m := range ms {
		byEst := r.runs[m.Name]
		if byEst == nil {
			byEst = map[string]map[int][]modelPoint{}
			r.runs[m.Name] = byEst
		}
		if byEst[m.Estimator] == nil {
			byEst[m.Estimator] = map[int][]modelPoint{}
		}
		byEst[m.Estimator][m.Seed] = append(byEst[m.Estimator][m.Seed], modelPoint{m.Step, m.Evals, m.Value})
		r.lastStep = max(r.lastStep, m.Step)
	}
	for _, byEst := range r.runs {
		for _, bySeed := range byEst {
			for _, pts := range bySeed {
				slices.SortStableFunc(pts, func(a, b modelPoint) int { return a.step - b.step })
			}
		}
	}
	return r
}

// seeds returns the sorted seeds of est's runs of metric.
func (r *modelResults) seeds(metric, est string) []int {
	return slices.Sorted(maps.Keys(r.runs[metric][est]))
}

// final returns, per seed, est's last point of metric if the run reached
// the end of training with a finite value, and the seeds whose runs did not.
func (r *modelResults) final(metric, est string) (map[int]modelPoint, []int) {
	out := map[int]modelPoint{}
	var stopped []int
	for _, s := range r.seeds(metric, est) {
		pts := r.runs[metric][est][s]
		last := pts[len(pts)-1]
		if last.step == r.lastStep && !math.IsNaN(last.value) && !math.IsInf(last.value, 0) {
			out[s] = last
		} else {
			stopped = append(stopped, s)
		}
	}
	return out, stopped
}

// has reports whether est has runs of metric.
func (r *modelResults) has(metric, est string) bool { return len(r.runs[metric][est]) > 0 }

// atEvals returns the value of a run at cumulative evaluations e,
// interpolated linearly between its evaluation points (NaN outside them).
func atEvals(pts []modelPoint, e float64) float64 {
	for i := range pts {
		if pts[i].evals == e {
			return pts[i].value
		}
		if i > 0 && pts[i-1].evals < e && e < pts[i].evals {
			w := (e - pts[i-1].evals) / (pts[i].evals - pts[i-1].evals)
			return pts[i-1].value + w*(pts[i].value-pts[i-1].value)
		}
	}
	return math.NaN()
}

// valuesOf returns the values of m at the sorted seeds.
func valuesOf(m map[int]modelPoint) []float64 {
	var out []float64
	for _, s := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[s].value)
	}
	return out
}

// paired returns a(s) − b(s) over the seeds both have, in seed order.
func paired(a, b map[int]modelPoint) []float64 {
	var out []float64
	for _, s := range slices.Sorted(maps.Keys(a)) {
		if v, ok := b[s]; ok {
			out = append(out, a[s].value-v.value)
		}
	}
	return out
}

// signed formats v with an explicit sign.
func signed(v float64) string {
	if v >= 0 {
		return "+" + report.Num(v)
	}
	return report.Num(v)
}

// seedsText is "1 seed" or "n seeds".
func seedsText(n int) string {
	if n == 1 {
		return "1 seed"
	}
	return fmt.Sprintf("%d seeds", n)
}

// stoppedText notes the runs that did not reach the end of training.
func stoppedText(est string, stopped []int, n int) string {
	if len(stopped) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s: %d of %d runs stopped early, left out)", est, len(stopped), n)
}

// meanCI formats the mean of a paired test with its 95% t-interval.
func meanCI(m meanTest) string {
	lo, hi := m.ci(0.95)
	if math.IsNaN(lo) {
		return signed(m.mean)
	}
	return fmt.Sprintf("%s [%s, %s]", signed(m.mean), report.Sig(lo, 3), report.Sig(hi, 3))
}

// pairedTest is the two-sided paired t-test of "the mean difference over
// seeds is positive" (for) against "negative" (against); nil with fewer than
// two seeds.
func pairedTest(label, question, h0 string, d []float64) (*Test, meanTest) {
	m := newMeanTest(d)
	if m.n < 2 {
		return nil, m
	}
	above, below := m.greater(0)
	p, side := twoSided(above, below)
	return &Test{Claim: label, Question: question, H0: h0,
		Method: fmt.Sprintf("paired t-test over %s (%g df), two-sided", seedsText(m.n), m.df),
		P:      p, Side: side}, m
}

// noTest is the part of a verdict that could not be tested.
func noTest(label string, n int) part {
	return part{label: label, word: Inconclusive, reason: seedsText(n) + ": no test across seeds"}
}

// testPart is the part a test gives a verdict.
func testPart(label string, t *Test) part {
	return part{label: label, word: t.Outcome(), reason: "Holm p " + pText(t.Adjusted)}
}

// scoreVariants are the score-function estimators of claim (f), compared
// with pathwise in this order when present.
var scoreVariants = []string{"score", "score+ma", "score+loo"}

// claimVAEGaussian is claim (f): the held-out importance-weighted bound of
// pathwise against each score-function variant at equal cumulative
// evaluations, paired by seed (the runs of one seed share their initial
// weights), and pathwise's gain over the initial bound.
func claimVAEGaussian(r *modelResults) *builder {
	const label, metric = "(f)", "test_iw"
	b := &builder{claim: Claim{
		Label:       label,
		Statement:   "pathwise trains the Gaussian VAE; the score function at equal evaluations does not, or does so slower",
		Experiments: []string{r.name},
		Test:        "Paired by seed (shared initial weights), two-sided t-tests: pathwise's final test bound against its initial one, and pathwise against each score-function variant at equal evaluations (per seed at pathwise's final count, or the last count both reach; linear interpolation between evaluation points). Supported if pathwise is shown to improve and to be higher than every variant, not supported if a test shows the opposite",
	}}
	pw, pwStopped := r.final(metric, "pathwise")
	var variants []string
	for _, v := range scoreVariants {
		if r.has(metric, v) {
			variants = append(variants, v)
		}
	}
	if len(pw) == 0 || len(variants) == 0 {
		b.finish = func(c *Claim) {
			c.Measured = "no pathwise run, or no score-function run, reached the end of training"
			c.Verdict = Verdict{Inconclusive, "no data"}
		}
		return b
	}
	// The gain over the initial bound, per seed.
	var gains, init []float64
	for _, s := range slices.Sorted(maps.Keys(pw)) {
		i0 := r.runs[metric]["pathwise"][s][0].value
		init = append(init, i0)
		gains = append(gains, pw[s].value-i0)
	}
	trains, gm := pairedTest(label, "pathwise trains", "pathwise's final test bound equals its initial one (mean over seeds)", gains)
	if trains != nil {
		b.claim.Tests = append(b.claim.Tests, trains)
	}
	type cmp struct {
		v        string
		test     *Test
		m        meanTest
		final    meanTest
		recov    float64
		stopped  string
		largestC bool
	}
	var cmps []*cmp
	initMean := newMeanTest(init).mean
	for _, v := range variants {
		vf, vStopped := r.final(metric, v)
		c := &cmp{v: v, final: newMeanTest(valuesOf(vf)), stopped: stoppedText(v, vStopped, len(vf)+len(vStopped))}
		var d, vAtE []float64
		for _, s := range slices.Sorted(maps.Keys(pw)) {
			if _, ok := vf[s]; !ok {
				continue
			}
			pts := r.runs[metric][v][s]
			e := pw[s].evals
			if last := pts[len(pts)-1].evals; last < e {
				e, c.largestC = last, true
			}
			va := atEvals(pts, e)
			vAtE = append(vAtE, va)
			d = append(d, atEvals(r.runs[metric]["pathwise"][s], e)-va)
		}
		c.test, c.m = pairedTest(label, "pathwise vs "+v, "pathwise and "+v+" have the same test bound at equal evaluations (mean over seeds)", d)
		c.recov = (newMeanTest(vAtE).mean - initMean) / gm.mean
		if c.test != nil {
			b.claim.Tests = append(b.claim.Tests, c.test)
		}
		cmps = append(cmps, c)
	}
	b.finish = func(cl *Claim) {
		pwm := newMeanTest(valuesOf(pw))
		parts := []string{fmt.Sprintf("%s; test IW bound at step %d (mean ± SE over seeds): pathwise %s, gain over the initial %s: %s%s",
			seedsText(len(pw)), r.lastStep, report.PlusMinus(pwm.mean, pwm.se), report.Num(initMean), meanCI(gm),
			stoppedText("pathwise", pwStopped, len(pw)+len(pwStopped)))}
		var ps []part
		if trains != nil {
			parts[0] += ", " + trains.result()
			ps = append(ps, testPart("pathwise trains", trains))
		} else {
			ps = append(ps, noTest("pathwise trains", len(gains)))
		}
		for _, c := range cmps {
			txt := fmt.Sprintf("%s %s; pathwise − %s at equal evaluations (%s) %s", c.v, report.PlusMinus(c.final.mean, c.final.se), c.v, seedsText(c.m.n), meanCI(c.m))
			if c.test != nil {
				txt += ", " + c.test.result()
				ps = append(ps, testPart(c.v, c.test))
			} else {
				ps = append(ps, noTest(c.v, c.m.n))
			}
			txt += fmt.Sprintf("; %s recovers %.0f%% of pathwise's gain at equal evaluations%s", c.v, 100*c.recov, c.stopped)
			if c.largestC {
				txt += " (compared at the last count both runs reach)"
			}
			parts = append(parts, txt)
		}
		cl.Measured = strings.Join(parts, ". ")
		cl.Verdict = every(ps, "comparison")
	}
	return b
}

// claimBLR is claim (g): pathwise and mvd reach the same final ELBO
// (equivalence within ELBOMargin), and the score function's μ-gradient
// variance, with and without a moving-average baseline, is at least
// VarianceFactor times pathwise's at every evaluation.
func claimBLR(r *modelResults) *builder {
	const label = "(g)"
	b := &builder{claim: Claim{
		Label:       label,
		Statement:   fmt.Sprintf("Bayesian logistic regression: pathwise and mvd reach the same final ELBO; the score function's μ-gradient variance is ≥ %d× pathwise's throughout", VarianceFactor),
		Experiments: []string{r.name},
		Test: fmt.Sprintf("ELBO: paired by seed, the difference pathwise − mvd at the last step; for: TOST of |difference| < %g nat (t, n − 1 df); against: |difference| > %g nat (the two one-sided tests, Bonferroni); twice the smaller p. The margin: the ELBO bounds the log evidence, and a log Bayes factor below 1 is \"not worth more than a bare mention\" (Kass and Raftery 1995). Variance: per evaluation step, the log ratio of variances paired by seed, t-test against log %d; for if above at every step (intersection–union), against if below at some (Bonferroni); twice the smaller p. Supported if every part is",
			ELBOMargin, ELBOMargin, VarianceFactor),
	}}
	var parts []string
	var ps []part
	pw, pwStopped := r.final("elbo", "pathwise")
	mvd, mvdStopped := r.final("elbo", "mvd")
	var elboTest *Test
	if len(pw) > 0 && len(mvd) > 0 {
		// The Monte Carlo error of one evaluation of the ELBO, as the root
		// mean square of elbo_se over the final points.
		mcse := func(est string, fin map[int]modelPoint) float64 {
			var ss float64
			k := 0
			for s := range fin {
				for _, p := range r.runs["elbo_se"][est][s] {
					if p.step == r.lastStep {
						ss += p.value * p.value
						k++
					}
				}
			}
			return math.Sqrt(ss / float64(k))
		}
		d := newMeanTest(paired(pw, mvd))
		pm, mm := newMeanTest(valuesOf(pw)), newMeanTest(valuesOf(mvd))
		txt := fmt.Sprintf("final ELBO at step %d (mean ± SE over seeds; Monte Carlo SE of one evaluation %s and %s): pathwise %s, mvd %s; pathwise − mvd paired over %s %s%s%s",
			r.lastStep, report.Sig(mcse("pathwise", pw), 2), report.Sig(mcse("mvd", mvd), 2),
			report.PlusMinus(pm.mean, pm.se), report.PlusMinus(mm.mean, mm.se), seedsText(d.n), meanCI(d),
			stoppedText("pathwise", pwStopped, len(pw)+len(pwStopped)), stoppedText("mvd", mvdStopped, len(mvd)+len(mvdStopped)))
		if d.n >= 2 {
			// TOST: H0 |μ| ≥ δ, rejected when both μ > −δ and μ < δ are shown.
			aboveLo, belowLo := d.greater(-ELBOMargin)
			aboveHi, belowHi := d.greater(ELBOMargin)
			pFor := math.Max(aboveLo, belowHi)
			pAgainst := math.Min(1, 2*math.Min(belowLo, aboveHi))
			p, side := twoSided(pFor, pAgainst)
			elboTest = &Test{Claim: label, Question: "same final ELBO",
				H0:     fmt.Sprintf("|ELBO_pathwise − ELBO_mvd| = %g nat at the end of training (mean over seeds)", ELBOMargin),
				Method: fmt.Sprintf("paired TOST within ±%g nat and its converse, t with %g df, twice the smaller p", ELBOMargin, d.df),
				P:      p, Side: side}
			b.claim.Tests = append(b.claim.Tests, elboTest)
			txt += fmt.Sprintf("; equivalence within ±%g nat: ", ELBOMargin)
		}
		parts = append(parts, txt)
	}
	type varCmp struct {
		v                string
		test             *Test
		steps, seeds     int
		minRatio, median float64
		minStep          int
	}
	var vcs []*varCmp
	for _, v := range []string{"score", "score+ma"} {
		if !r.has("var_mu", v) || !r.has("var_mu", "pathwise") {
			continue
		}
		vc := &varCmp{v: v, minRatio: math.Inf(1)}
		// Per step, the log ratio in each seed that has both.
		bySeed := func(est string) map[int]map[int]float64 {
			out := map[int]map[int]float64{}
			for s, pts := range r.runs["var_mu"][est] {
				for _, p := range pts {
					if p.value > 0 && !math.IsInf(p.value, 0) {
						if out[p.step] == nil {
							out[p.step] = map[int]float64{}
						}
						out[p.step][s] = p.value
					}
				}
			}
			return out
		}
		pv, vv := bySeed("pathwise"), bySeed(v)
		pFor, pAgainst := 0.0, 1.0
		var ratios []float64
		for _, st := range slices.Sorted(maps.Keys(pv)) {
			var lr []float64
			for _, s := range slices.Sorted(maps.Keys(pv[st])) {
				if x, ok := vv[st][s]; ok {
					lr = append(lr, math.Log(x/pv[st][s]))
				}
			}
			if len(lr) == 0 {
				continue
			}
			m := newMeanTest(lr)
			vc.steps++
			vc.seeds = max(vc.seeds, m.n)
			q := math.Exp(m.mean) // geometric mean over seeds
			ratios = append(ratios, q)
			if q < vc.minRatio {
				vc.minRatio, vc.minStep = q, st
			}
			above, below := m.greater(math.Log(VarianceFactor))
			pFor = math.Max(pFor, above)
			pAgainst = math.Min(pAgainst, below)
		}
		if vc.steps == 0 {
			continue
		}
		vc.median = median(ratios)
		if vc.seeds >= 2 && !math.IsNaN(pFor) && !math.IsNaN(pAgainst) {
			p, side := twoSided(pFor, math.Min(1, float64(vc.steps)*pAgainst))
			vc.test = &Test{Claim: label, Question: fmt.Sprintf("%s variance ≥ %d×", v, VarianceFactor),
				H0:     fmt.Sprintf("Var[∂/∂μ] of %s / pathwise = %d at the step where it is smallest", v, VarianceFactor),
				Method: fmt.Sprintf("paired t-test of the log ratio per step (%s), intersection–union over %d steps for, Bonferroni against, twice the smaller p", seedsText(vc.seeds), vc.steps),
				P:      p, Side: side}
			b.claim.Tests = append(b.claim.Tests, vc.test)
		}
		vcs = append(vcs, vc)
	}
	b.finish = func(c *Claim) {
		switch {
		case elboTest != nil:
			parts[0] += elboTest.result()
			ps = append(ps, testPart("ELBO", elboTest))
		case len(pw) > 0 && len(mvd) > 0:
			ps = append(ps, noTest("ELBO", min(len(pw), len(mvd))))
		default:
			ps = append(ps, part{label: "ELBO", word: Inconclusive, reason: "no data (pathwise or mvd missing)"})
		}
		for _, vc := range vcs {
			txt := fmt.Sprintf("Var[∂/∂μ] ratio %s/pathwise (geometric mean over seeds) at %d evaluation steps: min %s (step %d), median %s",
				vc.v, vc.steps, report.Sig(vc.minRatio, 3), vc.minStep, report.Sig(vc.median, 3))
			if vc.test != nil {
				txt += fmt.Sprintf(", ≥ %d× throughout: %s", VarianceFactor, vc.test.result())
				ps = append(ps, testPart(vc.v+" variance", vc.test))
			} else {
				ps = append(ps, noTest(vc.v+" variance", vc.seeds))
			}
			parts = append(parts, txt)
		}
		c.Measured = strings.Join(parts, ". ")
		c.Verdict = every(ps, "part")
	}
	return b
}

// claimVAEBernoulli is claim (h): DisARM against ARM at the end of
// training, paired by seed, and the estimators ranked by their final test
// bound and by their median encoder-gradient variance (rankings of point
// estimates, not tested).
func claimVAEBernoulli(exps []*modelResults) *builder {
	const label = "(h)"
	b := &builder{claim: Claim{
		Label:     label,
		Statement: "Bernoulli VAE: DisARM reaches a higher ELBO than ARM at equal steps (and how the estimators rank)",
		Test:      "Per experiment and metric (training ELBO, test IW bound), the difference DisARM − ARM at the last step, paired by seed (shared initial weights and data order): two-sided paired t-test. Supported if DisARM is shown higher everywhere, not supported if shown lower anywhere. The rankings are of means and are not tested",
	}}
	type cmp struct {
		exp, metric string
		test        *Test
		m           meanTest
	}
	var cmps []*cmp
	rankings := map[string][]string{}
	for _, r := range exps {
		b.claim.Experiments = append(b.claim.Experiments, r.name)
		// The test bound on the whole test set where it was measured (the
		// last step only), else on the evaluation subset.
		iw := "test_iw"
		if r.has("test_iw_full", "arm") && r.has("test_iw_full", "disarm") {
			iw = "test_iw_full"
		}
		if r.has("train_elbo", "arm") && r.has("train_elbo", "disarm") {
			for _, metric := range []string{"train_elbo", iw} {
				a, _ := r.final(metric, "arm")
				d, _ := r.final(metric, "disarm")
				c := &cmp{exp: r.name, metric: metric}
				c.test, c.m = pairedTest(label, r.name+" "+metric, "DisARM and ARM have the same "+metric+" at the last step (mean over seeds)", paired(d, a))
				if c.test != nil {
					b.claim.Tests = append(b.claim.Tests, c.test)
				}
				cmps = append(cmps, c)
			}
		}
		if rank := r.ranking(iw, true); rank != "" {
			rankings[r.name] = append(rankings[r.name], "by final test IW bound (mean over seeds): "+rank)
		}
		if rank := r.ranking("var_enc", false); rank != "" {
			rankings[r.name] = append(rankings[r.name], "by median encoder-gradient variance over evaluations and seeds (lowest first): "+rank)
		}
	}
	b.finish = func(c *Claim) {
		var parts []string
		var ps []part
		for _, r := range exps {
			var sub []string
			for _, x := range cmps {
				if x.exp != r.name {
					continue
				}
				t := fmt.Sprintf("disarm − arm %s %s", x.metric, meanCI(x.m))
				if x.test != nil {
					t += ", " + x.test.result()
					ps = append(ps, testPart(x.exp+" "+x.metric, x.test))
				} else {
					ps = append(ps, noTest(x.exp+" "+x.metric, x.m.n))
				}
				sub = append(sub, t)
			}
			if len(sub) == 0 {
				sub = append(sub, "no ARM or DisARM run")
				ps = append(ps, part{label: r.name, word: Inconclusive, reason: "no data"})
			}
			sub = append(sub, rankings[r.name]...)
			n := 0
			for _, x := range cmps {
				if x.exp == r.name {
					n = max(n, x.m.n)
				}
			}
			parts = append(parts, fmt.Sprintf("%s (step %d, %s, paired by seed, 95%% t-intervals): %s", r.name, r.lastStep, seedsText(n), strings.Join(sub, "; ")))
		}
		c.Measured = strings.Join(parts, ". ")
		c.Verdict = every(ps, "comparison")
	}
	return b
}

// median returns the median of v (NaN if empty).
func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ranking orders the estimators with runs of metric: if final, by the
// mean over seeds of the value at the end of training, highest first
// ("a (v) > b (v) …"); else by the median over every evaluation and seed,
// lowest first ("a (v) < b (v) …"). Ties break by name.
func (r *modelResults) ranking(metric string, final bool) string {
	desc := final
	type item struct {
		est string
		v   float64
	}
	var items []item
	for _, est := range slices.Sorted(maps.Keys(r.runs[metric])) {
		var v float64
		if final {
			fin, _ := r.final(metric, est)
			if len(fin) == 0 {
				continue
			}
			v = newMeanTest(valuesOf(fin)).mean
		} else {
			var all []float64
			for _, pts := range r.runs[metric][est] {
				for _, p := range pts {
					if !math.IsNaN(p.value) {
						all = append(all, p.value)
					}
				}
			}
			if len(all) == 0 {
				continue
			}
			v = median(all)
		}
		items = append(items, item{est, v})
	}
	if len(items) == 0 {
		return ""
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if a.v == b.v {
			return strings.Compare(a.est, b.est)
		}
		if (a.v > b.v) == desc {
			return -1
		}
		return 1
	})
	sep := " > "
	if !desc {
		sep = " < "
	}
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("%s (%s)", it.est, report.Sig(it.v, 4)))
	}
	return strings.Join(out, sep)
}
