package claims

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/gradbench/gradbench/experiments/store"
)

// The experiments behind the claims, by results-folder name.
const (
	ClaimsContinuous  = "claims-continuous"
	ClaimsStep        = "claims-step"
	ClaimsVAEGaussian = "vae-gaussian"
	ClaimsBLR         = "blr"
)

// ClaimsFigures are the Mohamed et al. (2020) Fig. 2–3 sweeps that the
// claims (b) and (c) also draw on.
var ClaimsFigures = []string{"fig2-quadratic", "fig3-gaussian", "fig3-cos"}

// ClaimsDiscrete are the experiments behind claim (e), each used when its
// results exist: relaxed estimators beside unbiased ones, with exact
// references (the IndeCateR sweeps set the categorical relaxations of
// 2021–2023 against an estimator that is exact there).
var ClaimsDiscrete = []string{"discrete-categorical", "discrete-bernoulli3", "discrete-bernoulli-tau", "discrete-toy-variance",
	"discrete-indecater-d12-k3", "discrete-indecater-d6-k10", "discrete-indecater-d3-k100"}

// ClaimsVAEBernoulli are the Bernoulli-VAE experiments behind claim (h).
var ClaimsVAEBernoulli = []string{"vae-bernoulli-linear", "vae-bernoulli-nonlinear"}

// Claim is one row of the claims table: what was claimed, the experiments,
// what was measured, the test the verdict rests on, and the verdict.
type Claim struct {
	// Label is "(a)", "(b)", ….
	Label string
	// Statement is the claim.
	Statement string
	// Experiments are the results folders the claim reads.
	Experiments []string
	// Measured is what the experiments measured, with the tests' results.
	Measured string
	// Test states the null hypotheses, the tests and the verdict rule; the
	// error rate is the family's (Alpha, Holm over Result.Tests).
	Test string
	// Verdict is the claim's verdict.
	Verdict Verdict
	// Tests are the claim's tests, in the family.
	Tests []*Test
}

// Result is the claims table and the family of its tests.
type Result struct {
	Claims []*Claim
	// Tests is the Holm family: every test of every claim.
	Tests []*Test
}

// builder is a claim whose tests are built; finish fills in Measured and
// Verdict once the family's Holm procedure has run.
type builder struct {
	claim  Claim
	finish func(*Claim)
}

// Evaluate reads the results folders under dir and returns the seed text's
// claims, one each, with every verdict from the tests of one Holm family at
// family-wise error rate Alpha. Every number comes from the results. The
// claims (a)–(d) need their results (claims-continuous, claims-step and
// ClaimsFigures); the others appear when theirs exist: (e) on discrete
// variables (ClaimsDiscrete, any of them), (f) the Gaussian VAE
// (ClaimsVAEGaussian), (g) Bayesian logistic regression (ClaimsBLR) and (h)
// the Bernoulli VAE (ClaimsVAEBernoulli, either or both) and (i) pathwise
// beyond location–scale families (ClaimsImplicit, any of them).
func Evaluate(dir string) (*Result, error) {
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
	all := append(slices.Clone(figs), cont...)
	bs := []*builder{
		claimUnbiased(cont),
		claimSamples(all),
		claimLowest(all),
		claimStep(step),
	}
	names, discrete, err := loadPresent(dir, ClaimsDiscrete)
	if err != nil {
		return nil, err
	}
	if len(discrete) > 0 {
		bs = append(bs, claimDiscrete(names, discrete))
	}
	vg, err := loadModel(dir, ClaimsVAEGaussian)
	if err != nil {
		return nil, err
	}
	if vg != nil {
		bs = append(bs, claimVAEGaussian(vg))
	}
	blr, err := loadModel(dir, ClaimsBLR)
	if err != nil {
		return nil, err
	}
	if blr != nil {
		bs = append(bs, claimBLR(blr))
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
		bs = append(bs, claimVAEBernoulli(exps))
	}
	implicitNames, implicit, err := loadPresent(dir, ClaimsImplicit)
	if err != nil {
		return nil, err
	}
	if len(implicit) > 0 {
		bs = append(bs, claimImplicit(implicitNames, slices.Concat(implicit...)))
	}
	return decide(bs), nil
}

// loadPresent returns the names and cells of those of the sweeps names
// whose results exist under dir; a results folder that exists but cannot
// be read is an error.
func loadPresent(dir string, names []string) ([]string, [][]store.Row, error) {
	var found []string
	var cells [][]store.Row
	for _, name := range names {
		rows, err := store.LoadCells(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, nil, fmt.Errorf("claims: %w", err)
		}
		found = append(found, name)
		cells = append(cells, rows)
	}
	return found, cells, nil
}

// decide runs Holm over every test of bs and finishes each claim.
func decide(bs []*builder) *Result {
	res := &Result{}
	for _, b := range bs {
		res.Tests = append(res.Tests, b.claim.Tests...)
	}
	holm(res.Tests)
	for _, b := range bs {
		c := b.claim
		b.finish(&c)
		res.Claims = append(res.Claims, &c)
	}
	return res
}
