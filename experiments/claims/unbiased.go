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

// EquivalenceSD is the equivalence margin of an unbiasedness claim, as a
// fraction of the standard deviation of one estimate of the component: an
// estimator is called unbiased when every component's |bias| is shown to
// be below EquivalenceSD·sd. A bias of 5% of one estimate's standard
// deviation stays below the standard error of an average of up to
// 1/0.05² = 400 estimates, so it cannot be told from noise in any run of
// fewer than 400 gradient steps, and it is small against the step noise
// that stochastic optimisation already tolerates.
const EquivalenceSD = 0.05

// cellKey identifies a sweep cell apart from the gradient component.
func cellKey(r *store.Row) string {
	return fmt.Sprintf("%s|%s%v|%s%v|%d", r.Experiment, r.Distribution, r.Dist, r.Objective, r.Obj, r.N)
}

// where names a row's setting for the text: "normal/cos k=5 ∂mu".
func where(r *store.Row) string {
	var ps []string
	for _, kv := range r.Obj {
		ps = append(ps, kv.Name+"="+report.Num(kv.Value))
	}
	s := r.Distribution + "/" + r.Objective
	if len(ps) > 0 {
		s += " " + strings.Join(ps, ",")
	}
	return s + " ∂" + r.Param
}

// measuredRows returns the rows of est that were run, with a finite
// variance and a reference.
func measuredRows(rows []store.Row, est string) []*store.Row {
	var out []*store.Row
	for i := range rows {
		r := &rows[i]
		if r.Estimator == est && r.Skipped == "" && !math.IsNaN(r.Variance) && !math.IsNaN(r.Reference) && r.ReferenceMethod != "none" {
			out = append(out, r)
		}
	}
	return out
}

// biasZ returns the standardized bias of r, bias/sqrt(SE² + SE_ref²), and
// its two-sided normal p-value.
func biasZ(r *store.Row) (z, p float64) {
	return stats.ZTest(r.Mean, r.SE, r.Reference, r.ReferenceSE)
}

// unbiased is the pair of tests of "est is unbiased on these rows".
type unbiased struct {
	against, forT *Test
	components    int
	cells         int
	maxZ          float64 // largest |bias|/SE
	maxZAt        string
	maxBiasSD     float64 // largest |bias|/sd
	fisherX       float64
}

// unbiasedTests builds the two tests of an unbiasedness claim for est:
//
//   - against (H0: every component's mean equals its reference): per
//     component the z-test of bias/sqrt(SE² + SE_ref²); per cell the
//     smallest p-value times the number of components (Bonferroni, valid
//     whatever the components' correlation); over cells, which run on
//     independent random streams, Fisher's combination −2Σ log p_c ~ χ²(2C).
//     It reacts to a systematic bias spread over many components, and to a
//     single component only when it stands out by more than chance among
//     them.
//   - for (H0: some component's |bias| ≥ EquivalenceSD·sd): per component
//     the two one-sided tests (TOST) of |bias| < margin, z-tests with the
//     same standard error; over components the intersection–union test,
//     whose p-value is the largest of theirs.
func unbiasedTests(label, est string, rows []store.Row) *unbiased {
	u := &unbiased{}
	byCell := map[string][]float64{}
	var order []string
	pEq := 0.0
	for _, r := range measuredRows(rows, est) {
		u.components++
		z, p := biasZ(r)
		if math.IsNaN(z) {
			z, p = 0, 1
		}
		if a := math.Abs(z); a > u.maxZ || u.maxZAt == "" {
			u.maxZ, u.maxZAt = a, where(r)
		}
		k := cellKey(r)
		if _, ok := byCell[k]; !ok {
			order = append(order, k)
		}
		byCell[k] = append(byCell[k], p)
		// TOST with margin δ = EquivalenceSD·sd.
		sd := math.Sqrt(r.Variance)
		se := math.Hypot(r.SE, r.ReferenceSE)
		b := math.Abs(r.Bias)
		if sd > 0 {
			u.maxBiasSD = math.Max(u.maxBiasSD, b/sd)
		}
		delta := EquivalenceSD * sd
		var q float64
		switch {
		case se == 0 && b == 0:
			q = 0 // exact: an estimate without noise equal to the reference
		case se == 0:
			q = 1
			if b < delta {
				q = 0
			}
		default:
			q = normUpper((delta - b) / se)
		}
		pEq = math.Max(pEq, q)
	}
	u.cells = len(order)
	var cellP []float64
	for _, k := range order {
		ps := byCell[k]
		cellP = append(cellP, math.Min(1, float64(len(ps))*slices.Min(ps)))
	}
	pF, x := fisher(cellP)
	u.fisherX = x
	if u.components == 0 {
		pEq = math.NaN()
	}
	u.against = &Test{
		Claim:    label,
		Question: est + " biased",
		H0:       fmt.Sprintf("every component of %s has mean equal to the exact gradient", est),
		Method:   fmt.Sprintf("z-test per component, Bonferroni within each cell, Fisher over %d cells (χ², %d df)", u.cells, 2*u.cells),
		P:        pF,
		Side:     Against,
	}
	u.forT = &Test{
		Claim:    label,
		Question: est + " unbiased within the margin",
		H0:       fmt.Sprintf("some component of %s has |bias| ≥ %g sd of one estimate", est, EquivalenceSD),
		Method:   fmt.Sprintf("TOST per component (z), intersection–union over %d components", u.components),
		P:        pEq,
		Side:     For,
	}
	return u
}

// verdict is the unbiasedness verdict: not supported if the bias test
// rejects, supported if the equivalence test does (and the bias test does
// not), inconclusive otherwise.
func (u *unbiased) verdict() Verdict {
	switch {
	case u.components == 0:
		return Verdict{Inconclusive, "no components with a reference"}
	case u.against.Rejected:
		return Verdict{NotSupported, fmt.Sprintf("bias detected (largest |bias|/SE %.2f at %s)", u.maxZ, u.maxZAt)}
	case u.forT.Rejected:
		return Verdict{Supported, ""}
	}
	return Verdict{Inconclusive, fmt.Sprintf("no bias detected, but |bias| < %g sd not shown (Holm p %s)", EquivalenceSD, pText(u.forT.Adjusted))}
}

// text describes the measurements and the tests' results.
func (u *unbiased) text() string {
	return fmt.Sprintf("%d components in %d cells; largest |bias|/SE %.2f (%s); bias test (Fisher χ² %.1f, %d df): %s; largest |bias|/sd %s, equivalence within %g sd: %s",
		u.components, u.cells, u.maxZ, u.maxZAt, u.fisherX, 2*u.cells, u.against.result(), report.Sig(u.maxBiasSD, 2), EquivalenceSD, u.forT.result())
}

// claimUnbiased is claim (a): the pathwise estimator is unbiased, on every
// reparameterizable family and objective of claims-continuous.
func claimUnbiased(rows []store.Row) *builder {
	u := unbiasedTests("(a)", "pathwise", rows)
	b := &builder{claim: Claim{
		Label:       "(a)",
		Statement:   "the pathwise estimator is unbiased (a change of variables, not an approximation)",
		Experiments: []string{ClaimsContinuous},
		Test: fmt.Sprintf("Against: H0 every component unbiased; z-test per component, Bonferroni within a cell, Fisher's χ² over cells. For: H0 some |bias| ≥ %g sd of one estimate; TOST per component, intersection–union. Not supported if the first rejects, supported if only the second does",
			EquivalenceSD),
		Tests: []*Test{u.against, u.forT},
	}}
	b.finish = func(c *Claim) {
		c.Measured = u.text()
		c.Verdict = u.verdict()
	}
	return b
}

// claimStep is claim (d): on the step objective pathwise (with the
// almost-everywhere derivative) is wrong and the score function is right.
func claimStep(rows []store.Row) *builder {
	const label = "(d)"
	// Pathwise is wrong where the exact gradient is not 0: z-test per
	// component, intersection–union (every one must reject).
	pWrong, nWrong := 0.0, 0
	var pw []string
	for _, r := range measuredRows(rows, "pathwise") {
		pw = append(pw, fmt.Sprintf("%s: %s vs %s", where(r), report.Sig(r.Mean, 3), report.Sig(r.Reference, 3)))
		if r.Reference == 0 {
			continue // a zero estimate is right here
		}
		nWrong++
		_, p := biasZ(r)
		if math.IsNaN(p) {
			p = 1
		}
		pWrong = math.Max(pWrong, p)
	}
	if nWrong == 0 {
		pWrong = math.NaN()
	}
	wrong := &Test{
		Claim:    label,
		Question: "pathwise wrong",
		H0:       "pathwise's mean equals the exact gradient at some component whose gradient is not 0",
		Method:   fmt.Sprintf("z-test per component, intersection–union over %d components", nWrong),
		P:        pWrong,
		Side:     For,
	}
	u := unbiasedTests(label, "score", rows)
	b := &builder{claim: Claim{
		Label:       label,
		Statement:   "on a non-differentiable objective (step) pathwise gives a wrong (zero) gradient and the score function is right",
		Experiments: []string{ClaimsStep},
		Test: fmt.Sprintf("Pathwise wrong: H0 its mean equals the exact gradient at some nonzero component; z-tests, intersection–union. Score right: the two tests of (a) (bias: Fisher over cells; unbiased within %g sd: TOST, intersection–union). Supported if pathwise is shown wrong and the score function unbiased within the margin; not supported if the score function is shown biased",
			EquivalenceSD),
		Tests: []*Test{wrong, u.against, u.forT},
	}}
	b.finish = func(c *Claim) {
		c.Measured = fmt.Sprintf("pathwise (a.e. derivative) mean vs exact: %s; pathwise wrong at the %d nonzero components: %s. Score function: %s",
			strings.Join(pw, "; "), nWrong, wrong.result(), u.text())
		sv := u.verdict()
		switch {
		case sv.Word == NotSupported:
			c.Verdict = Verdict{NotSupported, "score function: " + sv.Reason}
		case wrong.Rejected && sv.Word == Supported:
			c.Verdict = Verdict{Supported, ""}
		case !wrong.Rejected:
			c.Verdict = Verdict{Inconclusive, "pathwise not shown wrong (Holm p " + pText(wrong.Adjusted) + ")"}
		default:
			c.Verdict = Verdict{Inconclusive, "score function: " + sv.Reason}
		}
	}
	return b
}
