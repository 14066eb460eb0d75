//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/store"
)

// names returns the names of the files in dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestRunLocked runs into a folder another writer holds (a store.Lock of
// this process conflicts as another process's would): Run and a resume
// fail at once, wrapping store.ErrLocked and ErrConflict, and touch
// nothing; once the lock is released the run goes through and leaves no
// lock file.
func TestRunLocked(t *testing.T) {
	s := loadDemo(t, "quick")
	for _, resume := range []bool{false, true} {
		t.Run(fmt.Sprint("resume=", resume), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			l, err := store.Lock(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Unlock()
			lockText, _ := os.ReadFile(filepath.Join(dir, store.LockFile))
			_, err = Run(context.Background(), s, Options{Dir: dir, Workers: 1, Resume: resume})
			if !errors.Is(err, store.ErrLocked) || !errors.Is(err, ErrConflict) {
				t.Fatalf("Run into a locked folder: %v, want ErrLocked and ErrConflict", err)
			}
			if want := fmt.Sprintf("%s is being written by process %d", dir, os.Getpid()); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			if got := names(t, dir); !slices.Equal(got, []string{store.LockFile}) {
				t.Errorf("the failed run left %v, want only the holder's %s", got, store.LockFile)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, store.LockFile)); string(got) != string(lockText) {
				t.Errorf("the failed run changed the holder's lock file: %q, was %q", got, lockText)
			}
			if err := l.Unlock(); err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), s, Options{Dir: dir, Workers: 1, Resume: resume})
			if err != nil || res.Resumed != 0 {
				t.Fatalf("Run after the unlock: %v", err)
			}
			if got := names(t, dir); !slices.Equal(got, []string{store.CellsFile, store.MetaFile}) {
				t.Errorf("a complete run left %v", got)
			}
		})
	}
}

// TestStaleLockFile checks that the .lock file a killed run leaves behind
// (its lock died with it) breaks neither resume, nor the "already holds
// results" check, nor Merge.
func TestStaleLockFile(t *testing.T) {
	s := loadDemo(t, "quick")
	root := t.TempDir()
	stale := []byte("pid: 999999999\nsince: 2026-12-01T20:31:02Z\ncommand: gradbench run demo.toml\n")
	leave := func(dir string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, store.LockFile), stale, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, shard, shards int) string {
		t.Helper()
		dir := filepath.Join(root, name)
		if _, err := Run(context.Background(), s, Options{Dir: dir, Workers: 1, Shard: shard, Shards: shards}); err != nil {
			t.Fatal(err)
		}
		leave(dir)
		return dir
	}
	full := run("full", 0, 1)
	want := canonical(t, full)

	// Without -resume the folder still holds results (not a lock conflict).
	_, err := Run(context.Background(), s, Options{Dir: full, Workers: 1})
	if !errors.Is(err, ErrConflict) || errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "already holds results") {
		t.Errorf("rerun into a complete folder with a stale lock: %v", err)
	}
	// With -resume it is complete: every cell resumed, cells.csv unchanged.
	leave(full)
	res, err := Run(context.Background(), s, Options{Dir: full, Workers: 1, Resume: true})
	if err != nil || res.Resumed != res.Cells {
		t.Fatalf("resume of a complete folder with a stale lock: %v (%+v)", err, res)
	}
	if got := canonical(t, full); got != want {
		t.Errorf("resume changed cells.csv")
	}
	if got := names(t, full); !slices.Equal(got, []string{store.CellsFile, store.MetaFile}) {
		t.Errorf("resume left %v", got)
	}

	// Merge ignores the shards' stale lock files.
	shards := []string{run("s0", 0, 2), run("s1", 1, 2)}
	merged := filepath.Join(root, "merged")
	if _, err := Merge(merged, shards); err != nil {
		t.Fatalf("merge of shards with stale locks: %v", err)
	}
	if got := canonical(t, merged); got != want {
		t.Errorf("merged shards differ from one run")
	}
}
