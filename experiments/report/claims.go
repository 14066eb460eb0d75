package report

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// The experiments behind the claims table, by results-folder name.
const (
	ClaimsContinuous = "claims-continuous"
	ClaimsStep       = "claims-step"
)

// ClaimsFigures are the Mohamed et al. (2020) Fig. 2–3 sweeps that the
// claims (b) and (c) also draw on.
var ClaimsFigures = []string{"fig2-quadratic", "fig3-gaussian", "fig3-cos"}

// Claims reads the results folders under dir and returns the table of the
// seed text's claims, one row each: what was claimed, the experiments, what
// was measured, and the verdict. Every number comes from the results. The
// rows (a)–(d) need their results; the others appear when theirs exist:
// (e) on discrete variables (ClaimsDiscrete), (f) the Gaussian VAE
// (ClaimsVAEGaussian), (g) Bayesian logistic regression (ClaimsBLR) and (h)
// the Bernoulli VAE (ClaimsVAEBernoulli, either or both).
func Claims(dir string) (*table.Table, error) {
	load := func(name string) ([]store.Row, error) {
		rows, err := store.LoadCells(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("claims: %w (run experiments/%s.toml first)", err, name)
		}
		return rows, nil
	}
	cont, err := load(ClaimsContinuous)
	if err != nil {
		return nil, err
	}
	step, err := load(ClaimsStep)
	if err != nil {
		return nil, err
	}
	var figs []store.Row
	for _, name := range ClaimsFigures {
		rows, err := load(name)
		if err != nil {
			return nil, err
		}
		figs = append(figs, rows...)
	}
	t := &table.Table{
		Caption: "The seed text's claims, as measured",
		Header:  []string{"claim", "experiments", "measured", "verdict"},
		// Wrapped text columns for the paper (\textwidth ≈ 16 cm).
		LaTeXColumns: ">{\\raggedright\\arraybackslash}p{3.2cm}>{\\raggedright\\arraybackslash}p{2.3cm}>{\\raggedright\\arraybackslash}p{7.6cm}>{\\raggedright\\arraybackslash}p{2.2cm}",
		LaTeXLabel:   "tab:claims",
	}
	t.Append(claimUnbiased(cont)...)
	t.Append(claimSamples(append(slices.Clone(figs), cont...))...)
	t.Append(claimLowest(figs, cont)...)
	t.Append(claimStep(step)...)
	// The discrete experiments are optional: the row appears when their
	// results exist.
	var discrete [][]store.Row
	for _, name := range ClaimsDiscrete {
		rows, err := store.LoadCells(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			discrete = nil
			break
		} else if err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		discrete = append(discrete, rows)
	}
	if discrete != nil {
		t.Append(claimDiscrete(discrete)...)
	}
	// The model experiments, each when its results exist.
	rows, err := modelClaims(dir)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		t.Append(r...)
	}
	return t, nil
}

// ClaimsDiscrete are the experiments behind claim (e): relaxed estimators
// at several temperatures beside unbiased ones, with exact references.
var ClaimsDiscrete = []string{"discrete-categorical", "discrete-bernoulli3"}

// claimDiscrete summarises, per experiment, the mean squared error of
// every estimator summed over components and settings: the MSE-optimal
// temperature of the relaxation, and which estimators beat it.
func claimDiscrete(exps [][]store.Row) []string {
	var parts []string
	relaxWins, settings := 0, 0
	for _, rows := range exps {
		if len(rows) == 0 {
			continue
		}
		total := map[string]float64{} // label → summed MSE
		unbiased := map[string]bool{}
		perSetting := map[string]map[string]float64{}
		for _, r := range run(rows) {
			total[r.Estimator] += r.MSE
			unbiased[r.Estimator] = r.Unbiased
			k := fmt.Sprintf("%v|%s%v|%d", r.Dist, r.Objective, r.Obj, r.N)
			if perSetting[k] == nil {
				perSetting[k] = map[string]float64{}
			}
			perSetting[k][r.Estimator] += r.MSE
		}
		best := func(wantUnbiased bool, m map[string]float64) (string, float64) {
			name, v := "", math.Inf(1)
			for _, l := range slices.Sorted(maps.Keys(m)) {
				if unbiased[l] == wantUnbiased && m[l] < v {
					name, v = l, m[l]
				}
			}
			return name, v
		}
		relax, rv := best(false, total)
		unb, uv := best(true, total)
		for _, m := range perSetting {
			settings++
			_, r := best(false, m)
			_, u := best(true, m)
			if r < u {
				relaxWins++
			}
		}
		parts = append(parts, fmt.Sprintf("%s: lowest summed MSE among relaxations %s (%.3g), among unbiased estimators %s (%.3g)",
			rows[0].Experiment, relax, rv, unb, uv))
	}
	verdict := "not supported: unbiased estimators did better"
	if relaxWins*2 > settings {
		verdict = "partly supported: relaxations (biased) had the lower MSE"
	} else if relaxWins > 0 {
		verdict = "partly supported: unbiased estimators usually did better"
	}
	return []string{
		"(e) discrete distributions require alternatives like the Gumbel-Softmax trick",
		strings.Join(ClaimsDiscrete, ", "),
		fmt.Sprintf("%s; the best relaxation beats the best unbiased estimator (score function, RLOO, MuProp, ARM/DisARM, REBAR, RELAX) at %d of %d settings. Relaxations are biased at every τ > 0; the unbiased estimators need no relaxation",
			strings.Join(parts, "; "), relaxWins, settings),
		verdict,
	}
}

// run returns the rows that were run (not skipped), with a finite variance.
func run(rows []store.Row) []store.Row {
	var out []store.Row
	for _, r := range rows {
		if r.Skipped == "" && !math.IsNaN(r.Variance) {
			out = append(out, r)
		}
	}
	return out
}

// setting identifies a cell × component apart from the estimator.
func setting(r *store.Row) string {
	return fmt.Sprintf("%s|%s%v|%s%v|%d|%s", r.Experiment, r.Distribution, r.Dist, r.Objective, r.Obj, r.N, r.Param)
}

func claimUnbiased(rows []store.Row) []string {
	n, within, maxZ := 0, 0, 0.0
	for _, r := range run(rows) {
		if r.Estimator != "pathwise" || r.ReferenceMethod == "none" {
			continue
		}
		n++
		z := math.Abs(r.Bias) / math.Hypot(r.SE, r.ReferenceSE)
		if r.SE == 0 && r.Bias == 0 {
			z = 0
		}
		if z <= 4 {
			within++
		}
		maxZ = math.Max(maxZ, z)
	}
	verdict := "supported"
	if within < n {
		verdict = "not supported"
	}
	return []string{
		"(a) the pathwise estimator is unbiased (a change of variables, not an approximation)",
		ClaimsContinuous,
		fmt.Sprintf("%d of %d gradient components within 4 SE of the exact gradient (6 families × 6 objectives; max |bias|/SE = %.2f)", within, n, maxZ),
		verdict,
	}
}

// pairs returns, per setting, the variances of the named estimators.
func pairs(rows []store.Row) map[string]map[string]*store.Row {
	out := map[string]map[string]*store.Row{}
	for i := range rows {
		r := &rows[i]
		if r.Skipped != "" {
			continue
		}
		s := setting(r)
		if out[s] == nil {
			out[s] = map[string]*store.Row{}
		}
		out[s][r.Estimator] = r
	}
	return out
}

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

func claimSamples(rows []store.Row) []string {
	var ratios, timeRatios []float64
	for _, est := range pairs(rows) {
		p, s := est["pathwise"], est["score"]
		if p == nil || s == nil || !(p.Variance > 0) {
			continue
		}
		// Variance falls as 1/n, so a score-function estimate needs
		// Var_score/Var_pathwise times as many samples; both cost one
		// evaluation per sample, so this is also the ratio per evaluation.
		ratios = append(ratios, s.VarTimesEvals/p.VarTimesEvals)
		if p.VarTimesNs > 0 {
			timeRatios = append(timeRatios, s.VarTimesNs/p.VarTimesNs)
		}
	}
	more := 0
	for _, r := range ratios {
		if r > 1 {
			more++
		}
	}
	frac := float64(more) / float64(len(ratios))
	verdict := "supported"
	switch {
	case frac < 0.5:
		verdict = "not supported"
	case frac < 1:
		verdict = "mostly supported"
	}
	return []string{
		"(b) the score function needs many more samples for the same variance",
		strings.Join(append(slices.Clone(ClaimsFigures), ClaimsContinuous), ", "),
		fmt.Sprintf("samples of score per pathwise sample for equal variance (= ratio per evaluation): median %.3g, range %.3g–%.3g over %d settings; > 1 in %d (%.0f%%); per unit of time: median %.3g",
			median(ratios), slices.Min(ratios), slices.Max(ratios), len(ratios), more, 100*frac, median(timeRatios)),
		verdict,
	}
}

func claimLowest(figs, cont []store.Row) []string {
	// Pathwise against the score function, per sample and per evaluation,
	// on the normal (the figures) and the other continuous families.
	all := append(slices.Clone(figs), cont...)
	wins, winsCost, n, sigWins, sigLosses := 0, 0, 0, 0, 0
	losses := map[string][]float64{} // "experiment ∂param" → k where pathwise loses
	for _, est := range pairs(all) {
		p, s := est["pathwise"], est["score"]
		if p == nil || s == nil {
			continue
		}
		n++
		// The two estimators ran on independent streams: a two-sided test
		// at 5% tells real differences from near-ties.
		if _, pv := stats.CompareVariances(summaryOf(s), summaryOf(p)); pv < 0.05 {
			if p.Variance < s.Variance {
				sigWins++
			} else {
				sigLosses++
			}
		}
		if p.Variance <= s.Variance {
			wins++
		} else {
			k, _ := p.Get("obj.k")
			key := p.Distribution + "/" + p.Objective
			losses[key] = append(losses[key], k)
		}
		if p.VarTimesEvals <= s.VarTimesEvals {
			winsCost++
		}
	}
	var where []string
	for _, key := range slices.Sorted(maps.Keys(losses)) {
		ks := losses[key]
		where = append(where, fmt.Sprintf("%s (%d components, k %.3g–%.3g)", key, len(ks), slices.Min(ks), slices.Max(ks)))
	}
	// Among the four estimators of the figures, per evaluation of f or ∇f.
	lowest, total := 0, 0
	beaten := map[string]int{}
	for _, est := range pairs(figs) {
		p := est["pathwise"]
		if p == nil || len(est) < 2 {
			continue
		}
		total++
		best, bestV := "pathwise", p.VarTimesEvals
		for _, name := range slices.Sorted(maps.Keys(est)) {
			if r := est[name]; r.VarTimesEvals < bestV {
				best, bestV = name, r.VarTimesEvals
			}
		}
		if best == "pathwise" {
			lowest++
		} else {
			beaten[best]++
		}
	}
	var by []string
	for _, name := range slices.Sorted(maps.Keys(beaten)) {
		by = append(by, fmt.Sprintf("%s %d", name, beaten[name]))
	}
	frac := float64(wins) / float64(n)
	verdict := "supported: usually, not always"
	switch {
	case n == 0:
		verdict = "no data: no setting has both estimators"
	case wins == n:
		verdict = "not supported: pathwise was always lower"
	case frac < 0.5:
		verdict = "not supported: pathwise was lower at under half the settings"
	}
	return []string{
		"(c) pathwise is usually, not always, the lower-variance choice for continuous families",
		strings.Join(append(slices.Clone(ClaimsFigures), ClaimsContinuous), ", "),
		fmt.Sprintf("pathwise below the score function at %d of %d settings per sample (%.0f%%; significantly lower at %d, significantly higher at %d, at 5%% per setting), %d per evaluation; it loses on %s. Per evaluation among score, score+optimal, pathwise and coupled mvd (Figs 2–3): pathwise lowest at %d of %d settings, beaten by %s",
			wins, n, 100*frac, sigWins, sigLosses, winsCost, strings.Join(where, "; "), lowest, total, strings.Join(by, ", ")),
		verdict,
	}
}

func claimStep(rows []store.Row) []string {
	var pw, sc []string
	pathwiseWrong, scoreRight, nP, nS := 0, 0, 0, 0
	for _, r := range run(rows) {
		z := math.Abs(r.Bias) / math.Hypot(r.SE, r.ReferenceSE)
		k, _ := r.Get("obj.k")
		switch r.Estimator {
		case "pathwise":
			if r.Reference != 0 {
				// Where the true gradient is 0, a zero estimate is right.
				nP++
				if math.Abs(r.Bias) > 4*r.ReferenceSE {
					pathwiseWrong++
				}
			}
			pw = append(pw, fmt.Sprintf("k=%g ∂%s: %.3g vs %.3g", k, r.Param, r.Mean, r.Reference))
		case "score":
			nS++
			if z <= 4 {
				scoreRight++
			}
			sc = append(sc, fmt.Sprintf("%.1f", z))
		}
	}
	verdict := "supported"
	if pathwiseWrong < nP || scoreRight < nS {
		verdict = "not supported"
	}
	return []string{
		"(d) on a non-differentiable objective (step) pathwise gives a wrong (zero) gradient and the score function is right",
		ClaimsStep,
		fmt.Sprintf("pathwise (a.e. derivative) mean vs exact: %s (wrong at %d of the %d components whose gradient is not 0); score within 4 SE at %d of %d components (|bias|/SE: %s)",
			strings.Join(pw, "; "), pathwiseWrong, nP, scoreRight, nS, strings.Join(sc, ", ")),
		verdict,
	}
}

// Provenance returns a table of the metadata of results folders: the
// experiment, its spec's SHA-256 (abbreviated), seed, profile, commit, Go
// version and platform, and wall time.
func Provenance(dirs []string) (*table.Table, error) {
	t := &table.Table{
		Caption:    "Provenance of the results (from each folder's meta.json)",
		Header:     []string{"experiment", "spec sha256", "seed", "profile", "commit", "go", "platform", "workers", "wall time"},
		LaTeXLabel: "tab:provenance",
	}
	for _, d := range dirs {
		m, err := store.LoadMeta(d)
		if err != nil {
			return nil, fmt.Errorf("provenance: %s: %w", filepath.Join(d, store.MetaFile), err)
		}
		profile := m.Profile
		if profile == "" {
			profile = "full"
		}
		commit := m.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if m.Dirty {
			commit += "+"
		}
		sha := m.SpecSHA256
		if len(sha) > 12 {
			sha = sha[:12]
		}
		t.Append(m.Experiment, sha, fmt.Sprint(m.Seed), profile, commit, m.GoVersion, m.GOOS+"/"+m.GOARCH, fmt.Sprint(m.Workers), m.End.Sub(m.Start).Round(1e7).String())
	}
	return t, nil
}

// summaryOf returns the variance summary of a row, for variance tests.
func summaryOf(r *store.Row) stats.VarianceSummary {
	return stats.VarianceSummary{N: r.Replications - r.Nonfinite, Variance: r.Variance, Kurtosis: r.Kurtosis}
}
