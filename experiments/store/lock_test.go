//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// lockHelperEnv names the folder TestLockHelperProcess locks.
const lockHelperEnv = "GRADBENCH_LOCK_HELPER_DIR"

// TestLockHelperProcess is not a test: run by startHolder in a child
// process, it locks the folder named by lockHelperEnv, prints "locked",
// and unlocks when its standard input closes.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process")
	}
	l, err := Lock(dir)
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	if err := l.Unlock(); err != nil {
		fmt.Println(err)
		os.Exit(4)
	}
	os.Exit(0)
}

// startHolder starts a process that holds the lock on dir; closing the
// returned writer makes it unlock and exit.
func startHolder(t *testing.T, dir string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper process: %q, %v", line, err)
	}
	return cmd, stdin
}

// checkLocked checks that Lock(dir) fails naming process pid.
func checkLocked(t *testing.T, dir string, pid int) {
	t.Helper()
	l, err := Lock(dir)
	if err == nil {
		l.Unlock()
		t.Fatalf("Lock of a locked folder succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock of a locked folder: %v, want ErrLocked", err)
	}
	msg := err.Error()
	want := fmt.Sprintf("%s is being written by process %d (since ", dir, pid)
	if !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, "); wait for it to finish or use another -o") || strings.Contains(msg, "\n") {
		t.Errorf("message %q, want one line starting %q", msg, want)
	}
}

// lockHolder returns the holder recorded in dir's lock file.
func lockHolder(t *testing.T, dir string) holder {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	h, ok := parseHolder(data)
	if !ok {
		t.Fatalf("lock file %q unreadable", data)
	}
	return h
}

func TestLockOtherProcess(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "results", "blr")
	cmd, stdin := startHolder(t, dir)
	checkLocked(t, dir, cmd.Process.Pid)
	if h := lockHolder(t, dir); h.pid != cmd.Process.Pid || !strings.Contains(h.command, "TestLockHelperProcess") {
		t.Errorf("lock file names %+v, want pid %d", h, cmd.Process.Pid)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !os.IsNotExist(err) {
		t.Errorf("lock file left after Unlock: %v", err)
	}
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after the holder unlocked: %v", err)
	}
	if h := lockHolder(t, dir); h.pid != os.Getpid() {
		t.Errorf("lock file names pid %d, want %d", h.pid, os.Getpid())
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockHolderKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd, _ := startHolder(t, dir)
	pid := cmd.Process.Pid
	checkLocked(t, dir, pid)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The dead holder leaves its lock file behind, but not its lock.
	if h := lockHolder(t, dir); h.pid != pid {
		t.Fatalf("stale lock file names pid %d, want %d", h.pid, pid)
	}
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	defer l.Unlock()
	if h := lockHolder(t, dir); h.pid != os.Getpid() {
		t.Errorf("lock file names pid %d after the takeover, want %d", h.pid, os.Getpid())
	}
}

func TestLockStaleFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := "pid: 999999999\nsince: 2026-12-01T20:31:02Z\ncommand: gradbench run x.toml with a much longer command line than ours\n"
	if err := os.WriteFile(filepath.Join(dir, LockFile), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock over a stale lock file: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, LockFile))
	if h, ok := parseHolder(data); !ok || h.pid != os.Getpid() || strings.Contains(string(data), "999999999") || strings.Contains(string(data), "longer") {
		t.Errorf("lock file after the takeover: %q", data)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockSameProcess(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new")
	l, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkLocked(t, dir, os.Getpid())
	for range 2 {
		if err := l.Unlock(); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
	}
	if err := (*DirLock)(nil).Unlock(); err != nil {
		t.Errorf("nil Unlock: %v", err)
	}
	l, err = Lock(dir)
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	l.Unlock()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("folder holds %d files after Unlock", len(entries))
	}
}

// TestLockExclusive hammers Lock and Unlock from several goroutines (each
// Lock its own open file, so they exclude each other as processes do):
// never two holders at once, despite Unlock removing the file.
func TestLockExclusive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var holders, taken atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 300 {
				l, err := Lock(dir)
				if errors.Is(err, ErrLocked) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if n := holders.Add(1); n != 1 {
					t.Errorf("%d holders at once", n)
				}
				taken.Add(1)
				time.Sleep(20 * time.Microsecond) // hold it a while
				holders.Add(-1)
				if err := l.Unlock(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if taken.Load() == 0 {
		t.Errorf("the lock was never taken")
	}
}

func TestParseHolder(t *testing.T) {
	t.Parallel()
	now, err := time.Parse(time.RFC3339, "2026-12-01T20:31:02Z")
	if err != nil {
		t.Fatal(err)
	}
	text := holderText(now)
	h, ok := parseHolder(text)
	if !ok || h.pid != os.Getpid() || h.since != "2026-12-01T20:31:02Z" || h.command == "" {
		t.Errorf("parseHolder(%q) = %+v, %v", text, h, ok)
	}
	for _, bad := range []string{"", "pid: 12", "since: x\n", "pid: x\n"} {
		if _, ok := parseHolder([]byte(bad)); ok {
			t.Errorf("parseHolder(%q) accepted", bad)
		}
	}
	e := &lockedError{dir: "results/blr", h: holder{pid: 12345, since: "2026-12-01T20:31:02Z", command: "gradbench run " + strings.Repeat("x", 200)}, ok: true}
	if msg := e.Error(); !strings.HasPrefix(msg, "results/blr is being written by process 12345 (since 2026-12-01T20:31:02Z: gradbench run xxx") || !strings.Contains(msg, "…); wait") {
		t.Errorf("message %q", msg)
	}
	e.ok = false
	if msg := e.Error(); !strings.HasPrefix(msg, "results/blr is being written by another process") || !errors.Is(e, ErrLocked) {
		t.Errorf("message %q", msg)
	}
}
