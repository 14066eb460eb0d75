package report

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
)

// The model experiments behind the claims (f)–(h), by results-folder name.
const (
	ClaimsVAEGaussian = "vae-gaussian"
	ClaimsBLR         = "blr"
)

// ClaimsVAEBernoulli are the Bernoulli-VAE experiments behind claim (h).
var ClaimsVAEBernoulli = []string{"vae-bernoulli-linear", "vae-bernoulli-nonlinear"}

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
	return r, nil
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

// meanSE returns the mean of xs and its standard error (NaN with fewer
// than two values).
func meanSE(xs []float64) (mean, se float64) {
	var m stats.Moments
	for _, x := range xs {
		m.Add(x)
	}
	return m.Mean(), m.SE()
}

// tHalfWidth returns the half-width of the two-sided Student t interval of
// level for a mean with standard error se and df degrees of freedom (NaN if
// either is not usable).
func tHalfWidth(se, df, level float64) float64 {
	if !(se >= 0) || !(df > 0) {
		return math.NaN()
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.5+level/2) * se
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
func paired(a, b map[int]float64) []float64 {
	var out []float64
	for _, s := range slices.Sorted(maps.Keys(a)) {
		if v, ok := b[s]; ok {
			out = append(out, a[s]-v)
		}
	}
	return out
}

func valueMap(m map[int]modelPoint) map[int]float64 {
	out := map[int]float64{}
	for s, p := range m {
		out[s] = p.value
	}
	return out
}

// signed formats v with an explicit sign.
func signed(v float64) string {
	if v >= 0 {
		return "+" + Num(v)
	}
	return Num(v)
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

// scoreVariants are the score-function estimators of claim (f), compared
// with pathwise in this order when present.
var scoreVariants = []string{"score", "score+ma", "score+loo"}

// claimVAEGaussian is claim (f): the held-out importance-weighted bound of
// pathwise against each score-function variant at the end of training
// (equal steps) and at equal cumulative evaluations, paired by seed (the
// runs of one seed share their initial weights).
func claimVAEGaussian(r *modelResults) []string {
	const metric = "test_iw"
	claim := "(f) pathwise trains the Gaussian VAE; the score function at equal evaluations does not, or does so slower"
	pw, pwStopped := r.final(metric, "pathwise")
	var variants []string
	for _, v := range scoreVariants {
		if r.has(metric, v) {
			variants = append(variants, v)
		}
	}
	if len(pw) == 0 || len(variants) == 0 {
		return []string{claim, r.name, "no pathwise run, or no score-function run, reached the end of training", "no data"}
	}
	// The initial bound: all runs of a seed start from the same weights.
	var init []float64
	for _, s := range slices.Sorted(maps.Keys(pw)) {
		init = append(init, r.runs[metric]["pathwise"][s][0].value)
	}
	initMean, _ := meanSE(init)
	pwMean, pwSE := meanSE(valuesOf(pw))
	gain := pwMean - initMean
	n := len(pw)
	// Bonferroni over the variants: the family of intervals covers at 95%.
	level := 1 - 0.05/float64(len(variants))
	var parts, verdicts []string
	parts = append(parts, fmt.Sprintf("%s; test IW bound at step %d (mean ± SE over seeds): pathwise %s, %s above the initial %s%s",
		seedsText(n), r.lastStep, PlusMinus(pwMean, pwSE), signed(gain), Num(initMean), stoppedText("pathwise", pwStopped, n+len(pwStopped))))
	largestCommon := false
	for _, v := range variants {
		vf, vStopped := r.final(metric, v)
		vMean, vSE := meanSE(valuesOf(vf))
		// Equal steps.
		dSteps := paired(valueMap(pw), valueMap(vf))
		// Equal evaluations, per seed: pathwise's final count, or the
		// largest count both runs reach.
		var dEvals []float64
		var vAtE []float64
		for _, s := range slices.Sorted(maps.Keys(pw)) {
			if _, ok := vf[s]; !ok {
				continue
			}
			pts := r.runs[metric][v][s]
			e := pw[s].evals
			if last := pts[len(pts)-1].evals; last < e {
				e, largestCommon = last, true
			}
			va := atEvals(pts, e)
			pa := atEvals(r.runs[metric]["pathwise"][s], e)
			vAtE = append(vAtE, va)
			dEvals = append(dEvals, pa-va)
		}
		mS, seS := meanSE(dSteps)
		mE, seE := meanSE(dEvals)
		vE, _ := meanSE(vAtE)
		hS := tHalfWidth(seS, float64(len(dSteps)-1), level)
		hE := tHalfWidth(seE, float64(len(dEvals)-1), level)
		recovered := (vE - initMean) / gain
		higher := 0
		for _, d := range dEvals {
			if d > 0 {
				higher++
			}
		}
		interval := func(m, h float64) string {
			if math.IsNaN(h) {
				return signed(m)
			}
			return fmt.Sprintf("%s [%s, %s]", signed(m), sig(m-h, 3, true), sig(m+h, 3, true))
		}
		parts = append(parts, fmt.Sprintf("%s %s; pathwise − %s at equal steps %s, at equal evaluations %s (pathwise higher in %d of %d seeds); %s recovers %.0f%% of pathwise's gain at equal evaluations%s",
			v, PlusMinus(vMean, vSE), v, interval(mS, hS), interval(mE, hE), higher, len(dEvals), v, 100*recovered,
			stoppedText(v, vStopped, len(vf)+len(vStopped))))
		var verdict string
		switch {
		case len(dEvals) < 2:
			verdict = "not tested (" + seedsText(len(dEvals)) + ")"
		case !(mE-hE > 0):
			verdict = "not supported (no significant gap)"
		case recovered < 0.5:
			verdict = "does not"
		default:
			verdict = "does so slower"
		}
		verdicts = append(verdicts, v+": "+verdict)
	}
	where := "pathwise's final count"
	if largestCommon {
		where = "pathwise's final count, or the largest count both runs reach where the variant's run ends earlier"
	}
	parts = append(parts, fmt.Sprintf("Equal evaluations: per seed at %s, the bound interpolated linearly between evaluation points; differences paired by seed (shared initial weights), %.4g%% t-intervals with n − 1 df (95%% jointly, Bonferroni over %d variants). Verdict rule: \"does not\" if the gap is significant and the variant recovers under half of pathwise's gain over the initial bound, \"does so slower\" if significant with at least half",
		where, 100*level, len(variants)))
	overall := strings.Join(verdicts, "; ")
	if !(gain > 0) {
		overall = "not supported: pathwise did not improve the bound; " + overall
	}
	return []string{claim, r.name, strings.Join(parts, ". "), overall}
}

// claimBLR is claim (g): pathwise and mvd reach the same final ELBO, and
// the score function's μ-gradient variance (with and without a moving
// average baseline) is at least ten times pathwise's at every evaluation.
func claimBLR(r *modelResults) []string {
	claim := "(g) Bayesian logistic regression: pathwise and mvd reach the same final ELBO within noise; the score function's μ-gradient variance is ≥ 10× pathwise's throughout"
	var parts, verdicts []string
	pw, pwStopped := r.final("elbo", "pathwise")
	mvd, mvdStopped := r.final("elbo", "mvd")
	if len(pw) > 0 && len(mvd) > 0 {
		pm, ps := meanSE(valuesOf(pw))
		mm, ms := meanSE(valuesOf(mvd))
		// The Monte Carlo error of one evaluation of the ELBO, as the
		// root mean square of elbo_se over the final points.
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
		pmc, mmc := mcse("pathwise", pw), mcse("mvd", mvd)
		d := pm - mm
		var se, df float64
		var how string
		if len(pw) >= 2 && len(mvd) >= 2 {
			// Welch: the spread over seeds holds training noise and the
			// evaluation's Monte Carlo error.
			a, b := ps*ps, ms*ms
			se = math.Sqrt(a + b)
			df = (a + b) * (a + b) / (a*a/float64(len(pw)-1) + b*b/float64(len(mvd)-1))
			how = fmt.Sprintf("95%% Welch t-interval (%.3g df) from the spread over seeds", df)
		} else {
			// One seed: only the evaluation's Monte Carlo error is known.
			se = math.Hypot(pmc/math.Sqrt(float64(len(pw))), mmc/math.Sqrt(float64(len(mvd))))
			df = math.Inf(1)
			how = "95% normal interval from the Monte Carlo error of the evaluation alone (one seed: training noise unmeasured)"
		}
		h := math.NaN()
		if math.IsInf(df, 1) {
			h = 1.959963984540054 * se
		} else {
			h = tHalfWidth(se, df, 0.95)
		}
		parts = append(parts, fmt.Sprintf("final ELBO at step %d (mean ± SE over seeds; Monte Carlo SE of one evaluation ≈ %s and %s): pathwise %s (%s), mvd %s (%s); pathwise − mvd %s, %s [%s, %s]%s%s",
			r.lastStep, sig(pmc, 2, true), sig(mmc, 2, true), PlusMinus(pm, ps), seedsText(len(pw)), PlusMinus(mm, ms), seedsText(len(mvd)),
			signed(d), how, sig(d-h, 3, true), sig(d+h, 3, true),
			stoppedText("pathwise", pwStopped, len(pw)+len(pwStopped)), stoppedText("mvd", mvdStopped, len(mvd)+len(mvdStopped))))
		switch {
		case math.IsNaN(h):
			verdicts = append(verdicts, "ELBO: not tested")
		case (len(pw) < 2 || len(mvd) < 2) && (d-h > 0 || d+h < 0):
			verdicts = append(verdicts, "ELBO: not supported on 1 seed (the difference exceeds the evaluation's Monte Carlo error; training noise unmeasured)")
		case len(pw) < 2 || len(mvd) < 2:
			verdicts = append(verdicts, "ELBO: untested (1 seed: within the evaluation's Monte Carlo error; training noise unmeasured)")
		case d-h > 0 || d+h < 0:
			dir := "higher"
			if d < 0 {
				dir = "lower"
			}
			verdicts = append(verdicts, "ELBO: not supported (pathwise significantly "+dir+")")
		default:
			verdicts = append(verdicts, "ELBO: supported (no significant difference; not a proof of equality)")
		}
	} else {
		verdicts = append(verdicts, "ELBO: no data (pathwise or mvd missing)")
	}
	for _, v := range []string{"score", "score+ma"} {
		if !r.has("var_mu", v) || !r.has("var_mu", "pathwise") {
			continue
		}
		// Mean over seeds of var_mu at each evaluation step.
		meanAt := func(est string) map[int]float64 {
			sum, cnt := map[int]float64{}, map[int]int{}
			for _, pts := range r.runs["var_mu"][est] {
				for _, p := range pts {
					if !math.IsNaN(p.value) {
						sum[p.step] += p.value
						cnt[p.step]++
					}
				}
			}
			for s := range sum {
				sum[s] /= float64(cnt[s])
			}
			return sum
		}
		pv, vv := meanAt("pathwise"), meanAt(v)
		var ratios []float64
		minR, minStep, below := math.Inf(1), 0, 0
		for _, st := range slices.Sorted(maps.Keys(pv)) {
			x, ok := vv[st]
			if !ok || !(pv[st] > 0) {
				continue
			}
			q := x / pv[st]
			ratios = append(ratios, q)
			if q < minR {
				minR, minStep = q, st
			}
			if q < 10 {
				below++
			}
		}
		if len(ratios) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("Var[∂/∂μ] ratio %s/pathwise (means over seeds) at %d evaluation steps: min %s (step %d), median %s, below 10 at %d",
			v, len(ratios), sig(minR, 3, true), minStep, sig(median(ratios), 3, true), below))
		if below == 0 {
			verdicts = append(verdicts, v+" variance: supported")
		} else {
			verdicts = append(verdicts, fmt.Sprintf("%s variance: not supported (below 10× at %d of %d steps)", v, below, len(ratios)))
		}
	}
	if len(parts) > 1 {
		parts[len(parts)-1] += ". Each variance is itself estimated from a few draws per step, so the minimum over steps is biased low"
	}
	return []string{claim, r.name, strings.Join(parts, ". "), strings.Join(verdicts, "; ")}
}

// claimVAEBernoulli is claim (h): DisARM against ARM at the end of
// training, paired by seed, and the estimators ranked by their final test
// bound and by their median encoder-gradient variance.
func claimVAEBernoulli(exps []*modelResults) []string {
	var names, parts, verdicts []string
	for _, r := range exps {
		names = append(names, r.name)
		var sub []string
		verdict := r.name + ": no data (no ARM or DisARM run)"
		if r.has("train_elbo", "arm") && r.has("train_elbo", "disarm") {
			var vs []string
			for _, metric := range []string{"train_elbo", "test_iw"} {
				a, _ := r.final(metric, "arm")
				d, _ := r.final(metric, "disarm")
				diffs := paired(valueMap(d), valueMap(a))
				m, se := meanSE(diffs)
				h := tHalfWidth(se, float64(len(diffs)-1), 0.95)
				holds := 0
				for _, x := range diffs {
					if x >= 0 {
						holds++
					}
				}
				ci := ""
				if !math.IsNaN(h) {
					ci = fmt.Sprintf(" [%s, %s]", sig(m-h, 3, true), sig(m+h, 3, true))
				}
				sub = append(sub, fmt.Sprintf("disarm − arm %s %s%s (≥ 0 in %d of %d seeds)", metric, signed(m), ci, holds, len(diffs)))
				vs = append(vs, metric+" "+disarmVerdict(m, h, len(diffs)))
			}
			verdict = r.name + ": " + strings.Join(vs, ", ")
		}
		// Rankings.
		if rank := r.ranking("test_iw", true); rank != "" {
			sub = append(sub, "by final test IW bound (mean over seeds): "+rank)
		}
		if rank := r.ranking("var_enc", false); rank != "" {
			sub = append(sub, "by median encoder-gradient variance over evaluations and seeds (lowest first): "+rank)
		}
		parts = append(parts, fmt.Sprintf("%s (step %d, paired by seed, 95%% t-intervals): %s", r.name, r.lastStep, strings.Join(sub, "; ")))
		verdicts = append(verdicts, verdict)
	}
	return []string{
		"(h) Bernoulli VAE: DisARM ≥ ARM in ELBO at equal steps on average over seeds (and how the estimators rank)",
		strings.Join(names, ", "),
		strings.Join(parts, ". "),
		strings.Join(verdicts, "; "),
	}
}

// disarmVerdict judges DisARM − ARM from the mean m of n paired
// differences and the half-width h of its 95% t-interval.
func disarmVerdict(m, h float64, n int) string {
	switch {
	case n == 0:
		return "no data"
	case n < 2 && m >= 0:
		return "holds on 1 seed (untested)"
	case n < 2:
		return "fails on 1 seed (untested)"
	case m-h > 0:
		return "supported (significantly higher)"
	case m >= 0:
		return "supported on average (not significant, " + seedsText(n) + ")"
	case m+h < 0:
		return "not supported (significantly lower)"
	default:
		return "not supported on average (lower, not significant, " + seedsText(n) + ")"
	}
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
			v, _ = meanSE(valuesOf(fin))
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
		out = append(out, fmt.Sprintf("%s (%s)", it.est, sig(it.v, 4, true)))
	}
	return strings.Join(out, sep)
}

// modelClaims returns the rows (f)–(h) whose results exist under dir.
func modelClaims(dir string) ([][]string, error) {
	var rows [][]string
	vg, err := loadModel(dir, ClaimsVAEGaussian)
	if err != nil {
		return nil, err
	}
	if vg != nil {
		rows = append(rows, claimVAEGaussian(vg))
	}
	b, err := loadModel(dir, ClaimsBLR)
	if err != nil {
		return nil, err
	}
	if b != nil {
		rows = append(rows, claimBLR(b))
	}
	var exps []*modelResults
	for _, name := range ClaimsVAEBernoulli {
		r, err := loadModel(dir, name)
		if err != nil {
			return nil, err
		}
		if r != nil {
			exps = append(exps, r)
		}
	}
	if len(exps) > 0 {
		rows = append(rows, claimVAEBernoulli(exps))
	}
	return rows, nil
}
