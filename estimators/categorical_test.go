package estimators_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/estimatortest"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
)

// The theorems about the categorical estimators of 2021–2023 (gumbel-rao,
// indecater, arms), as tests with fixed seeds. Each statistical check is a
// z-test at 4 standard errors (two-sided: P ≈ 6.3e-5, one-sided: P ≈
// 3.2e-5 per comparison under the normal approximation); the doc comment
// of each test gives its number of comparisons.

// catProblem is a family and objective with gradients by enumeration.
type catProblem struct {
	name string
	p    dist.Distribution
	f    objective.Objective
}

func mustDist[T dist.Distribution](d T, err error) dist.Distribution {
	if err != nil {
		panic(err)
	}
	return d
}

// relaxedProblems have a relaxed location family and a differentiable f.
func relaxedProblems() []catProblem {
	return []catProblem{
		{"onehot(4)×onehot-quadratic", mustDist(dist.NewOneHot([]float64{0, 0.5, 1, -0.5})), objective.OneHotQuadratic{M: 1.3}},
		{"bernoulli-vec(3)×quadratic-t", mustDist(dist.NewBernoulliVec([]float64{0.3, -0.8, 1.2})), objective.TargetQuadratic{T: 0.45, Step: 0.1}},
		{"onehot-vec(2×3)×onehot-abs", mustDist(dist.NewOneHotVec(3, []float64{0.2, -0.7, 1.1, 0, 2, -1})), objective.OneHotAbs{K: 3, Seed: 2}},
	}
}

// catDraws returns R estimates (rows) of the named estimator with options
// opts, the r-th from the stream rng(r).
func catDraws(t *testing.T, name string, opts map[string]string, p dist.Distribution, f objective.Objective, n, R int, rng func(r int) *rand.Rand) [][]float64 {
	t.Helper()
	e, err := estimators.New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, R)
	for r := range R {
		out[r] = make([]float64, p.NumParams())
		if _, err := e.Estimate(out[r], p, f, n, rng(r)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

// catStream returns the r-th PCG stream of seed.
func catStream(seed uint64) func(r int) *rand.Rand {
	return func(r int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(r))) }
}

// catMoments returns, for component j of the rows, the mean, its standard
// error, the sample variance and the standard error of the variance,
// sqrt((m4 − v²)/R).
func catMoments(rows [][]float64, j int) (mean, se, v, seV float64) {
	R := float64(len(rows))
	for _, g := range rows {
		mean += g[j]
	}
	mean /= R
	m4 := 0.0
	for _, g := range rows {
		d := g[j] - mean
		v += d * d
		m4 += d * d * d * d
	}
	v /= R - 1
	m4 /= R
	return mean, math.Sqrt(v / R), v, math.Sqrt(max(m4-v*v, 0) / R)
}

// TestGumbelRaoK1IsSTGumbel: with K = 1, Gumbel-Rao's only draw of z given
// b is the z that produced b, so it is ST-Gumbel bit for bit on the same
// stream (deterministic; no error rate).
func TestGumbelRaoK1IsSTGumbel(t *testing.T) {
	for _, pr := range append(relaxedProblems(), catProblem{"bernoulli×quadratic", mustDist(dist.NewBernoulli(0.4)), objective.Quadratic{K: 0.49}}) {
		for _, tau := range []string{"0.5", "1.3"} {
			for _, n := range []int{1, 3} {
				a := catDraws(t, "gumbel-rao", map[string]string{"k": "1", "tau": tau}, pr.p, pr.f, n, 200, catStream(5))
				b := catDraws(t, "st-gumbel", map[string]string{"tau": tau}, pr.p, pr.f, n, 200, catStream(5))
				for r := range a {
					for j := range a[r] {
						if math.Float64bits(a[r][j]) != math.Float64bits(b[r][j]) {
							t.Fatalf("%s τ=%s n=%d: replication %d component %d: gumbel-rao(k=1) %v, st-gumbel %v", pr.name, tau, n, r, j, a[r][j], b[r][j])
						}
					}
				}
			}
		}
	}
}

// TestGumbelRaoMeanIsSTGumbel: E[Gumbel-Rao_K] = E[ST-Gumbel] for every K
// (the average over draws of z given b is a conditional expectation). On
// common random numbers (replication r of both from stream r, so both see
// the same z and b), the paired differences must have mean 0: a two-sided
// z-test at 4 SE per component, K ∈ {2, 4, 16}, 3 problems, 30 comparisons
// (false-alarm probability about 2e-3 in all). As a check that the test
// has power, Gumbel-Rao at K = 16 must differ from plain Gumbel-Softmax (a
// different mean) by more than 4 SE in some component of every problem.
func TestGumbelRaoMeanIsSTGumbel(t *testing.T) {
	const R = 20000
	for _, pr := range relaxedProblems() {
		st := catDraws(t, "st-gumbel", nil, pr.p, pr.f, 1, R, catStream(7))
		for _, K := range []string{"2", "4", "16"} {
			gr := catDraws(t, "gumbel-rao", map[string]string{"k": K}, pr.p, pr.f, 1, R, catStream(7))
			diff := make([][]float64, R)
			for r := range diff {
				diff[r] = make([]float64, len(gr[r]))
				for j := range diff[r] {
					diff[r][j] = gr[r][j] - st[r][j]
				}
			}
			for j := range diff[0] {
				m, se, _, _ := catMoments(diff, j)
				if math.Abs(m) > 4*se {
					t.Errorf("%s K=%s component %d: mean of gumbel-rao − st-gumbel %.4g (%.1f SE)", pr.name, K, j, m, m/se)
				}
			}
		}
		gr := catDraws(t, "gumbel-rao", map[string]string{"k": "16"}, pr.p, pr.f, 1, R, catStream(8))
		gs := catDraws(t, "gumbel-softmax", nil, pr.p, pr.f, 1, R, catStream(9))
		maxZ := 0.0
		for j := range gr[0] {
			m1, s1, _, _ := catMoments(gr, j)
			m2, s2, _, _ := catMoments(gs, j)
			maxZ = max(maxZ, math.Abs(m1-m2)/math.Hypot(s1, s2))
		}
		t.Logf("%s: gumbel-rao(K=16) against gumbel-softmax: largest |z| %.1f", pr.name, maxZ)
		if maxZ < 4 {
			t.Errorf("%s: gumbel-rao and gumbel-softmax agree within %.1f SE in every component: the mean test has no power", pr.name, maxZ)
		}
	}
}

// TestGumbelRaoVarianceNonIncreasing: Var(Gumbel-Rao_K) = Var(E[·|b]) +
// E[Var(·|b)]/K does not increase with K. For K = 1, 2, 4, 16 on
// independent streams, each step K → K' must not raise a component's
// variance by more than 4 SE of the difference (one-sided: 3 steps × 13
// components = 39 comparisons, false-alarm probability about 1.3e-3 in
// all), and K = 16 must have a smaller variance than K = 1 by more than
// 4 SE in some component of every problem (the test has power).
func TestGumbelRaoVarianceNonIncreasing(t *testing.T) {
	const R = 20000
	for _, pr := range relaxedProblems() {
		var prev [][]float64
		var first [][]float64
		prevK := ""
		for i, K := range []string{"1", "2", "4", "16"} {
			g := catDraws(t, "gumbel-rao", map[string]string{"k": K}, pr.p, pr.f, 1, R, catStream(uint64(100+i)))
			tr := 0.0
			for j := range g[0] {
				_, _, v, _ := catMoments(g, j)
				tr += v
			}
			t.Logf("%s: K = %s: Σ_j Var = %.5g", pr.name, K, tr)
			if prev != nil {
				for j := range g[0] {
					_, _, v0, s0 := catMoments(prev, j)
					_, _, v1, s1 := catMoments(g, j)
					if z := (v1 - v0) / math.Hypot(s0, s1); z > 4 {
						t.Errorf("%s component %d: variance %.4g at K=%s, %.4g at K=%s (+%.1f SE)", pr.name, j, v0, prevK, v1, K, z)
					}
				}
			} else {
				first = g
			}
			prev, prevK = g, K
		}
		minZ := 0.0
		for j := range prev[0] {
			_, _, v0, s0 := catMoments(first, j)
			_, _, v1, s1 := catMoments(prev, j)
			minZ = min(minZ, (v1-v0)/math.Hypot(s0, s1))
		}
		if minZ > -4 {
			t.Errorf("%s: K = 16 is not below K = 1 by 4 SE in any component (best %.1f SE): no power", pr.name, minZ)
		}
	}
}

// factorizedProblems have untied factorized families (each parameter a
// logit of one block), so the Rao-Blackwell argument applies component by
// component. onehot-quadratic couples the blocks ((Σ_i i x_i − m)² over the
// whole vector); onehot-abs is a sum over blocks, for which IndeCateR's
// variance is 0 (each block's term does not depend on the others).
func factorizedProblems() []catProblem {
	return []catProblem{
		{"bernoulli-vec(3)×onehot-quadratic", mustDist(dist.NewBernoulliVec([]float64{0.3, -0.8, 1.2})), objective.OneHotQuadratic{M: 1.3}},
		{"onehot-vec(2×3)×onehot-quadratic", mustDist(dist.NewOneHotVec(3, []float64{0.2, -0.7, 1.1, 0, 2, -1})), objective.OneHotQuadratic{M: 4.2}},
		{"onehot-vec(3×2)×onehot-quadratic", mustDist(dist.NewOneHotVec(2, []float64{0.5, -0.5, 1, 0.3, -2, 0})), objective.OneHotQuadratic{M: 3}},
		{"onehot-vec(2×3)×onehot-abs", mustDist(dist.NewOneHotVec(3, []float64{0.2, -0.7, 1.1, 0, 2, -1})), objective.OneHotAbs{K: 3, Seed: 2}},
	}
}

// exactVariances returns the exact per-component variances of one-sample
// REINFORCE, f(x) ∇θ log p(x), and of one-sample IndeCateR,
// Σ_d Σ_k ∇θ π_d(k) f(x with x_d = k), by enumeration.
func exactVariances(p dist.Distribution, f objective.Objective) (score, indecater, grad []float64) {
	fin, fp := p.(dist.Finite), p.(dist.Factorized)
	P, D := p.NumParams(), p.Dim()
	m1s, m2s, m2i := make([]float64, P), make([]float64, P), make([]float64, P)
	x, y, s, v := make([]float64, D), make([]float64, D), make([]float64, P), make([]float64, P)
	for i := range fin.SupportSize() {
		pr := fin.Outcome(x, i)
		fx := f.Value(x)
		p.Score(s, x)
		clear(v)
		for d := range fp.Blocks() {
			K := fp.Classes(d)
			pi := make([]float64, K)
			fp.BlockLogits(pi, d)
			m, z := math.Inf(-1), 0.0
			for _, l := range pi {
				m = max(m, l)
			}
			for k := range pi {
				pi[k] = math.Exp(pi[k] - m)
				z += pi[k]
			}
			fk := make([]float64, K)
			pf := 0.0
			for k := range K {
				pi[k] /= z
				copy(y, x)
				fp.SetClass(y, d, k)
				fk[k] = f.Value(y)
				pf += pi[k] * fk[k]
			}
			w := make([]float64, K)
			for k := range K {
				w[k] = pi[k] * (fk[k] - pf)
			}
			fp.BlockLogitVJP(v, d, w)
		}
		for j := range P {
			m1s[j] += pr * fx * s[j]
			m2s[j] += pr * fx * fx * s[j] * s[j]
			m2i[j] += pr * v[j] * v[j]
		}
	}
	score, indecater = make([]float64, P), make([]float64, P)
	for j := range P {
		score[j] = m2s[j] - m1s[j]*m1s[j]
		indecater[j] = m2i[j] - m1s[j]*m1s[j]
	}
	return score, indecater, m1s
}

// TestIndeCateRBelowREINFORCE: IndeCateR's block-d term is the conditional
// expectation of REINFORCE's given x_−d, so at equal samples of x_−d (n = 1
// and n = 4) its variance is at most REINFORCE's in every component
// (Rao-Blackwell; exact by enumeration, deterministic). The estimators'
// sample variances (R = 20000) must match the exact ones within 4 SE
// (two-sided) and their means the exact gradient within 4 SE; 4 problems
// of 21 components in all, 2 n, 4 comparisons each: 168 comparisons,
// false-alarm probability about 1.1e-2 in all.
func TestIndeCateRBelowREINFORCE(t *testing.T) {
	const R = 20000
	for _, pr := range factorizedProblems() {
		vs, vi, grad := exactVariances(pr.p, pr.f)
		ref, err := reference.Gradient(pr.p, pr.f, reference.MethodEnumeration, reference.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for j := range vs {
			if math.Abs(grad[j]-ref.Grad[j]) > 1e-12 {
				t.Fatalf("%s: enumerated gradient %v, reference %v", pr.name, grad[j], ref.Grad[j])
			}
			t.Logf("%s component %d: exact variance indecater %.4g, score %.4g (ratio %.3f)", pr.name, j, vi[j], vs[j], vi[j]/vs[j])
			if vi[j] > vs[j]*(1+1e-12) {
				t.Errorf("%s component %d: exact variance of indecater %.6g > score %.6g", pr.name, j, vi[j], vs[j])
			}
		}
		for _, n := range []int{1, 4} {
			for _, c := range []struct {
				name  string
				exact []float64
			}{{"score", vs}, {"indecater", vi}} {
				g := catDraws(t, c.name, nil, pr.p, pr.f, n, R, catStream(uint64(200+n)))
				for j := range g[0] {
					m, se, v, seV := catMoments(g, j)
					want := c.exact[j] / float64(n)
					if math.Abs(v-want) > 4*seV+1e-12 {
						t.Errorf("%s %s n=%d component %d: variance %.5g, exact %.5g (%.1f SE)", pr.name, c.name, n, j, v, want, (v-want)/seV)
					}
					if math.Abs(m-ref.Grad[j]) > 4*se+1e-12 {
						t.Errorf("%s %s n=%d component %d: mean %.5g, exact %.5g (%.1f SE)", pr.name, c.name, n, j, m, ref.Grad[j], (m-ref.Grad[j])/se)
					}
				}
			}
		}
	}
}

// TestARMSTwoIsDisARM: ARMS with N = 2 draws DisARM's antithetic pairs
// from the same uniforms (either copula), so on the same stream its
// estimates equal DisARM's to rounding (relative 1e-12), at the same cost
// and leaving the stream in the same state; so does ARMS with N = 0 (one
// group of the n samples) at n = 2 against DisARM at n = 1 (deterministic;
// no error rate).
func TestARMSTwoIsDisARM(t *testing.T) {
	problems := []catProblem{
		{"bernoulli×quadratic", mustDist(dist.NewBernoulli(0.3)), objective.Quadratic{K: 0.49}},
		{"bernoulli(−2.5)×quadratic", mustDist(dist.NewBernoulli(-2.5)), objective.Quadratic{K: 0.49}},
		{"bernoulli-vec(3)×quadratic-t", mustDist(dist.NewBernoulliVec([]float64{0.3, -0.8, 1.2})), objective.TargetQuadratic{T: 0.45, Step: 0.1}},
		{"bernoulli-vec(4)×linquad", mustDist(dist.NewBernoulliVec([]float64{3, -4, 0.01, 0})), objective.LinQuad{A: 0.5, Q: -2}},
		{"bernoulli-tied(3)×linquad", mustDist(dist.NewBernoulliTied(3, 0.4)), objective.LinQuad{A: 0.5, Q: -2}},
	}
	for _, pr := range problems {
		for _, copula := range []string{"dirichlet", "gaussian"} {
			for _, n := range []int{1, 2, 5, 0} {
				arms, _ := estimators.New("arms", map[string]string{"N": "2", "copula": copula})
				na := n
				if n == 0 { // one group of two against one pair
					arms, _ = estimators.New("arms", map[string]string{"N": "0", "copula": copula})
					n, na = 1, 2
				}
				disarm, _ := estimators.New("disarm", nil)
				ra, rd := rand.New(rand.NewPCG(11, 12)), rand.New(rand.NewPCG(11, 12))
				ga, gd := make([]float64, pr.p.NumParams()), make([]float64, pr.p.NumParams())
				worst := 0.0
				for r := range 500 {
					ca, err := arms.Estimate(ga, pr.p, pr.f, na, ra)
					if err != nil {
						t.Fatal(err)
					}
					cd, err := disarm.Estimate(gd, pr.p, pr.f, n, rd)
					if err != nil {
						t.Fatal(err)
					}
					if ca != cd {
						t.Fatalf("%s: cost %+v, disarm %+v", pr.name, ca, cd)
					}
					for j := range ga {
						worst = max(worst, math.Abs(ga[j]-gd[j])/max(1e-3, math.Abs(gd[j])))
						if math.Abs(ga[j]-gd[j]) > 1e-12*max(1e-3, math.Abs(gd[j])) {
							t.Fatalf("%s %s n=%d replication %d component %d: arms(N=2) %.17g, disarm %.17g", pr.name, copula, n, r, j, ga[j], gd[j])
						}
					}
				}
				t.Logf("%s %s n=%d: largest relative difference %.2g", pr.name, copula, n, worst)
				if ra.Uint64() != rd.Uint64() {
					t.Errorf("%s %s n=%d: the streams diverged", pr.name, copula, n)
				}
			}
		}
	}
}

// TestCategoricalEstimatorOptions runs the conformance kit on non-default
// options of the new estimators: ARMS with N = 2, 3, 10 (Dirichlet),
// N = 3, 6 (Gaussian copula) and N = 0 (one group of n; both), Gumbel-Rao with k = 1 and 3, the
// unordered-set estimator without its baseline, ReinMax at τ = 2.
func TestCategoricalEstimatorOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the default options are checked by TestConformance")
	}
	for _, c := range []struct {
		name string
		opts map[string]string
	}{
		{"arms", map[string]string{"N": "2"}},
		{"arms", map[string]string{"N": "3"}},
		{"arms", map[string]string{"N": "10"}},
		{"arms", map[string]string{"N": "3", "copula": "gaussian"}},
		{"arms", map[string]string{"N": "6", "copula": "gaussian"}},
		{"arms", map[string]string{"N": "0"}},
		{"arms", map[string]string{"N": "0", "copula": "gaussian"}},
		{"gumbel-rao", map[string]string{"k": "1"}},
		{"gumbel-rao", map[string]string{"k": "3", "tau": "1"}},
		{"unordered-set", map[string]string{"baseline": "false"}},
		{"reinmax", map[string]string{"tau": "2"}},
	} {
		t.Run(c.name+"/"+optString(c.opts), func(t *testing.T) {
			estimatortest.CheckOptions(t, c.name, c.opts)
		})
	}
}

// TestNewEstimatorsOnOneHotVec checks the unbiased new estimators
// (indecater, unordered-set, and score for comparison) on a onehot-vec
// family, which the conformance kit's fixtures do not include: the mean of
// R = 20000 estimates within 4 SE of the enumerated gradient (two-sided;
// 3 estimators × 6 components = 18 comparisons, false-alarm probability
// about 1.1e-3 in all), and the biased ones (reinmax, gumbel-rao) finite.
func TestNewEstimatorsOnOneHotVec(t *testing.T) {
	const R = 20000
	p := mustDist(dist.NewOneHotVec(3, []float64{0.2, -0.7, 1.1, 0, 2, -1}))
	f := objective.OneHotAbs{K: 3, Seed: 2}
	ref, err := reference.Gradient(p, f, reference.MethodEnumeration, reference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"indecater", "unordered-set", "score", "reinmax", "gumbel-rao"} {
		e, _ := estimators.New(name, nil)
		if err := estimators.Supports(e, p, f, 3); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g := catDraws(t, name, nil, p, f, 3, R, catStream(uint64(300+i)))
		for j := range g[0] {
			m, se, _, _ := catMoments(g, j)
			if math.IsNaN(m) || math.IsInf(m, 0) {
				t.Errorf("%s component %d: mean %v", name, j, m)
			}
			if e.Info().Unbiased && math.Abs(m-ref.Grad[j]) > 4*se+1e-12 {
				t.Errorf("%s component %d: mean %.5g, exact %.5g (%.1f SE)", name, j, m, ref.Grad[j], (m-ref.Grad[j])/se)
			}
		}
	}
}

// TestReinMaxExactOnQuadratics: at τ = 1, ReinMax's mean is the exact
// gradient when f is quadratic in the indicators of a single block (Liu
// et al. 2023; by enumeration it holds to rounding), and not otherwise.
// Means of R = 20000 one-sample estimates: within 4 SE of the enumerated
// gradient in every component at τ = 1 (two-sided; 4 + 1 comparisons,
// false-alarm probability about 3e-4 in all), and off by more than 4 SE
// in some component at τ = 2 and on a cubic (the test has power).
func TestReinMaxExactOnQuadratics(t *testing.T) {
	const R = 20000
	oh := mustDist(dist.NewOneHot([]float64{0, 0.5, 1, -0.5}))
	cubic := mustDist(dist.NewOneHotVec(2, []float64{0.4, -0.3}))
	for i, c := range []struct {
		name  string
		p     dist.Distribution
		f     objective.Objective
		tau   string
		exact bool
	}{
		{"onehot(4)×onehot-quadratic", oh, objective.OneHotQuadratic{M: 1.3}, "1", true},
		{"bernoulli×quadratic", mustDist(dist.NewBernoulli(0.7)), objective.Quadratic{K: 0.2}, "1", true},
		{"onehot(4)×onehot-quadratic τ=2", oh, objective.OneHotQuadratic{M: 1.3}, "2", false},
		{"onehot-vec(1×2)×onehot-poly(p=3)", cubic, objective.OneHotPoly{K: 2, C: 0, T: 0.2, P: 3}, "1", false},
	} {
		ref, err := reference.Gradient(c.p, c.f, reference.MethodEnumeration, reference.Options{})
		if err != nil {
			t.Fatal(err)
		}
		g := catDraws(t, "reinmax", map[string]string{"tau": c.tau}, c.p, c.f, 1, R, catStream(uint64(400+i)))
		maxZ := 0.0
		for j := range g[0] {
			m, se, _, _ := catMoments(g, j)
			z := math.Abs(m-ref.Grad[j]) / se
			maxZ = max(maxZ, z)
			if c.exact && z > 4 {
				t.Errorf("%s component %d: mean %.5g, exact %.5g (%.1f SE)", c.name, j, m, ref.Grad[j], z)
			}
		}
		t.Logf("%s: largest |bias|/SE %.1f", c.name, maxZ)
		if !c.exact && maxZ < 4 {
			t.Errorf("%s: no component biased by 4 SE (largest %.1f): no power", c.name, maxZ)
		}
	}
}
