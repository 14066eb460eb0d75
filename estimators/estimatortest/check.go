// Package estimatortest is the conformance kit for gradient estimators: it
// runs a registered estimator over a fixed set of problems with exact
// reference gradients and checks the properties every estimator must have.
//
// For every fixture the estimator supports, Check verifies that
//
//   - an estimator that declares itself unbiased has a mean within 4
//     standard errors of the exact gradient, in every component (a biased
//     one has its bias measured and logged);
//   - every estimate is finite (so is the variance);
//   - the same seed gives bit-identical estimates from a fresh estimator,
//     a stateful estimator reproduces them after Reset, and a stateless one
//     reproduces them without;
//   - a stateful estimator (Info().Stateful, which must hold exactly when it
//     implements estimators.Stateful) is restored bit-exactly by
//     MarshalBinary → UnmarshalBinary into a fresh estimator, rejects
//     truncated data without panicking, and gives frozen Snapshots that
//     start in its state and leave it unchanged;
//   - Estimate allocates nothing in steady state;
//   - Info agrees with behaviour: what estimators.Supports admits (the
//     declared needs, then the estimator's Supports method if it has one)
//     is exactly what Estimate accepts, and n below MinSamples is an
//     ErrUnsupported error;
//   - estimators.Replicate (the estimator's batched replications, or the
//     loop over Estimate) gives bit for bit the estimates and costs of
//     successive Estimate calls, and allocates nothing.
//
// Fixtures an estimator does not support (ErrUnsupported) are skipped with
// a log line giving the reason; any other error fails the test.
//
// A panic of the estimator (in its factory, Info, Estimate or state
// methods) fails the check it happened in, with a message naming the
// estimator, the fixture (or the check before the fixtures) and the panic
// value, followed by the stack; the kit goes on with the next check and
// the next fixture, so one panic does not hide the other failures nor
// abort the test binary.
//
// A package that registers an estimator tests it with
//
//	func TestConformance(t *testing.T) { estimatortest.Check(t, "my-estimator") }
package estimatortest

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gradbench/gradbench/estimators"
)

// Tolerance is the number of standard errors within which the mean of an
// unbiased estimator must lie from the exact gradient.
//
// Each comparison is a two-sided z-test on the mean of R ≥ 10000 independent
// (or martingale-difference) estimates, for which P(|Z| > 4) ≈ 6.3e-5 under
// the normal approximation. CheckAll over the built-in estimators makes
// about 1000 comparisons, so about 6% of seed choices would produce one
// false alarm; the seeds are fixed, so the outcome is deterministic, and a
// failure must be investigated (its z-score is printed), not retried with
// another seed. Heavy-tailed estimates make the normal approximation, and
// so this rate, optimistic.
const Tolerance = 4

// blockSize is the number of replications between Resets of a stateful
// estimator, as the runners reset at the start of every replication block.
const blockSize = 1000

// reproReps is the number of replications compared bit for bit in the
// reproducibility checks.
const reproReps = 16

// seed is the PCG seed of the kit; the second word comes from the fixture
// name.
const seed = 0x6772616462656e63 // "gradbenc"

var (
	fixturesOnce sync.Once
	fixtures     []Fixture
	fixturesErr  error

	comparisons atomic.Int64
)

func loadFixtures(t testing.TB) []Fixture {
	t.Helper()
	fixturesOnce.Do(func() { fixtures, fixturesErr = Fixtures() })
	if fixturesErr != nil {
		t.Fatal(fixturesErr)
	}
	return fixtures
}

// Comparisons returns the number of mean-versus-reference comparisons made so
// far by this process, for stating the family-wise false-alarm rate.
func Comparisons() int64 { return comparisons.Load() }

// Check runs the named estimator, with its default options, over every
// fixture. It is CheckOptions(t, name, nil).
func Check(t *testing.T, name string) { CheckOptions(t, name, nil) }

// CheckAll runs Check on every registered estimator, each in a subtest named
// after it, and logs the number of statistical comparisons made.
func CheckAll(t *testing.T) {
	before := Comparisons()
	for _, name := range estimators.Names() {
		t.Run(name, func(t *testing.T) { Check(t, name) })
	}
	n := Comparisons() - before
	t.Logf("%d comparisons at %d SE: expected false alarms %.3f", n, Tolerance, float64(n)*twoSidedTail(Tolerance))
}

// twoSidedTail returns P(|Z| > z) for a standard normal Z.
func twoSidedTail(z float64) float64 { return math.Erfc(z / math.Sqrt2) }

// recoverPanic, deferred, turns a panic of the estimator into a failure of
// t that names the estimator, where it panicked and the panic value, with
// the stack; t goes on. A t.Fatal (runtime.Goexit) is not a panic and
// passes through.
func recoverPanic(t *testing.T, name, where string) {
	if v := recover(); v != nil {
		t.Errorf("estimator %s panicked %s: %v\n%s", name, where, v, debug.Stack())
	}
}

// CheckOptions runs the named estimator, built with the given options, over
// every fixture, each in a subtest named after the fixture. A panic fails
// the check it happened in (see the package documentation).
func CheckOptions(t *testing.T, name string, opts map[string]string) {
	t.Helper()
	fxs := loadFixtures(t)
	newEst := func(t *testing.T) estimators.Estimator {
		t.Helper()
		e, err := estimators.New(name, opts)
		if err != nil {
			t.Fatalf("New(%q, %v): %v", name, opts, err)
		}
		return e
	}
	var e estimators.Estimator
	var info estimators.Info
	func() {
		defer recoverPanic(t, name, "in its factory or Info")
		e = newEst(t)
		info = e.Info()
	}()
	if e == nil {
		return
	}
	if info.Name != name {
		t.Errorf("Info().Name = %q, want %q", info.Name, name)
	}
	if info.Stateful {
		if _, ok := e.(estimators.Resetter); !ok {
			t.Errorf("Info().Stateful is true but %T does not implement Resetter", e)
		}
	}
	func() {
		defer recoverPanic(t, name, "in the check of its declared state")
		checkStatefulDeclared(t, e)
	}()
	// n below the minimum is an ErrUnsupported error, not a panic.
	fx0 := fxs[0]
	func() {
		n := max(info.MinSamples, 1) - 1
		defer recoverPanic(t, name, fmt.Sprintf("on fixture %s with n = MinSamples − 1 = %d (want an ErrUnsupported error)", fx0.Name, n))
		grad := make([]float64, fx0.P.NumParams())
		rng := rand.New(rand.NewPCG(seed, 0))
		if _, err := e.Estimate(grad, fx0.P, fx0.F, n, rng); !errors.Is(err, estimators.ErrUnsupported) {
			t.Errorf("Estimate with n = MinSamples − 1 = %d: error %v, want ErrUnsupported", n, err)
		}
	}()
	supported := 0
	for _, fx := range fxs {
		t.Run(fx.Name, func(t *testing.T) {
			defer recoverPanic(t, name, "on fixture "+fx.Name)
			if checkFixture(t, newEst, fx) {
				supported++
			}
		})
	}
	if supported == 0 {
		t.Errorf("%s supports none of the %d fixtures", name, len(fxs))
	}
}

// run makes reps successive estimates from e on fx with rng, resetting e
// every blockSize replications if it is a Resetter, and calls visit with
// each. It returns the first error.
func run(e estimators.Estimator, fx Fixture, n, reps int, rng *rand.Rand, visit func(r int, g []float64, c estimators.Cost)) error {
	grad := make([]float64, fx.P.NumParams())
	rs, _ := e.(estimators.Resetter)
	for r := range reps {
		if rs != nil && r%blockSize == 0 {
			rs.Reset()
		}
		c, err := e.Estimate(grad, fx.P, fx.F, n, rng)
		if err != nil {
			return err
		}
		visit(r, grad, c)
	}
	return nil
}

// replicateReps is the number of estimates the kit compares between
// Replicate and successive Estimate calls: more than one chunk of 256.
const replicateReps = 300

func fixtureRNG(fx Fixture) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(fx.Name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// checkFixture runs one estimator on one fixture and reports whether the
// estimator supports it.
func checkFixture(t *testing.T, newEst func(*testing.T) estimators.Estimator, fx Fixture) bool {
	e := newEst(t)
	info := e.Info()
	n := max(fx.N, info.MinSamples, 1)
	np := fx.P.NumParams()
	admitted := estimators.Supports(e, fx.P, fx.F, n)

	// Main run: Welford mean and M2 per component.
	mean, m2 := make([]float64, np), make([]float64, np)
	first := make([]float64, 0, reproReps*np)
	nonFinite := 0
	err := run(e, fx, n, fx.R, fixtureRNG(fx), func(r int, g []float64, c estimators.Cost) {
		if c.F+c.Grad < 1 {
			t.Errorf("replication %d: cost %+v: an estimate must evaluate f at least once", r, c)
		}
		if r < reproReps {
			first = append(first, g...)
		}
		if !finite(g) {
			nonFinite++
			return
		}
		k := float64(r + 1 - nonFinite)
		for j, v := range g {
			d := v - mean[j]
			mean[j] += d / k
			m2[j] += d * (v - mean[j])
		}
	})
	switch {
	case errors.Is(err, estimators.ErrUnsupported):
		if admitted == nil {
			t.Errorf("Estimate: %v, although estimators.Supports admits the fixture: Info.Needs or Supports is wrong", err)
		} else {
			t.Logf("skipped: %v", err)
		}
		return false
	case err != nil:
		t.Fatalf("Estimate: %v", err)
	}
	if admitted != nil {
		t.Errorf("Estimate succeeded although estimators.Supports says %v: Info.Needs or Supports is wrong", admitted)
	}
	if nonFinite > 0 {
		t.Errorf("%d of %d estimates are not finite", nonFinite, fx.R)
		return true
	}

	// Mean against the exact gradient.
	reps := float64(fx.R)
	names := fx.P.ParamNames()
	for j := range np {
		v := m2[j] / (reps - 1)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s: variance %v is not finite", names[j], v)
			continue
		}
		se := math.Sqrt(v / reps)
		diff := mean[j] - fx.Grad[j]
		if !info.Unbiased {
			t.Logf("%s: bias %.4g ± %.2g (mean %.6g, exact %.6g, %s)", names[j], diff, se, mean[j], fx.Grad[j], fx.Method)
			continue
		}
		comparisons.Add(1)
		// A zero-variance component (e.g. the coupled measure-valued
		// estimator's mu component at k = mu) can still differ from the
		// exact value by rounding; 1e-9 relative covers that and is far
		// below any bias worth detecting.
		tol := Tolerance*se + 1e-9*max(1, math.Abs(fx.Grad[j]))
		if math.Abs(diff) > tol {
			t.Errorf("%s: mean %.6g, exact %.6g (%s): off by %.3g = %.1f SE (SE %.3g, R = %d, n = %d)",
				names[j], mean[j], fx.Grad[j], fx.Method, diff, diff/se, se, fx.R, n)
		}
	}

	// Reproducibility.
	reps16 := min(reproReps, fx.R)
	collect := func(e estimators.Estimator) []float64 {
		out := make([]float64, 0, reps16*np)
		if err := run(e, fx, n, reps16, fixtureRNG(fx), func(_ int, g []float64, _ estimators.Cost) { out = append(out, g...) }); err != nil {
			t.Fatalf("Estimate: %v", err)
		}
		return out
	}
	same := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	}
	if !same(first, collect(newEst(t))) {
		t.Errorf("a fresh estimator with the same seed gives different estimates")
	}
	// run resets a Resetter first; a stateless estimator must reproduce
	// without.
	again := collect(e)
	switch {
	case info.Stateful && !same(first, again):
		t.Errorf("after Reset, the same seed gives different estimates")
	case !info.Stateful && !same(first, again):
		t.Errorf("Info().Stateful is false, but estimates depend on earlier calls")
	}

	// Batched replications: estimators.Replicate (the estimator's
	// Replicate, or the loop over Estimate) gives bit for bit the
	// estimates of successive Estimate calls, and their total cost, across
	// the chunk boundaries of batched paths.
	repR := min(replicateReps, fx.R)
	var loop []float64
	var loopCost estimators.Cost
	if err := run(newEst(t), fx, n, repR, fixtureRNG(fx), func(_ int, g []float64, c estimators.Cost) {
		loop = append(loop, g...)
		loopCost.F += c.F
		loopCost.Grad += c.Grad
	}); err != nil {
		t.Fatalf("Estimate: %v", err)
	}
	batch := make([]float64, repR*np)
	re := newEst(t)
	c, err := estimators.Replicate(re, batch, fx.P, fx.F, n, repR, fixtureRNG(fx))
	switch {
	case err != nil:
		t.Errorf("Replicate: %v", err)
	case !same(loop, batch):
		t.Errorf("Replicate of %d estimates differs from %d successive Estimate calls (%T has batched replications: %v)", repR, repR, re, estimators.HasReplicate(re))
	case c != loopCost:
		t.Errorf("Replicate reports cost %+v, successive Estimate calls %+v", c, loopCost)
	}
	repRNG := fixtureRNG(fx)
	if a := testing.AllocsPerRun(5, func() {
		if _, err := estimators.Replicate(re, batch, fx.P, fx.F, n, repR, repRNG); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Replicate allocates %v times per call in steady state, want 0", a)
	}

	// Checkpoints and snapshots.
	if _, ok := e.(estimators.Stateful); ok {
		checkState(t, newEst, fx, n)
	}

	// Allocations in steady state.
	grad := make([]float64, np)
	rng := fixtureRNG(fx)
	if a := testing.AllocsPerRun(20, func() {
		if _, err := e.Estimate(grad, fx.P, fx.F, n, rng); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Estimate allocates %v times per call in steady state, want 0", a)
	}
	return true
}
