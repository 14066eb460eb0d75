// Package claims puts the seed text's claims about the reparameterization
// trick to the test on the results folders of the paper's experiments
// (read through experiments/store) and writes the claims table: per claim,
// the experiments, what they measured, the test and the verdict.
//
// # Verdicts
//
// A verdict is one of three words, defined once (Word):
//
//   - "supported": a test rejected its null hypothesis in the direction of
//     the claim, and none against it. An equality (unbiasedness, "the same
//     ELBO") is supported only by an equivalence test with a stated margin.
//   - "not supported": a test rejected its null hypothesis against the
//     claim.
//   - "inconclusive": no test decided; the reason says why (too few seeds,
//     no data, a degenerate problem, or no rejection after the correction).
//
// A claim made over several problems without qualification is supported if
// it is supported on every one, not supported if it is not supported on
// any (a counterexample), and inconclusive otherwise.
//
// # One family
//
// Every test of every claim enters one Holm family at family-wise error
// rate Alpha = 0.05: the probability that any verdict word other than
// "inconclusive" is wrong is at most 5% whatever the dependence between the
// tests. Most questions have three outcomes (for, against, undecided) and
// are one test in the family: its p-value is twice the smaller of the
// one-sided p-values for and against (twoSided), and when Holm rejects it
// the side decides. Universal statements ("at every setting") use the
// intersection–union test (the largest p-value); existential ones ("at
// some setting") Bonferroni within the question. The sign of an estimate
// that no test declared significant never decides a verdict.
//
// # The claims and their tests
//
//   - (a) Pathwise is unbiased (claims-continuous). Against: H0 every
//     component's mean equals the exact gradient; z-tests per component,
//     Bonferroni within a cell, Fisher's χ² combination over the cells
//     (independent streams). For: H0 some |bias| ≥ EquivalenceSD·sd of one
//     estimate; TOST per component, intersection–union. One component at
//     4 SE among 90 does not reject; a 2% bias does.
//   - (b) The score function needs many (more than ManyTimes = 2×) more
//     samples for equal variance, per problem family (distribution ×
//     objective): the ratio Var_score/Var_pathwise at each setting with its
//     confidence interval (kurtosis-based standard errors of the log
//     variances), for if above 2 at every setting, against if below at some.
//   - (c) Pathwise is usually, not always, the lowest-variance choice per
//     evaluation: per family, the evaluations each alternative needs per
//     pathwise evaluation for equal variance (score+optimal charged the
//     earlier samples its baseline is estimated from), for if above 1 at
//     every setting, against if below at some; "usually" is more than half
//     of the families, "not always" at least one family where pathwise is
//     beaten.
//   - (d) On the step objective pathwise is wrong (z-tests,
//     intersection–union over the nonzero components) and the score
//     function right (the tests of (a)).
//   - (e) Discrete variables require relaxations like Gumbel-Softmax, read
//     as: some relaxation has lower mean squared error than every unbiased
//     estimator at equal evaluations, at every cell of a problem; Welch
//     t-tests on the MSEs of the replication blocks. Cells with a zero exact
//     gradient, or an objective linear in x (MuProp exact), are degenerate
//     and left out.
//   - (f) Gaussian VAE: pathwise trains (final against initial bound) and
//     beats each score-function variant at equal evaluations; paired t-tests
//     over seeds.
//   - (g) Bayesian logistic regression: pathwise and mvd reach the same final
//     ELBO, a paired TOST within ELBOMargin = 1 nat; the score function's
//     μ-gradient variance is at least VarianceFactor = 10× pathwise's at
//     every evaluation step, paired t-tests of log ratios, intersection–union
//     over steps.
//   - (h) Bernoulli VAE: DisARM reaches a higher ELBO than ARM at equal
//     steps, per experiment and metric, paired t-tests over seeds; the
//     rankings of the estimators are of means and not tested.
//
// Evaluate reads a results directory and decides; Result.Write renders the
// table as text (one block per claim, wrapped to a width), Markdown, CSV or
// LaTeX (paragraphs that break across pages), and Result.TestsTable lists
// the family.
package claims
