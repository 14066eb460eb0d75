package claims

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
)

// zeroGradient is the largest |exact gradient| component that counts as 0.
const zeroGradient = 1e-12

// exactMSE is the mean squared error, relative to the squared norm of the
// exact gradient, below which an estimator counts as exact on a problem.
const exactMSE = 1e-12

// estimatorCell is one estimator's rows (one per component) in one cell.
type estimatorCell struct {
	label    string
	unbiased bool
	rows     []*store.Row
	evals    float64
	mse      float64 // summed over components
	bias2    float64 // summed squared bias
}

// blockMSE returns, per replication block, the block's estimate of the
// summed mean squared error at a budget of budget evaluations: for each
// component (m_b − ref)² + v_b·(c/budget − 1/L), with m_b and v_b the
// block's mean and sample variance, L the block length and c the
// evaluations of one estimate. (m_b − ref)² − v_b/L estimates the squared
// bias without the block mean's own noise, and v_b·c/budget is the
// variance of the average of budget/c independent estimates. It returns
// nil if the rows carry no block statistics.
func (e *estimatorCell) blockMSE(budget float64) []float64 {
	var out []float64
	for _, r := range e.rows {
		b := len(r.BlockMeans)
		if b < 2 || len(r.BlockVariances) != b {
			return nil
		}
		if out == nil {
			out = make([]float64, b)
		} else if len(out) != b {
			return nil
		}
		l := float64(r.Replications) / float64(b)
		for i := range b {
			d := r.BlockMeans[i] - r.Reference
			out[i] += d*d + r.BlockVariances[i]*(e.evals/budget-1/l)
		}
	}
	return out
}

// welch returns the one-sided p-values of "a's mean is below b's" (H0:
// mean_a ≥ mean_b) and "above", from independent samples, by Welch's t.
func welch(a, b []float64) (pBelow, pAbove float64) {
	ma, mb := newMeanTest(a), newMeanTest(b)
	va, vb := ma.se*ma.se, mb.se*mb.se
	se := math.Sqrt(va + vb)
	if ma.n < 2 || mb.n < 2 {
		return math.NaN(), math.NaN()
	}
	d := ma.mean - mb.mean
	if se == 0 {
		switch {
		case d < 0:
			return 0, 1
		case d > 0:
			return 1, 0
		}
		return 1, 1
	}
	df := (va + vb) * (va + vb) / (va*va/ma.df + vb*vb/mb.df)
	t := d / se
	return tUpper(-t, df), tUpper(t, df)
}

// discreteCell is the comparison at one cell of a discrete problem.
type discreteCell struct {
	key                 string
	relax, unb          []*estimatorCell
	exact               []string // unbiased estimators exact here
	pRelaxWins, pUnbWin float64
	bestRelax, bestUnb  *estimatorCell
	budget              float64
}

// discreteProblem is one experiment of claim (e).
type discreteProblem struct {
	name       string
	cells      []*discreteCell
	degenerate int // cells with a zero exact gradient
	linear     int // cells whose objective is linear (MuProp exact)
	noBlocks   bool
	exact      map[string]int // estimator → cells where it is exact
	test       *Test
}

// newDiscreteProblem compares, at every cell of rows whose exact gradient
// is not zero, the relaxations (estimators that do not declare themselves
// unbiased) with the unbiased estimators by their mean squared error at
// equal evaluations.
func newDiscreteProblem(label, name string, rows []store.Row) *discreteProblem {
	dp := &discreteProblem{name: name, exact: map[string]int{}}
	cells := map[string]map[string]*estimatorCell{}
	var order []string
	for i := range rows {
		r := &rows[i]
		if r.Skipped != "" || math.IsNaN(r.Variance) {
			continue
		}
		k := cellKey(r)
		if cells[k] == nil {
			cells[k] = map[string]*estimatorCell{}
			order = append(order, k)
		}
		ec := cells[k][r.Estimator]
		if ec == nil {
			ec = &estimatorCell{label: r.Estimator, unbiased: r.Unbiased, evals: r.Evals}
			cells[k][r.Estimator] = ec
		}
		ec.rows = append(ec.rows, r)
		ec.mse += r.Bias*r.Bias + r.Variance
		ec.bias2 += r.Bias * r.Bias
	}
	pFor, pAgainst := 0.0, 1.0
	for _, k := range order {
		ests := cells[k]
		// The exact gradient, from any estimator's rows (they share it).
		var norm2, maxRef float64
		for _, r := range ests[sortedKeys(ests)[0]].rows {
			norm2 += r.Reference * r.Reference
			maxRef = math.Max(maxRef, math.Abs(r.Reference))
		}
		if maxRef <= zeroGradient {
			dp.degenerate++
			continue
		}
		c := &discreteCell{key: k}
		linear := false
		for _, l := range sortedKeys(ests) {
			ec := ests[l]
			switch {
			case !ec.unbiased:
				c.relax = append(c.relax, ec)
			default:
				if ec.mse <= exactMSE*norm2 {
					if strings.HasPrefix(l, "muprop") {
						linear = true
					}
					c.exact = append(c.exact, l)
				}
				c.unb = append(c.unb, ec)
			}
		}
		if linear {
			// MuProp's control variate is the first-order Taylor
			// expansion of f: it is exact when f is linear in x, a problem
			// that cannot show a trade-off.
			dp.linear++
			continue
		}
		for _, l := range c.exact {
			dp.exact[l]++
		}
		if len(c.relax) == 0 || len(c.unb) == 0 {
			continue
		}
		for _, ec := range append(slices.Clone(c.relax), c.unb...) {
			c.budget = math.Max(c.budget, ec.evals)
		}
		mse := map[*estimatorCell][]float64{}
		for _, ec := range append(slices.Clone(c.relax), c.unb...) {
			m := ec.blockMSE(c.budget)
			if m == nil {
				dp.noBlocks = true
				break
			}
			mse[ec] = m
		}
		if dp.noBlocks {
			break
		}
		at := func(ec *estimatorCell) float64 { return meanOf(mse[ec]) }
		// Some relaxation below every unbiased estimator: intersection–
		// union over the unbiased ones, Bonferroni over the relaxations.
		c.pRelaxWins = 1
		for _, rx := range c.relax {
			worst := 0.0
			for _, u := range c.unb {
				below, _ := welch(mse[rx], mse[u])
				worst = math.Max(worst, below)
			}
			c.pRelaxWins = math.Min(c.pRelaxWins, worst)
			if c.bestRelax == nil || at(rx) < at(c.bestRelax) {
				c.bestRelax = rx
			}
		}
		c.pRelaxWins = math.Min(1, float64(len(c.relax))*c.pRelaxWins)
		// Some unbiased estimator below every relaxation.
		c.pUnbWin = 1
		for _, u := range c.unb {
			worst := 0.0
			for _, rx := range c.relax {
				below, _ := welch(mse[u], mse[rx])
				worst = math.Max(worst, below)
			}
			c.pUnbWin = math.Min(c.pUnbWin, worst)
			if c.bestUnb == nil || at(u) < at(c.bestUnb) {
				c.bestUnb = u
			}
		}
		c.pUnbWin = math.Min(1, float64(len(c.unb))*c.pUnbWin)
		dp.cells = append(dp.cells, c)
		pFor = math.Max(pFor, c.pRelaxWins)
		pAgainst = math.Min(pAgainst, c.pUnbWin)
	}
	if dp.noBlocks || len(dp.cells) == 0 {
		dp.cells = nil
		return dp
	}
	pAgainst = math.Min(1, float64(len(dp.cells))*pAgainst)
	p, side := twoSided(pFor, pAgainst)
	dp.test = &Test{Claim: label, Question: name,
		H0:     "at the cell where it is hardest to decide, the best relaxation and the best unbiased estimator have equal MSE at equal evaluations",
		Method: fmt.Sprintf("Welch t-tests of block MSEs per cell and pair; for: a relaxation below every unbiased estimator at every cell (intersection–union over %d cells); against: an unbiased estimator below every relaxation at some cell (Bonferroni); twice the smaller p", len(dp.cells)),
		P:      p, Side: side}
	return dp
}

// span formats the range of scale·xs, "a–b", or "a" if they are equal, to
// digits significant digits.
func span(xs []float64, scale float64, digits int) string {
	lo, hi := report.Sig(scale*slices.Min(xs), digits), report.Sig(scale*slices.Max(xs), digits)
	if lo == hi {
		return lo
	}
	return lo + "–" + hi
}

// meanOf returns the mean of xs.
func meanOf(xs []float64) float64 {
	var m stats.Moments
	for _, x := range xs {
		m.Add(x)
	}
	return m.Mean()
}

// text describes the problem: what was left out, the best estimators and
// the bias share of the best relaxation's error.
func (dp *discreteProblem) text() string {
	var notes []string
	if dp.degenerate > 0 {
		notes = append(notes, countOf(dp.degenerate, "cell")+" with a zero exact gradient left out")
	}
	if dp.linear > 0 {
		notes = append(notes, countOf(dp.linear, "cell")+" with an objective linear in x (muprop exact) left out")
	}
	for _, l := range sortedKeys(dp.exact) {
		notes = append(notes, fmt.Sprintf("%s exact (zero error) at %s", l, countOf(dp.exact[l], "cell")))
	}
	if dp.noBlocks {
		notes = append(notes, "no block statistics: not tested")
	}
	if len(dp.cells) == 0 {
		if len(notes) == 0 {
			notes = append(notes, "no cell with both a relaxation and an unbiased estimator")
		}
		return dp.name + ": " + strings.Join(notes, "; ")
	}
	bestR, bestU, bestInexact := map[string]int{}, map[string]int{}, map[string]int{}
	ratios, shares := []float64{}, []float64{}
	for _, c := range dp.cells {
		bestR[c.bestRelax.label]++
		bestU[c.bestUnb.label]++
		// The ratio against the best unbiased estimator that is not exact
		// here (an exact one makes it infinite).
		var inexact *estimatorCell
		for _, u := range c.unb {
			if !slices.Contains(c.exact, u.label) && (inexact == nil || mseAt(u, c.budget) < mseAt(inexact, c.budget)) {
				inexact = u
			}
		}
		if inexact != nil {
			bestInexact[inexact.label]++
			ratios = append(ratios, mseAt(c.bestRelax, c.budget)/mseAt(inexact, c.budget))
		}
		shares = append(shares, c.bestRelax.bias2/mseAt(c.bestRelax, c.budget))
	}
	count := func(m map[string]int) string {
		var s []string
		for _, l := range sortedKeys(m) {
			s = append(s, fmt.Sprintf("%s at %d", l, m[l]))
		}
		return strings.Join(s, ", ")
	}
	txt := fmt.Sprintf("%s (%s): lowest MSE at equal evaluations among relaxations %s, among unbiased estimators %s",
		dp.name, countOf(len(dp.cells), "cell"), count(bestR), count(bestU))
	if len(ratios) > 0 {
		txt += fmt.Sprintf("; MSE of the best relaxation / the best unbiased estimator that is not exact (%s) %s",
			count(bestInexact), span(ratios, 1, 3))
	}
	txt += fmt.Sprintf("; squared bias %s%% of the best relaxation's MSE; %s", span(shares, 100, 2), dp.test.result())
	if len(notes) > 0 {
		txt += " (" + strings.Join(notes, "; ") + ")"
	}
	return txt
}

// mseAt is the summed MSE of e at a budget of budget evaluations: its
// squared bias plus its variance averaged over budget/evals estimates.
func mseAt(e *estimatorCell, budget float64) float64 {
	return e.bias2 + (e.mse-e.bias2)*e.evals/budget
}

// claimDiscrete is claim (e), on the discrete experiments whose results
// exist (exps: name → rows).
func claimDiscrete(names []string, exps [][]store.Row) *builder {
	const label = "(e)"
	var probs []*discreteProblem
	var tests []*Test
	for i, rows := range exps {
		dp := newDiscreteProblem(label, names[i], rows)
		probs = append(probs, dp)
		if dp.test != nil {
			tests = append(tests, dp.test)
		}
	}
	b := &builder{claim: Claim{
		Label:       label,
		Statement:   "discrete distributions require alternatives like the Gumbel-Softmax trick",
		Experiments: names,
		Test:        "Read as: a relaxation (an estimator that does not declare itself unbiased: Gumbel-Softmax, straight-through, Gumbel-Rao, ReinMax, at their temperatures) has lower mean squared error than every unbiased estimator at equal evaluations (its bias does not average away; the others' variance does). Per cell, Welch t-tests of the block MSEs; for: some relaxation below every unbiased estimator at every cell (intersection–union); against: some unbiased estimator below every relaxation at some cell (Bonferroni); one test per problem, twice the smaller p. Cells with a zero exact gradient, or an objective linear in x (where MuProp is exact), are degenerate and left out. Supported if supported on every problem tested, not supported if not supported on any",
		Tests:       tests,
	}}
	b.finish = func(c *Claim) {
		var parts []string
		var ps []part
		for _, dp := range probs {
			parts = append(parts, dp.text())
			if dp.test != nil {
				ps = append(ps, part{label: dp.name, word: dp.test.Outcome(), reason: "Holm p " + pText(dp.test.Adjusted)})
			}
		}
		c.Measured = strings.Join(parts, ". ")
		if len(ps) == 0 {
			c.Verdict = Verdict{Inconclusive, "no non-degenerate problem: every cell has a zero exact gradient or an exact unbiased estimator"}
			return
		}
		c.Verdict = every(ps, "problem")
	}
	return b
}
