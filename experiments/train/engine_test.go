package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
	"gonum.org/v1/gonum/stat/distuv"
)

// blrSpec is a small model spec: BLR on the breast-cancer data with a
// stateless, a stateful and a control-variate estimator, 2 seeds.
func blrSpec(t *testing.T, steps int) *spec.Spec {
	t.Helper()
	data, err := filepath.Abs("../data/breast-cancer/breast_cancer.csv")
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf(`name = "blr-test"
seed = 5

[model]
kind = "blr"
data = %q
estimators = ["pathwise", "score+ma", "delta"]
optimizer = "adam"
learning_rate = 0.01
schedule = "cosine"
steps = %d
batch = 16
n = 4
init_sigma = 0.1
eval_every = 10
variance_draws = 5
objective_samples = 20
seeds = 2
checkpoint_every = 7
`, data, steps)
	s, err := spec.Parse("blr-test.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// toySpec is a [train] spec with a stateful estimator and variance draws.
func toySpec(steps int) *spec.Spec {
	s := quadSpec("adam", "cosine", 0.05, steps, 10, 2, "pathwise", "score+ma", "score")
	s.SHA256, s.Text, s.File = "toy-sha", "toy", "toy.toml"
	s.Train.VarianceDraws = 5
	s.Train.Checkpoint = spec.Checkpoint{Every: 7}
	return s
}

// results returns the files of a finished folder, the seconds column of
// curves.csv blanked (the only timing column).
func results(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	pts, err := store.LoadCurves(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pts {
		pts[i].Seconds = 0
	}
	var b bytes.Buffer
	if err := store.WriteCurves(&b, pts); err != nil {
		t.Fatal(err)
	}
	out[store.CurvesFile] = b.String()
	if data, err := os.ReadFile(filepath.Join(dir, store.MetricsFile)); err == nil {
		out[store.MetricsFile] = string(data)
	}
	return out
}

func sameResults(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: files %d, want %d", what, len(got), len(want))
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%s: %s differs from an uninterrupted run's", what, f)
		}
	}
}

func specByName(t *testing.T, name string) *spec.Spec {
	switch name {
	case "toy":
		return toySpec(60)
	case "blr":
		return blrSpec(t, 60)
	}
	t.Fatalf("no spec %q", name)
	return nil
}

// TestKillHelper is not a test: run by TestKillAndResume in a child
// process, it runs a spec into a folder and kills itself with SIGKILL
// after the given number of checkpoint saves.
func TestKillHelper(t *testing.T) {
	name, dir := os.Getenv("GRADBENCH_KILL_SPEC"), os.Getenv("GRADBENCH_KILL_DIR")
	if name == "" {
		t.Skip("helper process")
	}
	after, _ := strconv.Atoi(os.Getenv("GRADBENCH_KILL_AFTER"))
	label := os.Getenv("GRADBENCH_KILL_LABEL")
	var mu sync.Mutex
	saves := 0
	afterSave = func(id RunID, _ int) {
		mu.Lock()
		defer mu.Unlock()
		if id.Estimator.Label != label {
			return
		}
		if saves++; saves == after {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	_, err := RunSpec(context.Background(), specByName(t, name), Options{Dir: dir, Workers: 2, Resume: os.Getenv("GRADBENCH_KILL_RESUME") != ""})
	t.Fatalf("not killed: %v", err)
}

// kill runs spec name into dir in a child process killed with SIGKILL
// after `after` checkpoint saves of runs of the estimator label.
func kill(t *testing.T, name, dir, label string, after int, resume bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
	cmd.Env = append(os.Environ(), "GRADBENCH_KILL_SPEC="+name, "GRADBENCH_KILL_DIR="+dir,
		"GRADBENCH_KILL_AFTER="+strconv.Itoa(after), "GRADBENCH_KILL_LABEL="+label)
	if resume {
		cmd.Env = append(cmd.Env, "GRADBENCH_KILL_RESUME=1")
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, store.MetaFile)); err == nil {
		t.Fatalf("the killed child finished %s", dir)
	}
}

// TestKillAndResume kills a [train] and a [model] run with SIGKILL twice
// (after the stateful score+ma runs saved checkpoints mid-run, then again
// while resuming, after the third estimator's did) and resumes it: the
// results equal an uninterrupted run's bit for bit (seconds aside), and
// meta.json records the three segments. Every part of a checkpoint matters:
// leaving out the estimator's state or a random stream fails the test.
func TestKillAndResume(t *testing.T) {
	for _, name := range []string{"toy", "blr"} {
		t.Run(name, func(t *testing.T) {
			want := t.TempDir()
			if _, err := RunSpec(context.Background(), specByName(t, name), Options{Dir: want, Workers: 1}); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "out")
			third := map[string]string{"toy": "score", "blr": "delta"}[name]
			kill(t, name, dir, "score+ma", 3, false)
			kill(t, name, dir, third, 3, true)
			var progress bytes.Buffer
			res, err := RunSpec(context.Background(), specByName(t, name), Options{Dir: dir, Workers: 2, Resume: true, Progress: &progress})
			if err != nil {
				t.Fatal(err)
			}
			if res.Resumed == 0 || !strings.Contains(progress.String(), "resumed at step") {
				t.Errorf("nothing resumed (%+v):\n%s", res, progress.String())
			}
			sameResults(t, name, results(t, dir), results(t, want))
			meta, err := store.LoadMeta(dir)
			if err != nil {
				t.Fatal(err)
			}
			x, _ := Prepare(specByName(t, name))
			total := 0
			for _, s := range meta.Segments {
				total += s.Steps
			}
			// Steps after a run's last checkpoint are redone, so the
			// segments count at least every step once.
			if len(meta.Segments) != 3 || total < len(x.Runs)*x.steps {
				t.Errorf("segments %+v: want 3 covering %d runs of %d steps", meta.Segments, len(x.Runs), x.steps)
			}
			if _, err := os.Stat(filepath.Join(dir, CheckpointDir)); err == nil {
				t.Errorf("%s left behind", CheckpointDir)
			}
		})
	}
}

// TestResumeRefusesForeign resumes folders written by other specs or
// profiles: one clear error wrapping ErrConflict, and nothing changes.
func TestResumeRefusesForeign(t *testing.T) {
	ctx := context.Background()
	unfinished := filepath.Join(t.TempDir(), "out")
	kill(t, "toy", unfinished, "pathwise", 3, false)
	finished := t.TempDir()
	if _, err := RunSpec(ctx, toySpec(20), Options{Dir: finished}); err != nil {
		t.Fatal(err)
	}
	profile := toySpec(60)
	profile.Profile = "quick"
	for _, tc := range []struct {
		name, dir string
		s         *spec.Spec
		want      string
	}{
		{"unfinished, model spec", unfinished, blrSpec(t, 60), "a train experiment"},
		{"unfinished, other profile", unfinished, profile, `profile ""`},
		{"finished, other spec", finished, blrSpec(t, 20), "a train experiment"},
		{"finished, other sha", finished, func() *spec.Spec { s := toySpec(20); s.SHA256 = "other"; return s }(), "another spec"},
	} {
		before, _ := os.ReadFile(filepath.Join(tc.dir, store.MetaFile))
		_, err := RunSpec(ctx, tc.s, Options{Dir: tc.dir, Resume: true})
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%s: error %v, want one line wrapping ErrConflict that mentions %q", tc.name, err, tc.want)
		}
		after, _ := os.ReadFile(filepath.Join(tc.dir, store.MetaFile))
		if !bytes.Equal(before, after) {
			t.Errorf("%s: meta.json changed", tc.name)
		}
	}
	// Without -resume, even the same spec is refused.
	if _, err := RunSpec(ctx, toySpec(20), Options{Dir: finished}); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "already holds results") {
		t.Errorf("run into a finished folder: %v", err)
	}
	if _, err := RunSpec(ctx, toySpec(60), Options{Dir: unfinished}); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "-resume") {
		t.Errorf("run into an unfinished folder: %v", err)
	}
	// The same spec resumes a finished folder as a no-op.
	if res, err := RunSpec(ctx, toySpec(20), Options{Dir: finished, Resume: true}); err != nil || !res.Finished {
		t.Errorf("resume of a finished folder: %+v, %v", res, err)
	}
}

// TestShardsMergeEqualSingleRun splits a model spec's 6 runs into 4
// shards (uneven), merges them and compares with a single run.
func TestShardsMergeEqualSingleRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	single := t.TempDir()
	if _, err := RunSpec(ctx, blrSpec(t, 30), Options{Dir: single}); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	var dirs []string
	for i := range 4 {
		d := filepath.Join(base, fmt.Sprintf("shard-%d", i))
		res, err := RunSpec(ctx, blrSpec(t, 30), Options{Dir: d, Shard: i, Shards: 4, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{2, 2, 1, 1}[i]; res.Runs != want {
			t.Errorf("shard %d/4 ran %d runs, want %d", i, res.Runs, want)
		}
		dirs = append(dirs, d)
	}
	// Merge refuses an incomplete or repeated set of shards.
	for _, bad := range [][]string{dirs[:3], {dirs[0], dirs[1], dirs[2], dirs[2]}} {
		if _, err := Merge(filepath.Join(base, "bad"), bad); err == nil {
			t.Errorf("Merge(%v) accepted", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "bad")); err == nil {
		t.Errorf("a refused merge created its folder")
	}
	merged := filepath.Join(base, "merged")
	if _, err := Merge(merged, dirs); err != nil {
		t.Fatal(err)
	}
	sameResults(t, "merged shards", results(t, merged), results(t, single))
	m, err := store.LoadMeta(merged)
	if err != nil || m.Shard != "" || m.Kind != store.KindModel || len(m.Segments) != 4 {
		t.Errorf("merged meta.json %+v, %v", m, err)
	}
	if _, err := Merge(merged, dirs); !errors.Is(err, ErrConflict) {
		t.Errorf("merge into a merged folder: %v", err)
	}
}

// TestSecondWriterRefused holds a folder's lock as another run would: Run
// fails at once with an error naming the holder.
func TestSecondWriterRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := store.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = RunSpec(context.Background(), toySpec(20), Options{Dir: dir})
	if !errors.Is(err, ErrConflict) || !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second writer: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the refused run wrote into the folder: %v", entries)
	}
}

// mnistSpec is a small VAE spec of the given kind.
func mnistSpec(t *testing.T, kind string) *spec.Spec {
	t.Helper()
	text := `name = "crn"
seed = 3

[model]
kind = "` + kind + `"
estimators = ["arm", "disarm", {name = "score+loo", n = 2}]
optimizer = "adam"
learning_rate = 1e-3
prior_learning_rate = 1e-2
layers = "linear"
steps = 6
batch = 4
n = 1
latent = 8
eval_every = 3
variance_draws = 2
objective_samples = 2
train_images = 10
test_images = 10
seeds = 2
`
	if kind == "vae-gaussian" {
		text = strings.Replace(text, `["arm", "disarm", {name = "score+loo", n = 2}]`, `["pathwise", "score", {name = "score+loo", n = 2}]`, 1)
		text = strings.Replace(text, "prior_learning_rate = 1e-2\nlayers = \"linear\"\n", "hidden = 8\n", 1)
		text = strings.Replace(text, "variance_draws = 2\n", "", 1)
	}
	s, err := spec.Parse("crn.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCommonRandomNumbers records a hash of every step's minibatch (the
// examples for blr, the binarised images for the VAEs) in every run: within
// a seed, every estimator's runs see the same minibatches; the seeds
// differ. Their evaluations at step 0, before any estimator acted, agree.
func TestCommonRandomNumbers(t *testing.T) {
	specs := []*spec.Spec{blrSpec(t, 12)}
	if !testing.Short() {
		specs = append(specs, mnistSpec(t, "vae-bernoulli"), mnistSpec(t, "vae-gaussian"))
	}
	for _, s := range specs {
		t.Run(s.Model.Kind, func(t *testing.T) {
			var mu sync.Mutex
			hashes := map[int][]uint64{}
			stepHook = func(id RunID, _ int, m Model) {
				mu.Lock()
				defer mu.Unlock()
				hashes[id.Index] = append(hashes[id.Index], m.(interface{ batchHash() uint64 }).batchHash())
			}
			defer func() { stepHook = nil }()
			x, err := Prepare(s)
			if err != nil {
				t.Fatal(err)
			}
			res, err := x.execute(context.Background(), x.Runs, nil, Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			first := map[int]RunID{}
			for _, id := range x.Runs {
				h := hashes[id.Index]
				if len(h) != x.steps {
					t.Fatalf("%s: %d steps recorded, want %d", id, len(h), x.steps)
				}
				f, ok := first[id.Seed]
				if !ok {
					first[id.Seed] = id
					continue
				}
				if !slices.Equal(h, hashes[f.Index]) {
					t.Errorf("%s and %s saw different minibatches", id, f)
				}
				a, b := res[id.Index].Metrics, res[f.Index].Metrics
				for k := range a {
					same := a[k].Value == b[k].Value || (math.IsNaN(a[k].Value) && math.IsNaN(b[k].Value))
					if a[k].Step == 0 && a[k].Name != "var_enc" && a[k].Name != "var_mu" && a[k].Name != "var_logs" && !same {
						t.Errorf("%s and %s: %s at step 0: %v and %v", id, f, a[k].Name, a[k].Value, b[k].Value)
					}
				}
			}
			if slices.Equal(hashes[first[0].Index], hashes[first[1].Index]) {
				t.Errorf("seeds 0 and 1 saw the same minibatches")
			}
		})
	}
}

// TestProbesDisARMBelowARM compares DisARM and ARM at shared parameters
// along a short DisARM trajectory of a small Bernoulli VAE (probe_draws
// 400 at 5 checkpoints). DisARM is ARM Rao-Blackwellised, so its variance
// is never larger: the test fails if, at some checkpoint, DisARM's
// interval lies wholly above ARM's, with intervals at level 1 − 0.01/(2·5)
// rebuilt from the stored 95% ones (Student t, 9 degrees of freedom), so
// its false-alarm rate is at most 1% (Bonferroni over the checkpoints and
// both one-sided misses). It also checks that only the reference run
// trains and every estimator is probed at each of its checkpoints.
func TestProbesDisARMBelowARM(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	text := `name = "probe"
seed = 11

[model]
kind = "vae-bernoulli"
estimators = ["disarm", "arm"]
optimizer = "adam"
learning_rate = 1e-3
steps = 40
batch = 8
n = 1
latent = 12
eval_every = 10
objective_samples = 2
train_images = 10
test_images = 10
probe_draws = 400
seeds = 1
`
	s, err := spec.Parse("probe.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	x, err := Prepare(s)
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.execute(context.Background(), x.Runs, nil, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		label string
		step  int
	}
	v := map[key][3]float64{}
	for _, m := range res[0].Metrics {
		k := key{m.Estimator, m.Step}
		e := v[k]
		switch m.Name {
		case "probe_var_enc":
			e[0] = m.Value
		case "probe_var_enc_lo":
			e[1] = m.Value
		case "probe_var_enc_hi":
			e[2] = m.Value
		}
		v[k] = e
	}
	if len(res) != 1 || res[0].ID.Estimator.Label != "disarm" {
		t.Fatalf("%d runs, want the disarm trajectory only", len(res))
	}
	t95 := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: 9}.Quantile(0.975)
	tk := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: 9}.Quantile(1 - 0.01/(2*5))
	steps := 0
	for step := 0; step <= 40; step += 10 {
		d, a := v[key{"disarm", step}], v[key{"arm", step}]
		if !(d[0] > 0 && a[0] > 0) {
			t.Fatalf("step %d: probes disarm %v, arm %v", step, d, a)
		}
		dLo := d[0] - (d[2]-d[0])/t95*tk
		aHi := a[0] + (a[2]-a[0])/t95*tk
		t.Logf("step %d: disarm %.4g [%.4g, %.4g], arm %.4g [%.4g, %.4g]", step, d[0], d[1], d[2], a[0], a[1], a[2])
		if dLo > aHi {
			t.Errorf("step %d: DisARM's variance %.4g (lower end %.4g) is above ARM's %.4g (upper end %.4g)", step, d[0], dLo, a[0], aHi)
		}
		steps++
	}
	if steps != 5 || len(v) != 10 {
		t.Errorf("%d probe points, want 2 estimators × 5 checkpoints", len(v))
	}
}
