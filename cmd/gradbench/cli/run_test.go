package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gradbench/gradbench/experiments/spec/spectest"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/sweep"
)

const demoSpec = "../../../experiments/demo.toml"

// runCLI runs the tool in-process and returns its exit status and stderr.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := Status(Run(&stdout, &stderr, args), &stderr)
	return status, stderr.String()
}

// cellsNoTiming returns dir/cells.csv with the timing columns blanked.
func cellsNoTiming(t *testing.T, dir string) string {
	t.Helper()
	rows, err := store.LoadCells(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].NsPerEstimate, rows[i].VarTimesNs = 0, 0
	}
	var b bytes.Buffer
	if err := store.WriteCells(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRunBadSpecs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, tc := range spectest.BadSpecs {
		t.Run(tc.Name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.Name, " ", "-")+".toml")
			if err := os.WriteFile(path, []byte(tc.Src), 0o644); err != nil {
				t.Fatal(err)
			}
			status, stderr := runCLI(t, "run", "-q", "-o", out, path)
			if status != ExitUsageError {
				t.Errorf("exit status %d, want 2; stderr %q", status, stderr)
			}
			want := path + ":"
			if tc.Line > 0 {
				want += strconv.Itoa(tc.Line) + ":"
			}
			if tc.Field != "" {
				want += " " + tc.Field + ":"
			}
			if !strings.HasPrefix(stderr, "gradbench: "+want) || !strings.Contains(stderr, tc.Msg) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q and containing %q", stderr, "gradbench: "+want, tc.Msg)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("%s was created", out)
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"run"},
		{"run", "-o", out},
		{"run", "-bogus", demoSpec},
		{"run", "-o", out, "-workers", "-1", demoSpec},
		{"run", "-o", out, "-shard", "3/3", demoSpec},
		{"run", "-o", out, "-shard", "1", demoSpec},
		{"run", "-o", out, "-profile", "slow", demoSpec},
		{"run", "-o", out, demoSpec, demoSpec},
		{"run", "-o", out, filepath.Join(dir, "missing.toml")},
		{"merge", filepath.Join(dir, "a")},
		{"merge", "-o", out},
	} {
		if status, stderr := runCLI(t, args...); status != ExitUsageError {
			t.Errorf("%q: exit status %d, want 2; stderr %q", args, status, stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%q created %s", args, out)
		}
	}
	if status, _ := runCLI(t, "run", "-h"); status != ExitOK {
		t.Errorf("run -h: status %d", status)
	}
}

// TestRunWorkersShards checks that cells.csv is the same (timing columns
// aside) for -workers 1, -workers 2 and three shards merged.
func TestRunWorkersShards(t *testing.T) {
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		out := filepath.Join(dir, name)
		args = append([]string{"run", "-q", "-profile", "quick", "-o", out}, append(args, demoSpec)...)
		if status, stderr := runCLI(t, args...); status != ExitOK {
			t.Fatalf("%q: status %d: %s", args, status, stderr)
		}
		return out
	}
	one := cellsNoTiming(t, run("w1", "-workers", "1"))
	if got := cellsNoTiming(t, run("w2", "-workers", "2")); got != one {
		t.Errorf("-workers 2 differs from -workers 1")
	}
	shards := []string{run("s2", "-shard", "2/3"), run("s0", "-shard", "0/3", "-workers", "2"), run("s1", "-shard", "1/3")}
	merged := filepath.Join(dir, "merged")
	if status, stderr := runCLI(t, append([]string{"merge", "-q", "-o", merged}, shards...)...); status != ExitOK {
		t.Fatalf("merge: %d %s", status, stderr)
	}
	if got := cellsNoTiming(t, merged); got != one {
		t.Errorf("merged shards differ from one run")
	}
	m, err := store.LoadMeta(merged)
	if err != nil || m.Experiment != "demo" || m.Profile != "quick" || m.Shard != "" || len(m.SpecSHA256) != 64 {
		t.Errorf("merged meta %+v, %v", m, err)
	}
	// Running again into a results folder without -resume is a usage error.
	if status, _ := runCLI(t, "run", "-q", "-profile", "quick", "-o", shards[0], demoSpec); status != ExitUsageError {
		t.Errorf("rerun without -resume: status %d, want 2", status)
	}
}

// killSpec takes a few seconds with one worker: long enough to kill it
// after some cells are finished.
const killSpec = `name = "kill"
seed = 7
[sweep]
estimators = ["score", "pathwise"]
n = [16]
replications = 80000
block = 10000
[[sweep.distributions]]
name = "normal"
sigma = [0.5, 1.0]
[[sweep.objectives]]
name = "quadratic"
k = { linspace = [-2, 2, 12] }
`

// TestRunChild is the child process of TestRunKillResume: it runs the tool
// with the arguments in GRADBENCH_CHILD_ARGS.
func TestRunChild(t *testing.T) {
	args := os.Getenv("GRADBENCH_CHILD_ARGS")
	if args == "" {
		t.Skip("only run as a child process")
	}
	os.Exit(Status(Run(os.Stdout, os.Stderr, strings.Split(args, "\x1f")), os.Stderr))
}

// TestRunKillResume kills a run with SIGKILL after a few cells, resumes it,
// and checks that cells.csv is the same as an uninterrupted run's.
func TestRunKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kill.toml")
	if err := os.WriteFile(path, []byte(killSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
	cmd.Env = append(os.Environ(), "GRADBENCH_CHILD_ARGS="+strings.Join([]string{"run", "-q", "-workers", "1", "-o", out, path}, "\x1f"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(out, sweep.JournalFile)
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(journal)
		if bytes.Count(data, []byte("\n")) >= 4 { // the header and 3 cells
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the child finished no cell in 30 s: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(out, store.CellsFile)); err == nil {
		t.Fatal("the run finished before it was killed; make killSpec larger")
	}
	data, _ := os.ReadFile(journal)
	finished := bytes.Count(data, []byte("\n")) - 1

	var errb bytes.Buffer
	status := Status(Run(&bytes.Buffer{}, &errb, []string{"run", "-workers", "2", "-resume", "-o", out, path}), &errb)
	if status != ExitOK {
		t.Fatalf("resume: status %d: %s", status, errb.String())
	}
	// No finished cell is redone: the journal's cells are all resumed.
	if want := fmt.Sprintf(", %d resumed,", finished); !strings.Contains(errb.String(), want) {
		t.Errorf("resume summary %q does not say %q", errb.String(), want)
	}
	t.Logf("killed after %d of 48 cells; %s", finished, strings.TrimSpace(errb.String()))
	fresh := filepath.Join(dir, "fresh")
	if status, msg := runCLI(t, "run", "-q", "-o", fresh, path); status != ExitOK {
		t.Fatalf("fresh run: %d %s", status, msg)
	}
	if cellsNoTiming(t, out) != cellsNoTiming(t, fresh) {
		t.Errorf("resumed cells.csv differs from an uninterrupted run's")
	}
}
