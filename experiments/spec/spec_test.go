package spec

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/spec/spectest"
)

func TestParseGood(t *testing.T) {
	s, err := Parse("good.toml", []byte(spectest.Good))
	if err != nil {
		t.Fatal(err)
	}
	sw := s.Sweep
	if s.Name != "fig2-quadratic" || s.Seed != 1 || sw == nil || s.Train != nil || s.Plot == nil {
		t.Fatalf("parsed %+v", s)
	}
	if got := len(sw.Estimators); got != 3 || sw.Estimators[2].Label != "score2" || sw.Estimators[2].Name != "score" {
		t.Errorf("estimators %+v", sw.Estimators)
	}
	if sw.Replications != 2000 || sw.Block != 1000 || sw.Reference != "auto" || sw.ReferenceSamples != DefaultReferenceSamples {
		t.Errorf("sweep %+v", sw)
	}
	k := sw.Objectives[0].Params[0]
	if want := []float64{-3, -1.5, 0, 1.5, 3}; !equal(k.Values, want) {
		t.Errorf("k grid %v, want %v", k.Values, want)
	}
	// 2 sigma × 5 k × 2 n × 3 estimators.
	if got := sw.NumCells(); got != 60 {
		t.Fatalf("NumCells = %d, want 60", got)
	}
	c := sw.Cell(0)
	if want := "estimator=score|dist=normal(mu=1,sigma=0.5)|obj=quadratic(k=-3)|n=1"; c.Key != want {
		t.Errorf("cell 0 key %q, want %q", c.Key, want)
	}
	last := sw.Cell(59)
	if want := "estimator=score2|dist=normal(mu=1,sigma=1)|obj=quadratic(k=3)|n=10"; last.Key != want {
		t.Errorf("last cell key %q, want %q", last.Key, want)
	}
	keys := map[string]bool{}
	for _, c := range sw.Cells() {
		if keys[c.Key] {
			t.Errorf("duplicate key %q", c.Key)
		}
		keys[c.Key] = true
	}
	if err := s.ApplyProfile("quick"); err != nil {
		t.Fatal(err)
	}
	if sw.Replications != 200 || sw.Block != 200 || len(sw.N) != 1 || !equal(sw.Objectives[0].Params[0].Values, []float64{-3, 3}) {
		t.Errorf("after profile: R=%d block=%d n=%v k=%v", sw.Replications, sw.Block, sw.N, sw.Objectives[0].Params[0].Values)
	}
	if err := s.ApplyProfile("slow"); err == nil || !strings.Contains(err.Error(), `unknown profile "slow"`) {
		t.Errorf("unknown profile: %v", err)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLogspace(t *testing.T) {
	s, err := Parse("l.toml", []byte(strings.Replace(spectest.Good, "sigma = [0.5, 1.0]", "sigma = {logspace = [0.01, 100, 5]}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Sweep.Distributions[0].Params[1].Values
	want := []float64{0.01, 0.1, 1, 10, 100}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*want[i] {
			t.Errorf("logspace %v, want %v", got, want)
			break
		}
	}
}

func TestTrain(t *testing.T) {
	src := `name = "t"
seed = 3
[train]
estimators = ["score", "pathwise"]
learning_rate = 0.1
steps = 1000
optimizer = "adam"
[train.distribution]
name = "normal"
mu = 2
[train.objective]
name = "quadratic"
[profile.quick]
steps = 10
`
	s, err := Parse("t.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Train
	if s.Sweep != nil || tr == nil || tr.Steps != 1000 || tr.EvalEvery != 10 || tr.Seeds != 1 || tr.N != 1 ||
		tr.Optimizer != "adam" || tr.Distribution.Params[0].Values[0] != 2 || tr.Distribution.Params[1].Values[0] != 1 {
		t.Fatalf("train %+v", tr)
	}
	if err := s.ApplyProfile("quick"); err != nil || tr.Steps != 10 {
		t.Fatalf("profile: %v, steps %d", err, tr.Steps)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.toml")
	if err := os.WriteFile(path, []byte(spectest.Good), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil || s.File != path || len(s.SHA256) != 64 || s.Text != spectest.Good {
		t.Fatalf("Load: %v", err)
	}
	_, err = Load(filepath.Join(dir, "missing.toml"))
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "missing.toml: no such file") {
		t.Errorf("Load missing: %v", err)
	}
}

func TestParseBad(t *testing.T) {
	if len(spectest.BadSpecs) < 30 {
		t.Fatalf("only %d bad specs", len(spectest.BadSpecs))
	}
	for _, tc := range spectest.BadSpecs {
		t.Run(tc.Name, func(t *testing.T) {
			s, err := Parse("bad.toml", []byte(tc.Src))
			if err == nil {
				t.Fatalf("no error; parsed %+v", s)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if se.File != "bad.toml" || se.Field != tc.Field || se.Line != tc.Line || !strings.Contains(se.Msg, tc.Msg) {
				t.Errorf("got %q (field %q line %d), want field %q line %d message containing %q", err, se.Field, se.Line, tc.Field, tc.Line, tc.Msg)
			}
			if !strings.HasPrefix(err.Error(), "bad.toml:") {
				t.Errorf("message %q does not start with the file", err)
			}
		})
	}
}

func TestAllEstimators(t *testing.T) {
	src := strings.Replace(spectest.Good, `estimators = ["score", "pathwise", {name = "score", label = "score2"}]`, `estimators = ["all"]`, 1)
	s, err := Parse("all.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range s.Sweep.Estimators {
		got = append(got, e.Label)
	}
	if want := estimators.Names(); !slices.Equal(got, want) {
		t.Errorf("all = %v, want %v", got, want)
	}
}

func TestLogParams(t *testing.T) {
	s, err := Parse("train.toml", []byte(spectest.TrainWith("log_params = [\"sigma\"]\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Train.LogParams, []string{"sigma"}) {
		t.Errorf("LogParams = %v", s.Train.LogParams)
	}
}
