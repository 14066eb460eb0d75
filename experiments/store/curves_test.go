package store

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func samplePoints() []CurvePoint {
	nan := math.NaN()
	return []CurvePoint{
		{Experiment: "e", Estimator: "pathwise", Seed: 0, Step: 0, Seconds: 0,
			Objective: 10, ObjectiveMethod: "closed", GradVariance: 4.5,
			Theta: []KV{{"mu", 0}, {"sigma", 1}}, Status: StatusOK},
		{Experiment: "e", Estimator: "pathwise", Seed: 0, Step: 10, EvalsGrad: 100, Evals: 100, Seconds: 0.25,
			Objective: 2, ObjectiveMethod: "closed", GradVariance: 0.1, GradNonfinite: 1,
			Theta: []KV{{"mu", 1.5}, {"sigma", 0.5}}, Status: StatusOK},
		{Experiment: "e", Estimator: "score", Seed: 1, Step: 7, EvalsF: 70, Evals: 70, Seconds: 1e-3,
			Objective: nan, ObjectiveSE: nan, GradVariance: nan,
			Theta: []KV{{"mu", 0.1}, {"sigma", -3}}, Status: StoppedPrefix + "step 7: invalid parameter"},
		{Experiment: "e", Estimator: "score", Seed: 2, Step: 3, Objective: 1.0 / 3,
			ObjectiveSE: 0.01, ObjectiveMethod: "montecarlo", GradVariance: nan, Status: StatusOK},
	}
}

// sameFloat reports whether a and b are equal or both NaN.
func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func TestCurvesRoundTrip(t *testing.T) {
	t.Parallel()
	in := samplePoints()
	var buf bytes.Buffer
	if err := WriteCurves(&buf, in); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	for _, c := range []string{"estimator", "seed", "step", "evals", "seconds", "objective", "objective_se", "grad_variance", "status", "theta.mu", "theta.sigma"} {
		if !strings.Contains(","+header+",", ","+c+",") {
			t.Errorf("header %q lacks column %q", header, c)
		}
	}
	out, err := ReadCurves(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d points, wrote %d", len(out), len(in))
	}
	for i := range in {
		a, b := in[i], out[i]
		for _, f := range [][2]float64{
			{a.EvalsF, b.EvalsF}, {a.EvalsGrad, b.EvalsGrad}, {a.Evals, b.Evals}, {a.Seconds, b.Seconds},
			{a.Objective, b.Objective}, {a.ObjectiveSE, b.ObjectiveSE}, {a.GradVariance, b.GradVariance},
		} {
			if !sameFloat(f[0], f[1]) {
				t.Errorf("point %d: float %v read back as %v", i, f[0], f[1])
			}
		}
		a.EvalsF, a.EvalsGrad, a.Evals, a.Seconds, a.Objective, a.ObjectiveSE, a.GradVariance = 0, 0, 0, 0, 0, 0, 0
		b.EvalsF, b.EvalsGrad, b.Evals, b.Seconds, b.Objective, b.ObjectiveSE, b.GradVariance = 0, 0, 0, 0, 0, 0, 0
		if !reflect.DeepEqual(a, b) {
			t.Errorf("point %d:\nwrote %+v\nread  %+v", i, a, b)
		}
	}
	if !out[2].Stopped() || out[0].Stopped() {
		t.Errorf("Stopped: got %v, %v, want true, false", out[2].Stopped(), out[0].Stopped())
	}
}

func TestSaveLoadCurves(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := samplePoints()
	if err := SaveCurves(dir, in); err != nil {
		t.Fatal(err)
	}
	out, err := LoadCurves(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) || out[1].Objective != 2 || out[1].Theta[1] != (KV{"sigma", 0.5}) {
		t.Errorf("LoadCurves = %+v", out)
	}
}

func TestReadCurvesErrors(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"",
		"estimator,seed\npathwise,0\n",
		strings.Join(curveColumns, ",") + "\ne,pathwise,x,0,0,0,0,0,1,0,closed,0,0,ok\n",
		strings.Join(curveColumns, ",") + ",theta.mu\ne,pathwise,0,0,0,0,0,0,1,0,closed,0,0,ok,abc\n",
	} {
		if _, err := ReadCurves(strings.NewReader(text)); err == nil {
			t.Errorf("ReadCurves(%q): no error", text)
		}
	}
}

func TestAggregate(t *testing.T) {
	t.Parallel()
	var pts []CurvePoint
	// Three seeds of "a" at steps 0 and 5; seed 2 stops at step 3.
	for seed, objs := range [][2]float64{{4, 1}, {6, 3}, {5, 0}} {
		pts = append(pts, CurvePoint{Estimator: "a", Seed: seed, Step: 0, Objective: objs[0], Evals: 0, GradVariance: float64(seed), Status: StatusOK})
		if seed == 2 {
			pts = append(pts, CurvePoint{Estimator: "a", Seed: seed, Step: 3, Objective: math.NaN(), Evals: 30, Status: StoppedPrefix + "boom"})
			continue
		}
		pts = append(pts, CurvePoint{Estimator: "a", Seed: seed, Step: 5, Objective: objs[1], Evals: 50, GradVariance: math.NaN(), Status: StatusOK})
	}
	pts = append(pts, CurvePoint{Estimator: "b", Seed: 0, Step: 0, Objective: 7, GradVariance: math.NaN(), Status: StatusOK})
	bands := Aggregate(pts)
	if len(bands) != 4 {
		t.Fatalf("got %d bands, want 4 (a@0, a@3, a@5, b@0): %+v", len(bands), bands)
	}
	b0 := bands[0]
	if b0.Estimator != "a" || b0.Step != 0 || b0.N != 3 || b0.Runs != 3 || b0.Stopped != 0 || b0.Mean != 5 || b0.Min != 4 || b0.Max != 6 {
		t.Errorf("a@0 = %+v", b0)
	}
	// Sample sd of {4, 6, 5} is 1, so SE = 1/√3 and the 95% t interval
	// with 2 degrees of freedom is 5 ∓ 4.302653·SE.
	if math.Abs(b0.SE-1/math.Sqrt(3)) > 1e-12 || math.Abs(b0.Hi-5-4.302652729911275/math.Sqrt(3)) > 1e-9 || math.Abs(5-b0.Lo-(b0.Hi-5)) > 1e-12 {
		t.Errorf("a@0 SE %v, interval [%v, %v]", b0.SE, b0.Lo, b0.Hi)
	}
	if b0.GradVariance != 1 || b0.GradVarianceMin != 0 || b0.GradVarianceMax != 2 {
		t.Errorf("a@0 grad variance %v [%v, %v], want 1 [0, 2]", b0.GradVariance, b0.GradVarianceMin, b0.GradVarianceMax)
	}
	b3 := bands[1]
	if b3.Step != 3 || b3.N != 0 || b3.Stopped != 1 || !math.IsNaN(b3.Mean) || !math.IsNaN(b3.Min) {
		t.Errorf("a@3 = %+v, want no finite runs and one stopped", b3)
	}
	b5 := bands[2]
	if b5.Step != 5 || b5.N != 2 || b5.Stopped != 1 || b5.Mean != 2 || b5.Evals != 50 || !math.IsNaN(b5.GradVariance) {
		t.Errorf("a@5 = %+v", b5)
	}
	bb := bands[3]
	if bb.Estimator != "b" || bb.N != 1 || bb.Mean != 7 || !math.IsNaN(bb.SE) || !math.IsNaN(bb.Lo) {
		t.Errorf("b@0 = %+v, want one run with NaN SE and interval", bb)
	}
}
