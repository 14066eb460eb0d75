package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

func grid(name string, v float64) spec.Grid { return spec.Grid{Name: name, Values: []float64{v}} }

// quadSpec is a training spec on N(mu0, sigma0²) × (x − k)² with the given
// estimators and optimizer settings.
func quadSpec(opt, schedule string, lr float64, steps, evalEvery, seeds int, names ...string) *spec.Spec {
	var ests []spec.Estimator
	for _, n := range names {
		ests = append(ests, spec.Estimator{Name: n, Label: n})
	}
	return &spec.Spec{Name: "quad", Seed: 42, Train: &spec.Train{
		Estimators:   ests,
		Distribution: spec.Component{Name: "normal", Params: []spec.Grid{grid("mu", 0), grid("sigma", 1)}},
		Objective:    spec.Component{Name: "quadratic", Params: []spec.Grid{grid("k", 3)}},
		Optimizer:    opt, LearningRate: lr, Schedule: schedule,
		Steps: steps, N: 16, EvalEvery: evalEvery, ObjectiveSamples: 1000, Seeds: seeds,
		LogParams: []string{"sigma"},
	}}
}

func theta(t *testing.T, pt store.CurvePoint, name string) float64 {
	t.Helper()
	for _, kv := range pt.Theta {
		if kv.Name == name {
			return kv.Value
		}
	}
	t.Fatalf("point %+v has no theta.%s", pt, name)
	return 0
}

// runs splits points by (estimator, seed), in order.
func splitRuns(points []store.CurvePoint) [][]store.CurvePoint {
	var out [][]store.CurvePoint
	for i, p := range points {
		if i == 0 || p.Estimator != points[i-1].Estimator || p.Seed != points[i-1].Seed {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}

// TestTrainQuadratic trains N(μ, σ²) from (0, 1) on E[(x − 3)²] =
// (μ − 3)² + σ² with SGD at rate η = 0.05, n = 16 samples, σ on the log
// scale, for 200 steps, with the pathwise and the score-function
// estimators.
//
// The error e = μ − 3 follows e ← (1 − 2η) e − η ξ, ξ the noise of the μ
// gradient estimate with variance V/n: the start is forgotten by a factor
// 0.9²⁰⁰ ≈ 7e-10, and e fluctuates with stationary variance
// η V / (4n(1 − η)). Per sample, the pathwise μ-gradient 2(x − 3) has
// V = 4σ²; the score-function one, f(x)(x − μ)/σ², has
// V = e⁴/σ² + 14e² + 15σ², at most 30σ² while |e| ≤ σ. With σ the largest
// value over the last 50 steps (the memory of e is 1/(2η) = 10 steps), the
// test requires |e| ≤ 4 standard deviations; for the 8 runs that fails with
// probability about 5e-4 under a normal approximation.
//
// The objective must fall below a tenth of its start (10): the mean
// dynamics of log σ, d log σ = −2ησ² per step, give σ² ≈ 1/(1 + 4ηT) ≈ 0.024
// at the end, and e² is bounded as above, so the expected end value is
// about 0.03.
func TestTrainQuadratic(t *testing.T) {
	t.Parallel()
	const eta, n = 0.05, 16
	s := quadSpec("sgd", "constant", eta, 200, 1, 4, "pathwise", "score")
	points, err := Curves(context.Background(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := splitRuns(points)
	if len(rs) != 8 {
		t.Fatalf("got %d runs, want 8", len(rs))
	}
	for _, r := range rs {
		first, last := r[0], r[len(r)-1]
		name := first.Estimator
		if len(r) != 201 || last.Step != 200 {
			t.Fatalf("%s seed %d: %d points ending at step %d (%s), want 201 ending at 200", name, first.Seed, len(r), last.Step, last.Status)
		}
		if first.Objective != 10 || first.ObjectiveSE != 0 || first.ObjectiveMethod != MethodClosed {
			t.Errorf("%s seed %d: step 0 objective %v ± %v (%s), want exactly 10 (closed)", name, first.Seed, first.Objective, first.ObjectiveSE, first.ObjectiveMethod)
		}
		if !(last.Objective < 1) {
			t.Errorf("%s seed %d: objective %v → %v, want < 1", name, first.Seed, first.Objective, last.Objective)
		}
		wantF, wantG := 0.0, 200.0*n
		if name == "score" {
			wantF, wantG = wantG, wantF
		}
		if last.EvalsF != wantF || last.EvalsGrad != wantG || last.Evals != 200*n {
			t.Errorf("%s: evals f %v, ∇f %v, total %v after 200 steps; want %v, %v, %v", name, last.EvalsF, last.EvalsGrad, last.Evals, wantF, wantG, 200*n)
		}
		sigma := 0.0
		for _, p := range r[150:] {
			sigma = max(sigma, theta(t, p, "sigma"))
		}
		v := 4.0
		if name == "score" {
			v = 30
		}
		sd := math.Sqrt(eta * v * sigma * sigma / (4 * n * (1 - eta)))
		if e := theta(t, last, "mu") - 3; math.Abs(e) > 4*sd {
			t.Errorf("%s seed %d: final μ − 3 = %.4g, bound 4·%.4g (σ ≤ %.4g)", name, first.Seed, e, sd, sigma)
		}
		for i := 1; i < len(r); i++ {
			if r[i].Seconds < r[i-1].Seconds || r[i].Evals <= r[i-1].Evals {
				t.Errorf("%s seed %d: seconds or evals not increasing at step %d", name, first.Seed, r[i].Step)
				break
			}
		}
	}
}

// stripTiming zeroes the timing column.
func stripTiming(points []store.CurvePoint) []store.CurvePoint {
	out := make([]store.CurvePoint, len(points))
	for i, p := range points {
		p.Seconds = 0
		out[i] = p
	}
	return out
}

// equalPoints compares points exactly, NaN equal to NaN, timing aside.
func equalPoints(a, b []store.CurvePoint) bool {
	var ba, bb bytes.Buffer
	if err := store.WriteCurves(&ba, stripTiming(a)); err != nil {
		panic(err)
	}
	if err := store.WriteCurves(&bb, stripTiming(b)); err != nil {
		panic(err)
	}
	return ba.String() == bb.String()
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	t.Parallel()
	adam := quadSpec("adam", "cosine", 0.1, 60, 20, 3, "pathwise", "score")
	adam.Train.VarianceDraws = 10
	// A family without an exact objective: the Monte Carlo objective and
	// its standard error come from the measuring stream.
	mc := &spec.Spec{Name: "laplace", Seed: 7, Train: &spec.Train{
		Estimators:   []spec.Estimator{{Name: "score", Label: "score"}, {Name: "score", Label: "score-2"}},
		Distribution: spec.Component{Name: "laplace", Params: []spec.Grid{grid("mu", 0), grid("scale", 1)}},
		Objective:    spec.Component{Name: "quadratic", Params: []spec.Grid{grid("k", 2)}},
		Optimizer:    "sgd", Momentum: 0.5, LearningRate: 0.01, Schedule: "inverse-sqrt",
		Steps: 40, N: 8, EvalEvery: 10, VarianceDraws: 5, ObjectiveSamples: 200, Seeds: 3,
		LogParams: []string{"scale"},
	}}
	for _, s := range []*spec.Spec{adam, mc} {
		one, err := Curves(context.Background(), s, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		two, err := Curves(context.Background(), s, Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		tr := s.Train
		if n := len(tr.Estimators) * tr.Seeds * (tr.Steps/tr.EvalEvery + 1); len(one) != n || !equalPoints(one, two) {
			t.Errorf("%s: curves differ between 1 and 2 workers (%d and %d points)", s.Name, len(one), len(two))
		}
		for _, p := range one {
			if p.Status != store.StatusOK || math.IsNaN(p.GradVariance) || !(p.GradVariance > 0) {
				t.Errorf("%s: point %+v: want status ok and a measured gradient variance", s.Name, p)
			}
		}
		// Different labels of the same estimator get different streams.
		if s == mc && theta(t, one[3], "mu") == theta(t, one[15+3], "mu") {
			t.Errorf("labels score and score-2 gave the same trajectory")
		}
	}
}

// TestMeasuringKeepsTrajectory checks that measuring (variance draws, more
// frequent evaluations) does not change θ.
func TestMeasuringKeepsTrajectory(t *testing.T) {
	t.Parallel()
	a := quadSpec("adam", "constant", 0.05, 100, 50, 2, "score")
	b := quadSpec("adam", "constant", 0.05, 100, 1, 2, "score")
	b.Train.VarianceDraws = 7
	opts := Options{}
	pa, err := Curves(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := Curves(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[[2]int][]store.KV{}
	for _, p := range pb {
		steps[[2]int{p.Seed, p.Step}] = p.Theta
	}
	if len(pa) != 6 {
		t.Fatalf("got %d points, want 6", len(pa))
	}
	for _, p := range pa {
		if q := steps[[2]int{p.Seed, p.Step}]; !reflect.DeepEqual(p.Theta, q) {
			t.Errorf("seed %d step %d: θ %v without measuring, %v with", p.Seed, p.Step, p.Theta, q)
		}
	}
}

// TestInvalidStepReported drives σ below 0 with plain SGD at rate 10 on θ
// itself. With n = 1000 samples the first pathwise σ-gradient,
// (2/n) Σ (x − 3)ε, has mean 2σ = 2 and standard deviation √44/√1000 ≈ 0.21;
// σ stays positive only if it is below 0.1, nine standard deviations below
// its mean, so the first step fails (with probability 1 − 1e-19).
func TestInvalidStepReported(t *testing.T) {
	t.Parallel()
	s := quadSpec("sgd", "constant", 10, 20, 1, 1, "pathwise")
	s.Train.N = 1000
	s.Train.LogParams = nil
	points, err := Curves(context.Background(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 2 || points[0].Status != store.StatusOK {
		t.Fatalf("got %d points %+v, want step 0 and the failed step 1", len(points), points)
	}
	last := points[1]
	if !last.Stopped() || last.Step != 1 {
		t.Fatalf("last point %+v: want the run stopped at step 1", last)
	}
	if !strings.Contains(last.Status, "invalid parameters") || !strings.Contains(last.Status, "sigma") {
		t.Errorf("status %q does not say which parameter was invalid", last.Status)
	}
	if sg := theta(t, last, "sigma"); !(sg < 0) {
		t.Errorf("stopped point records σ = %v, want the rejected value", sg)
	}
	if !math.IsNaN(last.Objective) || last.Evals != 1000 {
		t.Errorf("stopped point: objective %v (want NaN), evals %v (want 1000)", last.Objective, last.Evals)
	}
	bands := store.Aggregate(points)
	if b := bands[len(bands)-1]; b.Stopped != 1 || b.N != 0 {
		t.Errorf("last band %+v: want 1 stopped run and no finite objective", b)
	}
}

// TestGradVariance checks the variance measured at θ0 = (0, 1) for the
// pathwise estimator with n = 16 on (x − 3)². Per sample, the μ component
// 2(x − 3) has variance 4 and the σ component 2(x − 3)ε = 2(ε² − 3ε) has
// variance 4·11 = 44 and excess kurtosis 3.97, so the mean over components
// of the variance of a 16-sample estimate is (4 + 44)/32 = 1.5. With D =
// 2000 draws the sample variances have standard errors
// v·√(2/(D−1) + κ/D) with κ the excess kurtosis of a 16-sample mean
// (0 and 3.97/16): 0.0079 and 0.092, and their mean at most half the sum,
// 0.050, whatever their correlation. The test allows 4 of those (error
// rate below 1e-4).
func TestGradVariance(t *testing.T) {
	t.Parallel()
	s := quadSpec("sgd", "constant", 0.01, 1, 1, 1, "pathwise")
	s.Train.VarianceDraws = 2000
	points, err := Curves(context.Background(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := points[0].GradVariance; math.Abs(got-1.5) > 4*0.050 {
		t.Errorf("gradient variance at θ0 = %v, want 1.5 ± 4·0.050", got)
	}
}

func TestObjectiveMethods(t *testing.T) {
	t.Parallel()
	// Bernoulli(σ(0)) × (x − 1)²: E[f] = P(x = 0) = 1/2 by enumeration.
	bern := &spec.Spec{Name: "bern", Train: &spec.Train{
		Estimators:   []spec.Estimator{{Name: "score", Label: "score"}},
		Distribution: spec.Component{Name: "bernoulli", Params: []spec.Grid{grid("logit", 0)}},
		Objective:    spec.Component{Name: "quadratic", Params: []spec.Grid{grid("k", 1)}},
		Optimizer:    "sgd", LearningRate: 1, Schedule: "constant", Steps: 50, N: 4, EvalEvery: 50, Seeds: 1,
	}}
	pts, err := Curves(context.Background(), bern, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, last := pts[0], pts[len(pts)-1]
	if first.Objective != 0.5 || first.ObjectiveSE != 0 || first.ObjectiveMethod != MethodEnumeration {
		t.Errorf("bernoulli step 0: objective %v ± %v (%s), want exactly 0.5 by enumeration", first.Objective, first.ObjectiveSE, first.ObjectiveMethod)
	}
	// The objective is 1 − σ(logit) and the estimate of its gradient,
	// −σ'(logit) on average, always moves the logit up or not at all.
	if want := 1 / (1 + math.Exp(theta(t, last, "logit"))); last.Step != 50 || math.Abs(last.Objective-want) > 1e-15 || !(last.Objective < 0.5) {
		t.Errorf("bernoulli step %d: objective %v, want 1 − σ(logit) = %v < 0.5", last.Step, last.Objective, want)
	}

	// Laplace(0, 1) × (x − 2)²: E[f] = 4 + 2b² = 6, by Monte Carlo with
	// 4000 samples; the check allows 4 standard errors (error rate 6e-5).
	lap := &spec.Spec{Name: "lap", Train: &spec.Train{
		Estimators:   []spec.Estimator{{Name: "score", Label: "score"}},
		Distribution: spec.Component{Name: "laplace", Params: []spec.Grid{grid("mu", 0), grid("scale", 1)}},
		Objective:    spec.Component{Name: "quadratic", Params: []spec.Grid{grid("k", 2)}},
		Optimizer:    "sgd", LearningRate: 0.001, Schedule: "constant", Steps: 1, N: 4, EvalEvery: 1,
		ObjectiveSamples: 4000, Seeds: 1,
	}}
	if pts, err = Curves(context.Background(), lap, Options{}); err != nil {
		t.Fatal(err)
	}
	if p := pts[0]; p.ObjectiveMethod != MethodMonteCarlo || !(p.ObjectiveSE > 0) || math.Abs(p.Objective-6) > 4*p.ObjectiveSE {
		t.Errorf("laplace step 0: objective %v ± %v (%s), want 6 within 4 SE by montecarlo", p.Objective, p.ObjectiveSE, p.ObjectiveMethod)
	}
}

func TestSpecErrors(t *testing.T) {
	t.Parallel()
	base := func() *spec.Spec { return quadSpec("sgd", "constant", 0.1, 10, 1, 1, "pathwise") }
	for _, tc := range []struct {
		name string
		edit func(s *spec.Spec)
		opts Options
		want string
	}{
		{"no train", func(s *spec.Spec) { s.Train = nil }, Options{}, "neither a [train] nor a [model]"},
		{"unknown estimator", func(s *spec.Spec) { s.Train.Estimators[0].Name = "nope" }, Options{}, "unknown estimator"},
		{"unknown option", func(s *spec.Spec) { s.Train.Estimators[0].Options = map[string]string{"x": "1"} }, Options{}, "unknown option"},
		{"unsupported", func(s *spec.Spec) {
			s.Train.Distribution = spec.Component{Name: "bernoulli", Params: []spec.Grid{grid("logit", 0)}}
			s.Train.LogParams = nil
		}, Options{}, "not reparameterizable"},
		{"grid", func(s *spec.Spec) { s.Train.Objective.Params[0].Values = []float64{1, 2} }, Options{}, "exactly one"},
		{"bad family value", func(s *spec.Spec) { s.Train.Distribution.Params[1].Values[0] = -1 }, Options{}, "sigma"},
		{"log name", func(s *spec.Spec) { s.Train.LogParams = []string{"tau"} }, Options{}, "tau"},
		{"log nonpositive", func(s *spec.Spec) { s.Train.LogParams = []string{"mu"} }, Options{}, "want > 0"},
		{"adam momentum", func(s *spec.Spec) { s.Train.Optimizer, s.Train.Momentum = "adam", 0.9 }, Options{}, "sgd only"},
		{"schedule", func(s *spec.Spec) { s.Train.Schedule = "step" }, Options{}, "unknown schedule"},
		{"duplicate label", func(s *spec.Spec) {
			s.Train.Estimators = append(s.Train.Estimators, s.Train.Estimators[0])
		}, Options{}, "used twice"},
		{"variance draws", func(s *spec.Spec) { s.Train.VarianceDraws = 1 }, Options{}, "variance_draws"},
	} {
		s := base()
		if tc.edit != nil {
			tc.edit(s)
		}
		_, err := Curves(context.Background(), s, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestRunWritesResults(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	s := quadSpec("adam", "inverse-sqrt", 0.1, 30, 10, 2, "pathwise", "score")
	s.File, s.Text, s.SHA256 = "quad.toml", "name = \"quad\"\n", "abc"
	var progress bytes.Buffer
	if _, err := RunSpec(context.Background(), s, Options{Dir: dir, Workers: 2, Progress: &progress}); err != nil {
		t.Fatal(err)
	}
	got, err := store.LoadCurves(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Curves(context.Background(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !equalPoints(got, want) {
		t.Errorf("curves.csv differs from Curves")
	}
	meta, err := store.LoadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Kind != store.KindTrain || meta.Experiment != "quad" || meta.Seed != 42 || meta.Spec != s.Text || meta.Workers != 2 ||
		meta.End.Before(meta.Start) || len(meta.Segments) != 1 || meta.Segments[0].Steps != 4*30 {
		t.Errorf("meta.json = %+v", meta)
	}
	if lines := strings.Count(progress.String(), "\n"); lines != 4 {
		t.Errorf("progress has %d lines, want 4 (one per run):\n%s", lines, progress.String())
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := filepath.Join(t.TempDir(), "out")
	s := quadSpec("sgd", "constant", 0.01, 1000, 10, 4, "score")
	s.SHA256 = "abc"
	_, err := RunSpec(ctx, s, Options{Dir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context: error %v, want context.Canceled", err)
	}
	for _, f := range []string{store.CurvesFile, store.MetaFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("a cancelled Run wrote %s", f)
		}
	}
	// The cancelled folder resumes.
	if _, err := RunSpec(context.Background(), s, Options{Dir: dir, Resume: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.LoadCurves(dir); err != nil {
		t.Fatal(err)
	}
}
