package spec_test

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/figure" // registers its [plot] check
	"github.com/gradbench/gradbench/experiments/optim"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/spec/spectest"
)

// parseErr parses src and returns its *spec.Error (nil if it parses).
func parseErr(t *testing.T, src string) *spec.Error {
	t.Helper()
	_, err := spec.Parse("t.toml", []byte(src))
	var se *spec.Error
	if err != nil && !errors.As(err, &se) {
		t.Fatalf("error %T %v, want *spec.Error", err, err)
	}
	return se
}

// wantErr checks that src fails at field and line with a message
// containing msg.
func wantErr(t *testing.T, src, field string, line int, msg string) {
	t.Helper()
	se := parseErr(t, src)
	if se == nil {
		t.Fatalf("parsed; want an error at %s containing %q", field, msg)
	}
	if se.Field != field || se.Line != line || !strings.Contains(se.Msg, msg) {
		t.Errorf("error %q (field %q, line %d), want field %q, line %d and %q", se, se.Field, se.Line, field, line, msg)
	}
}

// TestEstimatorListSpelling checks the one spelling of an estimator list,
// names and inline tables, in every section that has one, and that the
// two others of earlier versions are errors naming it.
func TestEstimatorListSpelling(t *testing.T) {
	list := `estimators = ["score", { name = "mvd", label = "mvd-uncoupled", options = { coupled = false } }]`
	for _, base := range []string{spectest.Base, spectest.TrainWith(""), spectest.ModelWith("")} {
		section := strings.TrimSuffix(strings.SplitN(strings.SplitN(base, "\n[", 2)[1], "]", 2)[0], "]")
		first := strings.SplitN(strings.SplitN(base, "estimators = ", 2)[1], "\n", 2)[0]
		src := strings.Replace(base, "estimators = "+first, list, 1)
		s, err := spec.Parse("t.toml", []byte(src))
		if err != nil {
			t.Fatalf("[%s] %s: %v", section, list, err)
		}
		var es []spec.Estimator
		switch {
		case s.Sweep != nil:
			es = s.Sweep.Estimators
		case s.Train != nil:
			es = s.Train.Estimators
		default:
			es = s.Model.Estimators
		}
		if len(es) != 2 || es[1].Label != "mvd-uncoupled" || es[1].Options["coupled"] != "false" {
			t.Errorf("[%s] estimators %+v", section, es)
		}
		lines := strings.Count(base, "\n")
		tables := base + fmt.Sprintf("[[%s.estimator]]\nname = \"mvd\"\n", section)
		wantErr(t, tables, section+".estimator", lines+1, "list every estimator in "+section+".estimators, e.g. estimators = [")
		options := base + fmt.Sprintf("[%s.options.score]\ncoupled = false\n", section)
		wantErr(t, options, section+".options", lines+1, "give an estimator's options in its entry of "+section+".estimators, e.g. estimators = [")
	}
}

// TestTakesNoOptions checks that an option given to an estimator is judged
// by the registry (estimators.OptionNames), not by an error's text: every
// estimator without options says so, every other one names the unknown
// option and the known ones.
func TestTakesNoOptions(t *testing.T) {
	for _, name := range estimators.Names() {
		names, err := estimators.OptionNames(name)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.Replace(spectest.Base, `["score"]`, fmt.Sprintf(`[{name = %q, options = {no_such_option = 1}}]`, name), 1)
		se := parseErr(t, src)
		switch {
		case se == nil:
			t.Errorf("%s: an unknown option parses", name)
		case len(names) == 0 && se.Msg != "estimator "+name+" takes no options":
			t.Errorf("%s (no options): %q", name, se.Msg)
		case len(names) > 0 && (!strings.Contains(se.Msg, `unknown option "no_such_option"`) || !strings.Contains(se.Msg, names[0])):
			t.Errorf("%s (options %v): %q", name, names, se.Msg)
		}
	}
	if _, err := estimators.OptionNames("no-such-estimator"); err == nil {
		t.Error("OptionNames of an unknown estimator: no error")
	}
}

// TestVocabulariesFromOwners checks that every name the owning packages
// know is accepted, and that an unknown one is refused with their names.
func TestVocabulariesFromOwners(t *testing.T) {
	accept := func(src string) {
		t.Helper()
		if _, err := spec.Parse("t.toml", []byte(src)); err != nil {
			t.Error(err)
		}
	}
	train := spectest.TrainWith
	model := func(line string) string { return spectest.ModelWith(line + "\n") }
	for _, name := range optim.Optimizers {
		accept(train(fmt.Sprintf("optimizer = %q\n", name)))
		accept(model(fmt.Sprintf("optimizer = %q", name)))
	}
	for _, name := range optim.Schedules {
		accept(train(fmt.Sprintf("schedule = %q\n", name)))
		accept(model(fmt.Sprintf("schedule = %q", name)))
	}
	for _, m := range append(reference.Methods(), reference.MethodAuto) {
		accept(strings.Replace(spectest.Base, "replications = 100\n", fmt.Sprintf("replications = 100\nreference = %q\n", m), 1))
	}
	plot := func(lines string) string { return spectest.Base + "[plot]\nx = \"obj.k\"\n" + lines }
	for _, name := range figure.Recipes {
		if name != "curves" {
			accept(plot(fmt.Sprintf("recipe = %q\n", name)))
		}
		accept(train("") + fmt.Sprintf("[plot]\nrecipe = %q\n", name))
	}
	for _, name := range figure.Metrics() {
		accept(plot(fmt.Sprintf("recipe = \"variance\"\nmetric = %q\n", name)))
	}
	for _, name := range reference.ExactCurves {
		accept(plot(fmt.Sprintf("recipe = \"variance\"\nexact = %q\n", name)))
	}
	for _, name := range spec.ModelKinds {
		src := strings.Replace(spectest.ModelWith(""), `"blr"`, fmt.Sprintf("%q", name), 1)
		if name != "blr" {
			src = strings.Replace(src, "data = \"d.csv\"\n", "", 1)
		}
		accept(src)
	}
	for src, want := range map[string]string{
		train("optimizer = \"rmsprop\"\n"):                   strings.Join(optim.Optimizers, ", "),
		model(`schedule = "linear"`):                         strings.Join(optim.Schedules, ", "),
		plot("recipe = \"pie\"\n"):                           strings.Join(figure.Recipes, ", "),
		plot("recipe = \"variance\"\nmetric = \"median\"\n"): strings.Join(figure.Metrics(), ", "),
		plot("recipe = \"variance\"\nexact = \"closed\"\n"):  strings.Join(reference.ExactCurves, ", "),
	} {
		if se := parseErr(t, src); se == nil || !strings.Contains(se.Msg, want) {
			t.Errorf("error %v, want one listing %s", se, want)
		}
	}
}

// TestPlotCheckedAtParse checks that every key of [plot] that gradbench
// plot would refuse is an error of parsing, naming its field and line.
func TestPlotCheckedAtParse(t *testing.T) {
	const head = "[plot]\nrecipe = \"variance\"\nx = \"obj.k\"\n" // lines 16–18 of Base + head
	for _, tc := range []struct {
		lines, field string
		line         int
		msg          string
	}{
		{"", "", 0, ""},
		{"params = [\"mu\", \"sigma\"]\ny_ranges = { sigma = [0.1, 10] }\nmetric = \"var_x_evals\"\nexact = \"persample\"\n", "", 0, ""},
		{"metric = \"median\"\n", "plot.metric", 19, `unknown plot metric "median"`},
		{"exact = \"closed\"\n", "plot.exact", 19, `"closed": want one of persample`},
		{"metric = \"snr\"\nexact = \"persample\"\n", "plot.exact", 20, "exact curves are drawn for the metrics variance and var_x_evals, not snr"},
		{"params = [\"mu\", \"tau\"]\n", "plot.params[1]", 19, `"tau": not a gradient component of the sweep's distributions (mu, sigma)`},
		{"y_ranges = { tau = [1, 2] }\n", "plot.y_ranges.tau", 19, `"tau": not a gradient component`},
		{"params = \"mu\"\n", "plot.params", 19, "want an array"},
		{"title = 3\n", "plot.title", 19, "want a string"},
	} {
		src := spectest.Base + head + tc.lines
		if tc.field == "" {
			if se := parseErr(t, src); se != nil {
				t.Errorf("%q: %v", tc.lines, se)
			}
			continue
		}
		wantErr(t, src, tc.field, tc.line, tc.msg)
	}
	for _, tc := range []struct{ replace, field, msg string }{
		{`recipe = "variance"`, "plot.recipe", `unknown plot recipe "pie"`},
		{`x = "obj.k"`, "plot.x", `"obj.q": not a column of the sweep's cells (want one of n, replications, dist.mu, dist.sigma, obj.k)`},
	} {
		bad := map[string]string{"plot.recipe": `recipe = "pie"`, "plot.x": `x = "obj.q"`}[tc.field]
		wantErr(t, spectest.Base+strings.Replace(head, tc.replace, bad, 1), tc.field, map[string]int{"plot.recipe": 17, "plot.x": 18}[tc.field], tc.msg)
	}
	wantErr(t, spectest.Base+"[plot]\nrecipe = \"variance\"\n", "plot.x", 16, `missing: the x column`)
	wantErr(t, spectest.Base+"[plot]\nrecipe = \"curves\"\nx = \"n\"\n", "plot.recipe", 17, "the recipe of training specs")
	wantErr(t, spectest.ModelWith("[plot]\nrecipe = \"curves\"\n"), "plot", 9, "remove [plot]")
}

// TestUnknownKeyLines checks that unknown keys, wherever they are, are
// errors at their line, case included (package toml itself matches keys
// to fields ignoring case).
func TestUnknownKeyLines(t *testing.T) {
	twoDists := strings.Replace(spectest.Base, "[[sweep.objectives]]", "[[sweep.distributions]]\nname = \"normal\"\nsgima = 2\n\n[[sweep.objectives]]", 1)
	for _, tc := range []struct {
		src, field string
		line       int
		msg        string
	}{
		{"Name = \"x\"\nseed = 1\n", "Name", 1, "unknown key in the top level (known: name, description, seed, sweep, train, model, plot, profile)"},
		{strings.Replace(spectest.Base, "replications = 100", "Replications = 100", 1), "sweep.Replications", 6, "unknown key in [sweep]"},
		{twoDists, "sweep.distributions[1].sgima", 15, "unknown key (known: name, mu, sigma)"},
		{spectest.Base + "[profile.quick]\nsteps = 3\n", "profile.quick.steps", 17, "unknown key in [profile.quick] (known: replications, points, block, reference_samples, n)"},
		{spectest.Base + "[plot.extra]\nx = 1\n", "plot.extra", 16, "unknown key in [plot]"},
		{"a.b = 1\nname = \"x\"\nseed = 1\n", "a", 1, "unknown key in the top level"},
	} {
		wantErr(t, tc.src, tc.field, tc.line, tc.msg)
	}
}

// TestLoadData checks a model's data file: resolved against the spec's
// folder, checked to exist and be a readable regular .csv file, and never
// read into an error.
func TestLoadData(t *testing.T) {
	dir := t.TempDir()
	write := func(path, text string) string {
		t.Helper()
		path = filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const secret = "SECRET-6f1c9 the first line of a private file"
	write("specs/data/d.csv", "2,1,a,b\n")
	write("specs/secret.txt", secret+"\n")
	write("specs/secret.csv/x", "")
	load := func(data string) error {
		t.Helper()
		path := write("specs/m.toml", strings.Replace(spectest.ModelWith(""), `"d.csv"`, fmt.Sprintf("%q", data), 1))
		_, err := spec.Load(path)
		return err
	}
	if err := load("data/d.csv"); err != nil {
		t.Errorf("data relative to the spec's folder: %v", err)
	}
	if err := load(filepath.Join(dir, "specs", "data", "d.csv")); err != nil {
		t.Errorf("absolute data path: %v", err)
	}
	shadow, _ := os.ReadFile("/etc/shadow")
	for data, want := range map[string]string{
		"d.csv":       "no such file or directory (relative to the spec's folder: " + filepath.Join(dir, "specs", "d.csv") + ")",
		"secret.txt":  "want a .csv file",
		"secret.csv":  "not a regular file",
		"/etc/shadow": "want a .csv file",
	} {
		err := load(data)
		var se *spec.Error
		if !errors.As(err, &se) || se.Field != "model.data" || se.Line != 8 || !strings.Contains(se.Msg, want) {
			t.Errorf("data = %q: %v, want model.data at line 8: %s", data, err, want)
			continue
		}
		for _, line := range append(strings.Split(string(shadow), "\n"), secret) {
			if len(line) > 4 && strings.Contains(err.Error(), line) {
				t.Errorf("data = %q: the error shows the file's contents: %v", data, err)
			}
		}
	}
	// Parse reads no file.
	if _, err := spec.Parse("m.toml", []byte(spectest.ModelWith(""))); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

// TestSizeLimit checks that a spec of more than 1 MiB is refused with a
// clear error, and one of exactly 1 MiB is not.
func TestSizeLimit(t *testing.T) {
	dir := t.TempDir()
	pad := func(n int) []byte {
		b := []byte(spectest.Base + "#")
		return append(b, strings.Repeat("x", n-len(b)-1)+"\n"...)
	}
	for n, ok := range map[int]bool{spec.MaxSpecBytes: true, spec.MaxSpecBytes + 1: false} {
		path := filepath.Join(dir, fmt.Sprint(n)+".toml")
		if err := os.WriteFile(path, pad(n), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := spec.Load(path)
		_, perr := spec.Parse(path, pad(n))
		switch {
		case ok && (err != nil || perr != nil):
			t.Errorf("%d bytes: %v, %v", n, err, perr)
		case !ok && (err == nil || !strings.Contains(err.Error(), "1048577 bytes: a spec may have at most 1 MiB")):
			t.Errorf("%d bytes: Load: %v", n, err)
		case !ok && (perr == nil || !strings.Contains(perr.Error(), "at most 1 MiB")):
			t.Errorf("%d bytes: Parse: %v", n, perr)
		}
	}
}

// TestErrorFileRelative checks that errors name a spec below the working
// directory relative to it, and others as given.
func TestErrorFileRelative(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sub", "bad.toml")
	if err := os.WriteFile(path, []byte("name = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for arg, want := range map[string]string{path: "sub/bad.toml:", "./sub/../sub/bad.toml": "sub/bad.toml:"} {
		if _, err := spec.Load(arg); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Load(%q): %v, want an error starting %q", arg, err, want)
		}
	}
	t.Chdir(filepath.Join(dir, "sub"))
	if _, err := spec.Load("../sub/bad.toml"); err == nil || !strings.HasPrefix(err.Error(), "bad.toml:") {
		t.Errorf("Load(../sub/bad.toml): %v", err)
	}
	t.Chdir(t.TempDir())
	if _, err := spec.Load(path); err == nil || !strings.HasPrefix(err.Error(), path+":") {
		t.Errorf("Load(%s) from elsewhere: %v", path, err)
	}
}

// TestExperimentSpecs checks that every spec in experiments/ loads, with
// its [plot] recipe checked, and takes each of its profiles.
func TestExperimentSpecs(t *testing.T) {
	files, err := filepath.Glob("../*.toml")
	if err != nil || len(files) < 20 {
		t.Fatalf("%d specs, %v", len(files), err)
	}
	for _, f := range files {
		s, err := spec.Load(f)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(s.Profiles)) {
			s, _ := spec.Load(f)
			if err := s.ApplyProfile(name); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestSamplingAxis checks the expansion of sweep.sampling: entries that
// take the option and leave it unset become one entry per scheme; the
// others stay; no taker is an error.
func TestSamplingAxis(t *testing.T) {
	t.Parallel()
	text := strings.Replace(spectest.Good, `estimators = ["score", "pathwise", {name = "score", label = "score2"}]`,
		`estimators = ["pathwise", "arm", {name = "score", label = "sf", options = {sampling = "antithetic"}}]
sampling = ["iid", "rqmc"]`, 1)
	s, err := spec.Parse("axis.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range s.Sweep.Estimators {
		got = append(got, e.Label+":"+e.Options["sampling"])
	}
	if want := []string{"pathwise:iid", "pathwise-rqmc:rqmc", "arm:", "sf:antithetic"}; !slices.Equal(got, want) {
		t.Errorf("estimators %v, want %v", got, want)
	}
	bad := strings.Replace(spectest.Good, `estimators = ["score", "pathwise", {name = "score", label = "score2"}]`,
		`estimators = ["arm"]
sampling = ["rqmc"]`, 1)
	if _, err := spec.Parse("axis.toml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "takes the sampling option (those that do: pathwise, score)") {
		t.Errorf("no taker: %v", err)
	}
}
