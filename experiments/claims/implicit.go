package claims

import (
	"fmt"
	"slices"

	"github.com/gradbench/gradbench/experiments/store"
)

// ClaimsImplicit are the experiments behind claim (i), each used when its
// results exist: the pathwise estimator on the Gamma, Beta, Dirichlet and
// Student-t families through implicit reparameterization, and the naive differentiation of a
// rejection sampler beside it.
var ClaimsImplicit = []string{"implicit-gamma", "implicit-beta", "implicit-dirichlet", "implicit-student-t", "gamma-naive-bias"}

// claimImplicit is claim (i), the seed's answer to "does the
// reparameterization trick work with all probability distributions?": it
// works for continuous families whose samples are a differentiable
// function of the parameters and noise. The Gamma, the Beta and the
// Dirichlet (through Gamma variables) are such families through inverse CDFs (implicit reparameterization), so
// pathwise must be unbiased there; the accepted draw of a rejection
// sampler is not such a function of the shape, and differentiating it at
// fixed randomness (mt-naive) is the contrast, expected biased.
func claimImplicit(names []string, rows []store.Row) *builder {
	const label = "(i)"
	u := unbiasedTests(label, "pathwise", rows)
	naive := unbiasedTests(label, "mt-naive", rows)
	contrast := *naive.against
	contrast.Side = For // a bias of the naive derivative bears out the condition
	b := &builder{claim: Claim{
		Label:       label,
		Statement:   "the reparameterization trick works for continuous distributions whose samples are a differentiable function of the parameters and noise, location–scale or not (Gamma, Beta, Dirichlet and Student-t through the inverse CDF, implicitly)",
		Experiments: slices.Clone(names),
		Test: fmt.Sprintf("Pathwise on the Gamma, Beta, Dirichlet and Student-t cells with references: the two tests of (a) (bias: Fisher over cells; unbiased within %g sd: TOST, intersection–union). Contrast: the bias test of (a) on mt-naive, which differentiates Marsaglia–Tsang's accepted draw as if it did not depend on the shape. Supported if pathwise is shown unbiased within the margin and the contrast biased; not supported if pathwise is shown biased",
			EquivalenceSD),
		Tests: []*Test{u.against, u.forT, &contrast},
	}}
	b.finish = func(c *Claim) {
		c.Measured = fmt.Sprintf("pathwise: %s. mt-naive: largest |bias|/SE %.2f (%s); bias test: %s",
			u.text(), naive.maxZ, naive.maxZAt, contrast.result())
		pv := u.verdict()
		switch {
		case pv.Word == Supported && !contrast.Rejected:
			c.Verdict = Verdict{Inconclusive, "pathwise unbiased, but the contrast's bias not detected (Holm p " + pText(contrast.Adjusted) + ")"}
		default:
			c.Verdict = pv
		}
	}
	return b
}
