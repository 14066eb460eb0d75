package train

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/spec"
)

// TestBernoulliVAEStartsAtDataMean: with the reference's decoder bias (the
// logits of the training pixel means), the linear Bernoulli VAE's first
// evaluation is near the mean-image baseline, the expected log-likelihood
// of the test images' dynamic binarisations under the clipped pixel means
// (about −206 nats), not near −543 (every pixel ½).
func TestBernoulliVAEStartsAtDataMean(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	s, err := spec.Load("../vae-bernoulli-linear.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyProfile("quick"); err != nil {
		t.Fatal(err)
	}
	x, err := Prepare(s)
	if err != nil {
		t.Fatal(err)
	}
	model, err := x.newModel(x.Runs[0].Estimator, 0)
	if err != nil {
		t.Fatal(err)
	}
	bm := model.(*bvaeModel)
	est, _ := estimators.New("disarm", nil)
	ev, err := model.Evaluate(est, newStreams(s.Seed, "disarm", 0))
	if err != nil {
		t.Fatal(err)
	}
	// The baseline on the same test images, from the training split's means.
	mean := bm.b.Mean
	var base float64
	for i := range bm.nTest {
		for j, v := range bm.test.Image(i) {
			p := min(max(mean[j], 0.001), 0.999)
			base += v*math.Log(p) + (1-v)*math.Log1p(-p)
		}
	}
	base /= float64(bm.nTest)
	t.Logf("baseline %.2f, test_iw %.2f, train_elbo %v", base, ev.Objective, ev.Metrics)
	if base < -215 || base > -195 {
		t.Errorf("mean-image baseline %.2f nats, want about −206", base)
	}
	if math.Abs(ev.Objective-base) > 15 {
		t.Errorf("first test bound %.2f nats, want within 15 of the mean-image baseline %.2f", ev.Objective, base)
	}
}

// TestPrepareCommittedSpecs prepares every training spec of experiments/
// in both profiles: their data load and every estimator applies to its
// model (the VAEs need MNIST, so not with -short).
func TestPrepareCommittedSpecs(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("../*.toml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range paths {
		for _, profile := range []string{"", "quick"} {
			s, err := spec.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if s.Train == nil && s.Model == nil {
				continue
			}
			if s.Model != nil && s.Model.Kind != "blr" && testing.Short() {
				continue
			}
			if err := s.ApplyProfile(profile); err != nil {
				t.Fatal(err)
			}
			if _, err := Prepare(s); err != nil {
				t.Errorf("%s (profile %q): %v", path, profile, err)
			}
			n++
		}
	}
	if n < 6 {
		t.Errorf("prepared %d training specs, want at least the blr and discrete-toy ones", n)
	}
}
