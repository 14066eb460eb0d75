package check_test

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/check"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/sweep"
)

// run runs a spec in memory, with the given seed, and returns its rows.
func run(t *testing.T, s *spec.Spec, seed uint64) []store.Row {
	t.Helper()
	c := *s
	c.Seed = seed
	res, err := sweep.Run(context.Background(), &c, sweep.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows
}

// loadSuite loads a regression suite with the given profile ("" is the
// full size); $GRADBENCH_TEST_PROFILE overrides it ("full" for the full size).
func loadSuite(t *testing.T, path, profile string) *spec.Spec {
	t.Helper()
	s, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := os.LookupEnv("GRADBENCH_TEST_PROFILE"); ok {
		profile = p
	}
	if profile == "full" {
		profile = ""
	}
	if err := s.ApplyProfile(profile); err != nil {
		t.Fatal(err)
	}
	// "all" includes the faulty estimators this test registers: leave them out.
	s.Sweep.Estimators = slices.DeleteFunc(s.Sweep.Estimators, func(e spec.Estimator) bool {
		return strings.HasPrefix(e.Name, "test-")
	})
	return s
}

func compare(t *testing.T, base, cur []store.Row) *check.Report {
	t.Helper()
	rep, err := check.Compare(base, cur, check.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestSuiteUnchangedPasses: the regression suites run twice with the same
// seed give identical rows, and the check passes with every row "~".
func TestSuiteUnchangedPasses(t *testing.T) {
	for _, path := range []string{"../regression.toml", "../regression-discrete.toml"} {
		s := loadSuite(t, path, "")
		rep := compare(t, run(t, s, s.Seed), run(t, s, s.Seed))
		compared := 0
		for _, r := range rep.Rows {
			if r.Status == check.Skipped {
				continue
			}
			compared++
			if r.Status != check.Same {
				t.Errorf("%s: %s: %s, want ~", path, r.Key, r.Status)
			}
		}
		if compared == 0 {
			t.Errorf("%s: nothing compared", path)
		}
		t.Logf("%s: %s", path, rep.Summary())
	}
}

// TestFalsePositiveRate runs both regression suites with 20 seeds other
// than the baselines' and counts runs whose check fails; the acceptance
// bound is at most 1 of 20. The check bounds the probability that one run
// of unchanged code fails by α = 0.05 (one Holm family for every failing
// test), under which P(≥ 2 of 20) could reach 0.26; in fact the rank and
// batch-means tests are conservative here (their p-values are discrete and
// most rows are far from any threshold), and the measured rate is far
// below α: 0 of 20 at the quick size, 1 of 20 at full size. The seeds are
// fixed, so the test is deterministic. It uses the suites' quick profile
// (10000 replications in 20 blocks per cell) to keep CI fast; the tests'
// validity does not depend on the size (GRADBENCH_TEST_PROFILE=full runs
// the full size).
func TestFalsePositiveRate(t *testing.T) {
	var suites []*spec.Spec
	var bases [][]store.Row
	for _, path := range []string{"../regression.toml", "../regression-discrete.toml"} {
		s := loadSuite(t, path, "quick")
		suites = append(suites, s)
		bases = append(bases, run(t, s, s.Seed))
	}
	failed := 0
	for i := range uint64(20) {
		// Both suites are compared together, as make test does.
		var cur []store.Row
		for _, s := range suites {
			cur = append(cur, run(t, s, 1000+i)...)
		}
		rep := compare(t, slices.Concat(bases...), cur)
		if rep.Failed() {
			failed++
			var buf bytes.Buffer
			rep.Table(false).Write(&buf, "text")
			t.Logf("seed %d failed:\n%s", 1000+i, buf.String())
		}
	}
	t.Logf("false positives: %d of 20 runs (both suites) with different seeds failed", failed)
	if failed > 1 {
		t.Errorf("%d of 20 runs with different seeds failed the check, want ≤ 1", failed)
	}
}

// The injected faults wrap the score-function estimator on the fixture
// N(1, 1) × (x − 3)² with n = 4, whose exact per-estimate variances come
// from reference.PerSampleVariance.
const injectedSpec = `name = "inject"
seed = 7
[sweep]
estimators = ["score"]
n = [4]
replications = 50000
block = 5000
[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = 1.0
[[sweep.objectives]]
name = "quadratic"
k = 3.0
`

// faulty is score with independent N(0, noise_j²) noise and a constant
// shift added to each component, or with its samples summed in reverse
// order.
type faulty struct {
	name           string
	noise, shift   [2]float64
	reversed       bool
	score          estimators.Score
	xs, ss, fs     []float64
	noiseGenerator *rand.Rand
}

func (e *faulty) Info() estimators.Info {
	info := e.score.Info()
	info.Name = e.name
	return info
}

func (e *faulty) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	if !e.reversed {
		c, err := e.score.Estimate(grad, p, f, n, rng)
		for j := range grad {
			grad[j] += e.noise[j]*rng.NormFloat64() + e.shift[j]
		}
		return c, err
	}
	// The same draws, accumulated last to first.
	np, d := p.NumParams(), p.Dim()
	e.xs, e.ss, e.fs = make([]float64, n*d), make([]float64, np), make([]float64, n)
	for i := range n {
		p.Rand(e.xs[i*d:(i+1)*d], rng)
		e.fs[i] = f.Value(e.xs[i*d : (i+1)*d])
	}
	clear(grad)
	for i := n - 1; i >= 0; i-- {
		p.Score(e.ss, e.xs[i*d:(i+1)*d])
		for j := range grad {
			grad[j] += e.fs[i] * e.ss[j]
		}
	}
	for j := range grad {
		grad[j] /= float64(n)
	}
	return estimators.Cost{F: n}, nil
}

var injected = map[string]*faulty{}

func init() {
	vmu, vsigma, err := reference.PerSampleVariance("score", dist.Normal{Mu: 1, Sigma: 1}, objective.Quadratic{K: 3}, false)
	if err != nil {
		panic(err)
	}
	sd := [2]float64{math.Sqrt(vmu / 4), math.Sqrt(vsigma / 4)} // one estimate of n = 4
	injected["test-inflated"] = &faulty{name: "test-inflated", noise: [2]float64{math.Sqrt(0.2) * sd[0], math.Sqrt(0.2) * sd[1]}}
	injected["test-biased"] = &faulty{name: "test-biased", shift: [2]float64{3 * sd[0], 3 * sd[1]}}
	injected["test-reversed"] = &faulty{name: "test-reversed", reversed: true}
	for name, e := range injected {
		estimators.Register(name, func(*estimators.Options) (estimators.Estimator, error) {
			c := *e
			return &c, nil
		})
	}
}

// runAs runs injectedSpec with the estimator labelled "score" built by the
// named estimator instead.
func runAs(t *testing.T, name string) []store.Row {
	t.Helper()
	src := strings.Replace(injectedSpec, `estimators = ["score"]`, `estimators = [{name = "`+name+`", label = "score"}]`, 1)
	s, err := spec.Parse("inject.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return run(t, s, s.Seed)
}

func TestInjectedFaults(t *testing.T) {
	base := runAs(t, "score")
	for _, c := range []struct {
		name   string
		fail   bool
		status check.Status
	}{
		{"test-inflated", true, check.Regression}, // variance × 1.2
		{"test-biased", true, check.Biased},       // mean + 3 SD of one estimate
		{"test-reversed", false, check.Same},      // a speed-only change
	} {
		rep := compare(t, base, runAs(t, c.name))
		var buf bytes.Buffer
		if err := rep.Table(true).Write(&buf, "text"); err != nil {
			t.Fatal(err)
		}
		if rep.Failed() != c.fail {
			t.Errorf("%s: failed = %v, want %v\n%s", c.name, rep.Failed(), c.fail, buf.String())
		}
		for _, r := range rep.Rows {
			if r.Status != c.status {
				t.Errorf("%s: %s: %s, want %s", c.name, r.Key, r.Status, c.status)
			}
		}
		if c.fail && !strings.Contains(buf.String(), "score normal(mu=1,sigma=1) quadratic(k=3) n=4 ∂mu") {
			t.Errorf("%s: the table does not name the cell:\n%s", c.name, buf.String())
		}
		t.Logf("%s:\n%s", c.name, buf.String())
	}
}
