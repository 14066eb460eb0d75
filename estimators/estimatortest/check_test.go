package estimatortest_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/estimatortest"
	"github.com/gradbench/gradbench/estimators/objective"
)

// faulty is a score-function estimator with one deliberate defect, used to
// show that the kit catches each kind of defect.
type faulty struct {
	name  string
	fault string
	x, s  []float64
	calls int
}

func (e *faulty) Info() estimators.Info {
	info := estimators.Info{Name: e.name, Unbiased: true, Cost: "1 f"}
	if e.fault == "needs" {
		info.Needs = estimators.NeedsReparam
	}
	return info
}

func (e *faulty) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (estimators.Cost, error) {
	if n < 1 && e.fault != "min" {
		return estimators.Cost{}, estimators.Check(e.Info(), p, f, n)
	}
	e.calls++
	if e.fault == "panic" && p.NumParams() == 1 {
		panic("faulty-panic: one-parameter family")
	}
	if e.fault == "alloc" {
		e.x, e.s = nil, nil
	}
	if len(e.x) != p.Dim() || len(e.s) != p.NumParams() {
		e.x, e.s = make([]float64, p.Dim()), make([]float64, p.NumParams())
	}
	for j := range grad {
		grad[j] = 0
	}
	for range n {
		p.Rand(e.x, rng)
		fx := f.Value(e.x)
		p.Score(e.s, e.x)
		for j, sj := range e.s {
			grad[j] += fx * sj
		}
	}
	for j := range grad {
		grad[j] /= float64(n)
		switch e.fault {
		case "biased":
			grad[j] *= 0.95
		case "global":
			grad[j] += 1e-9 * rand.Float64() // the global source: not reproducible
		case "hidden-state":
			grad[j] += 1e-12 * float64(e.calls)
		case "nan":
			if e.calls == 100 {
				grad[j] = math.NaN()
			}
		}
	}
	return estimators.Cost{F: n}, nil
}

// faults maps each fault to the message the kit must report for it.
var faults = map[string]string{
	"biased":       "SE (SE",
	"alloc":        "allocates",
	"global":       "a fresh estimator with the same seed gives different estimates",
	"hidden-state": "estimates depend on earlier calls",
	"needs":        "Info.Needs or Supports is wrong",
	"nan":          "are not finite",
	"min":          "want ErrUnsupported",
}

func init() {
	for fault := range faults {
		name := "faulty-" + fault
		estimators.Register(name, func(*estimators.Options) (estimators.Estimator, error) {
			return &faulty{name: name, fault: fault}, nil
		})
	}
}

// TestFaultyHelper runs the kit on the faulty estimator named by
// $ESTIMATORTEST_FAULT; it is run in a subprocess by TestKitCatchesFaults.
func TestFaultyHelper(t *testing.T) {
	fault := os.Getenv("ESTIMATORTEST_FAULT")
	if fault == "" {
		t.Skip("run by TestKitCatchesFaults")
	}
	estimatortest.Check(t, "faulty-"+fault)
}

// TestKitCatchesFaults checks that the kit fails each faulty estimator with
// the expected message, so that a passing estimator means something.
func TestKitCatchesFaults(t *testing.T) {
	catchFaults(t, faults)
}

// catchFaults runs TestFaultyHelper in a subprocess for every fault and
// checks that the kit fails it with the expected message.
func catchFaults(t *testing.T, faults map[string]string) {
	if testing.Short() {
		t.Skip("runs the test binary once per fault")
	}
	for fault, want := range faults {
		t.Run(fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFaultyHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), "ESTIMATORTEST_FAULT="+fault)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the kit passed estimator faulty-%s:\n%s", fault, out)
			}
			if !strings.Contains(string(out), want) {
				t.Errorf("the kit failed faulty-%s without saying %q:\n%s", fault, want, tail(string(out), 3000))
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestCorrectEstimatorPasses checks that the kit passes the reference
// implementation of the faulty estimator (no fault), under the same
// conditions as the faulty ones.
func TestCorrectEstimatorPasses(t *testing.T) {
	estimatortest.Check(t, "faulty-none")
}

func init() {
	estimators.Register("faulty-none", func(*estimators.Options) (estimators.Estimator, error) {
		return &faulty{name: "faulty-none"}, nil
	})
}

func init() {
	estimators.Register("faulty-panic", func(*estimators.Options) (estimators.Estimator, error) {
		return &faulty{name: "faulty-panic", fault: "panic"}, nil
	})
}

// TestKitRecoversPanics runs the kit, in a subprocess, on an estimator that
// panics on the fixtures of one-parameter families and is correct on the
// others: each panic fails its fixture's subtest with a message naming the
// estimator and the fixture, the other fixtures are checked (and pass),
// and the test binary fails normally instead of crashing.
func TestKitRecoversPanics(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultyHelper$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ESTIMATORTEST_FAULT=panic")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("the kit's test binary: %v, want exit status 1:\n%s", err, tail(string(out), 3000))
	}
	text := string(out)
	fxs, err := estimatortest.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	panicked, passed := 0, 0
	for _, fx := range fxs {
		sub := "TestFaultyHelper/" + strings.ReplaceAll(fx.Name, " ", "_")
		if fx.P.NumParams() == 1 {
			if !strings.Contains(text, "estimator faulty-panic panicked on fixture "+fx.Name+": faulty-panic: one-parameter family") ||
				!strings.Contains(text, "--- FAIL: "+sub+" ") {
				t.Errorf("fixture %s: no failure naming the estimator and the fixture", fx.Name)
			}
			panicked++
		} else if strings.Contains(text, "--- PASS: "+sub+" ") {
			passed++
		}
	}
	if panicked == 0 || passed == 0 || strings.Contains(text, "[recovered]") {
		t.Errorf("%d fixtures panicked, %d passed, want some of each and no crash:\n%s", panicked, passed, tail(text, 3000))
	}
	t.Logf("%d fixtures panicked and failed, %d passed", panicked, passed)
}
