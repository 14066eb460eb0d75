package figure

import (
	"bytes"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

func synthCurves() []store.CurvePoint {
	rng := rand.New(rand.NewPCG(1, 2))
	var pts []store.CurvePoint
	for ei, est := range []string{"score", "score+loo", "pathwise"} {
		noise := []float64{1, 0.3, 0.05}[ei]
		for seed := range 4 {
			for step := 0; step <= 200; step += 10 {
				p := store.CurvePoint{
					Experiment: "t", Estimator: est, Seed: seed, Step: step, Status: store.StatusOK,
					Objective:    1 + 4*math.Exp(-float64(step)/(40+40*float64(ei))) + noise*0.3*rng.NormFloat64(),
					GradVariance: noise * (1 + math.Exp(-float64(step)/50)) * (1 + 0.2*rng.Float64()),
				}
				if est == "score" && seed == 3 && step == 150 {
					p.Status = store.StoppedPrefix + "sigma ≤ 0"
					p.Objective, p.GradVariance = math.NaN(), math.NaN()
					pts = append(pts, p)
					break
				}
				pts = append(pts, p)
			}
		}
	}
	return pts
}

func TestCurves(t *testing.T) {
	t.Parallel()
	f, err := Curves("train", "quadratic, Adam", synthCurves())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 || !f.Panels[1].LogY {
		t.Fatalf("panels %+v", f.Panels)
	}
	if !strings.Contains(strings.Join(f.Notes, "\n"), "score: 1 of 4 runs stopped early") {
		t.Errorf("notes: %q", f.Notes)
	}
	d := dir(t)
	if _, err := f.Save(d, []string{"png"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(d, "train.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := Curves("none", "", nil); err == nil {
		t.Error("Curves with no points: no error")
	}
}
