package spec

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const good = `name = "fig2-quadratic"
description = "test"
seed = 1

[sweep]
estimators = ["score", "pathwise", {name = "score", label = "score2"}]
n = [1, 10]
replications = 2000

[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = [0.5, 1.0]

[[sweep.objectives]]
name = "quadratic"
k = { linspace = [-3.0, 3.0, 5] }

[profile.quick]
replications = 200
points = 2
n = [1]

[plot]
recipe = "variance"
x = "obj.k"
log_y = true
`

func TestParseGood(t *testing.T) {
	s, err := Parse("good.toml", []byte(good))
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
	s, err := Parse("l.toml", []byte(strings.Replace(good, "sigma = [0.5, 1.0]", "sigma = {logspace = [0.01, 100, 5]}", 1)))
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
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil || s.File != path || len(s.SHA256) != 64 || s.Text != good {
		t.Fatalf("Load: %v", err)
	}
	_, err = Load(filepath.Join(dir, "missing.toml"))
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "missing.toml: no such file") {
		t.Errorf("Load missing: %v", err)
	}
}

// BadSpecs are malformed specs, each with the field and line its error must
// name and a fragment of the message. The CLI tests reuse them.
var BadSpecs = []struct {
	Name, Src, Field string
	Line             int
	Msg              string
}{
	{"bad toml", "name = \"x\"\nseed = \n", "seed", 2, "expected value"},
	{"unterminated string", "name = \"x\nseed = 1\n", "name", 1, "newline"},
	{"duplicate key", "name = \"x\"\nname = \"y\"\n", "name", 2, "already"},
	{"unknown top key", "name = \"x\"\nseed = 1\ncolour = 2\n[sweep]\n", "colour", 3, "unknown key"},
	{"missing name", "seed = 1\n", "name", 0, "missing"},
	{"bad name", "name = \"Fig 2\"\nseed = 1\n", "name", 1, "lower-case"},
	{"name wrong type", "name = 3\nseed = 1\n", "name", 1, "want a string"},
	{"missing seed", "name = \"x\"\n", "seed", 0, "missing"},
	{"negative seed", "name = \"x\"\nseed = -1\n", "seed", 2, "non-negative"},
	{"float seed", "name = \"x\"\nseed = 1.5\n", "seed", 2, "non-negative integer"},
	{"neither", "name = \"x\"\nseed = 1\n", "", 0, "[sweep] or a [train]"},
	{"both", "name = \"x\"\nseed = 1\n[sweep]\n[train]\n", "train", 4, "not both"},
	{"sweep not table", "name = \"x\"\nseed = 1\nsweep = 3\n", "sweep", 3, "want a table"},
	{"unknown sweep key", sweepWith("repetitions = 3\n"), "sweep.repetitions", 8, "unknown key"},
	{"unknown estimator", strings.Replace(base, `"score"`, `"scor"`, 1), "sweep.estimators[0]", 4, `unknown estimator "scor"`},
	{"estimator wrong type", strings.Replace(base, `["score"]`, `[3]`, 1), "sweep.estimators[0]", 4, "want an estimator name"},
	{"no estimators", strings.Replace(base, `["score"]`, `[]`, 1), "sweep.estimators", 4, "no estimators"},
	{"unknown option", sweepWith("[sweep.options.score]\nfoo = 1\n"), "sweep.options.score", 8, "takes no options"},
	{"options for missing label", sweepWith("[sweep.options.mvd]\ncoupled = true\n"), "sweep.options.mvd", 8, "no estimator labelled"},
	{"duplicate label", strings.Replace(base, `["score"]`, `["score", "score"]`, 1), "sweep.estimators[1]", 4, "duplicate estimator label"},
	{"duplicate label table", sweepWith("[[sweep.estimator]]\nname = \"pathwise\"\nlabel = \"score\"\n"), "sweep.estimator[0]", 8, "duplicate"},
	{"unknown distribution", strings.Replace(base, `"normal"`, `"gauss"`, 1), "sweep.distributions[0].name", 9, `unknown distribution "gauss"`},
	{"unknown objective", strings.Replace(base, `"quadratic"`, `"cubic"`, 1), "sweep.objectives[0].name", 14, `unknown objective "cubic"`},
	{"unknown dist param", strings.Replace(base, "mu = 1.0", "m = 1.0", 1), "sweep.distributions[0].m", 10, "unknown key"},
	{"sigma zero", strings.Replace(base, "sigma = [0.5, 1.0]", "sigma = [0.5, 0.0]", 1), "sweep.distributions[0].sigma", 11, "sigma"},
	{"sigma negative in linspace", strings.Replace(base, "sigma = [0.5, 1.0]", "sigma = {linspace = [-1.0, 1.0, 3]}", 1), "sweep.distributions[0].sigma", 11, "sigma = -1"},
	{"gamma shape out of range", strings.Replace(base, "name = \"normal\"\nmu = 1.0\nsigma = [0.5, 1.0]", "name = \"gamma\"\nalpha = [1, -2]", 1), "sweep.distributions[0].alpha", 10, "alpha"},
	{"nan", strings.Replace(base, "mu = 1.0", "mu = nan", 1), "sweep.distributions[0].mu", 10, "finite"},
	{"inf objective", strings.Replace(base, "k = { linspace = [-3.0, 3.0, 5] }", "k = inf", 1), "sweep.objectives[0].k", 15, "finite"},
	{"param wrong type", strings.Replace(base, "mu = 1.0", "mu = \"one\"", 1), "sweep.distributions[0].mu", 10, "want a number"},
	{"empty grid", strings.Replace(base, "sigma = [0.5, 1.0]", "sigma = []", 1), "sweep.distributions[0].sigma", 11, "empty"},
	{"zero-point linspace", strings.Replace(base, "[-3.0, 3.0, 5]", "[-3.0, 3.0, 0]", 1), "sweep.objectives[0].k.linspace", 15, "points"},
	{"linspace wrong arity", strings.Replace(base, "[-3.0, 3.0, 5]", "[-3.0, 3.0]", 1), "sweep.objectives[0].k.linspace", 15, "[start, end, points]"},
	{"unknown grid kind", strings.Replace(base, "linspace", "range", 1), "sweep.objectives[0].k.range", 15, "unknown grid kind"},
	{"logspace non-positive", strings.Replace(base, "linspace = [-3.0, 3.0, 5]", "logspace = [0.0, 3.0, 5]", 1), "sweep.objectives[0].k.logspace", 15, "not exponents"},
	{"n zero", strings.Replace(base, "n = [1]", "n = [0]", 1), "sweep.n", 5, "≥ 1"},
	{"n empty", strings.Replace(base, "n = [1]", "n = []", 1), "sweep.n", 5, "empty"},
	{"n float", strings.Replace(base, "n = [1]", "n = [1.5]", 1), "sweep.n", 5, "integer"},
	{"R one", strings.Replace(base, "replications = 100", "replications = 1", 1), "sweep.replications", 6, "≥ 2"},
	{"R missing", strings.Replace(base, "replications = 100\n", "", 1), "sweep.replications", 3, "missing"},
	{"block zero", sweepWith("block = 0\n"), "sweep.block", 8, "≥ 1"},
	{"unknown reference", sweepWith("reference = \"exact\"\n"), "sweep.reference", 8, "want one of"},
	{"no distributions", strings.Replace(base, "[[sweep.distributions]]\nname = \"normal\"\nmu = 1.0\nsigma = [0.5, 1.0]\n", "", 1), "sweep.distributions", 3, "missing"},
	{"missing dist name", strings.Replace(base, "name = \"normal\"\n", "", 1), "sweep.distributions[0].name", 8, "missing name"},
	{"absurd cells", strings.Replace(strings.Replace(base, "[-3.0, 3.0, 5]", "[-3.0, 3.0, 100000]", 1), "[0.5, 1.0]", "{linspace = [0.5, 1.0, 100]}", 1), "sweep", 3, "cells"},
	{"absurd samples", strings.Replace(base, "replications = 100", "replications = 1000000000000", 1), "sweep.replications", 6, "samples"},
	{"integer param", strings.Replace(base, "name = \"quadratic\"\nk = { linspace = [-3.0, 3.0, 5] }", "name = \"table\"\nsize = 2.5", 1), "sweep.objectives[0].size", 15, "integer"},
	{"unknown profile key", base + "[profile.quick]\nreplicas = 3\n", "profile.quick.replicas", 17, "unknown key"},
	{"profile bad R", base + "[profile.quick]\nreplications = 1\n", "profile.quick.replications", 17, "≥ 2"},
	{"plot unknown key", base + "[plot]\nrecipe = \"variance\"\ncolour = \"red\"\n", "plot.colour", 18, "unknown key"},
	{"plot missing recipe", base + "[plot]\nx = \"obj.k\"\n", "plot.recipe", 16, "missing"},
	{"plot wrong type", base + "[plot]\nrecipe = \"variance\"\nlog_y = 1\n", "plot.log_y", 18, "true or false"},
	{"train unknown optimizer", trainWith("optimizer = \"rmsprop\"\n"), "train.optimizer", 7, "want one of"},
	{"train missing steps", strings.Replace(trainWith(""), "steps = 10\n", "", 1), "train.steps", 3, "missing"},
	{"train lr zero", strings.Replace(trainWith(""), "learning_rate = 0.1", "learning_rate = 0.0", 1), "train.learning_rate", 5, "> 0"},
	{"train grid", strings.Replace(trainWith(""), "mu = 1.0", "mu = [1.0, 2.0]", 1), "train.distribution.mu", 9, "one value"},
	{"train bad sigma", strings.Replace(trainWith(""), "mu = 1.0", "sigma = -1.0", 1), "train.distribution.sigma", 9, "sigma"},
	{"train missing objective", strings.Replace(trainWith(""), "[train.objective]\nname = \"quadratic\"\n", "", 1), "train.objective", 3, "missing"},
	{"train profile sweep key", trainWith("") + "[profile.quick]\nreplications = 3\n", "profile.quick.replications", 13, "unknown key"},
}

const base = `name = "bad"
seed = 1
[sweep]
estimators = ["score"]
n = [1]
replications = 100

[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = [0.5, 1.0]

[[sweep.objectives]]
name = "quadratic"
k = { linspace = [-3.0, 3.0, 5] }
`

// sweepWith inserts lines into the [sweep] table of base (at line 9).
func sweepWith(lines string) string {
	return strings.Replace(base, "replications = 100\n\n", "replications = 100\n\n"+lines, 1)
}

func trainWith(lines string) string {
	return `name = "bad"
seed = 1
[train]
estimators = ["score"]
learning_rate = 0.1
steps = 10
` + lines + `[train.distribution]
name = "normal"
mu = 1.0
[train.objective]
name = "quadratic"
`
}

func TestParseBad(t *testing.T) {
	if len(BadSpecs) < 30 {
		t.Fatalf("only %d bad specs", len(BadSpecs))
	}
	for _, tc := range BadSpecs {
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
