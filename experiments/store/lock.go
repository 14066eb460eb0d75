package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LockFile is the name of the lock file inside a results folder while a
// run writes it. It holds the writer's PID, the time it took the lock and
// its command line, one "key: value" line each.
const LockFile = ".lock"

// ErrLocked is wrapped by the error Lock returns when another process (or
// another Lock of this one) holds the folder.
var ErrLocked = errors.New("locked")

// DirLock is the exclusive lock on a results folder that Lock returns:
// one writer per folder.
//
// # Scheme
//
// The lock is an flock(2) on the open file DIR/.lock, so the kernel
// releases it when the holder exits, however it exits (kill -9 included):
// a stale .lock left by a dead process never blocks a later run, which
// simply takes it over. flock locks belong to an open file description,
// so two Locks in one process conflict as two processes do.
//
// Unlock removes the file while still holding the lock, then closes it
// (which releases the lock), so a complete folder carries no .lock. A
// file removed while locked invites a race: a process that opened the
// path just before the removal may win the flock on the removed file
// after the unlock, while a third one creates and locks a new file at the
// path. Lock therefore checks, once it holds the flock, that the path
// still names the very file it locked (same device and inode) and starts
// again if not. Only the holder removes the file, and it does so under
// the lock, so whoever holds the flock on the file the path names is the
// single writer.
//
// On systems without flock(2) (Windows, Solaris, …) Lock only creates the
// folder and returns a lock that excludes nobody; Unlock does nothing.
type DirLock struct {
	mu   sync.Mutex
	path string
	f    *os.File // nil once unlocked, or where locks do nothing
}

// Lock creates dir if needed and takes an exclusive, non-blocking lock on
// it (see DirLock), writing the holder's PID, the time and its command
// line into dir/.lock. If another process, or another Lock of this
// process, holds dir, Lock returns at once an error wrapping ErrLocked
// whose message is one line naming the holder, such as
//
//	results/blr is being written by process 12345 (since 2026-12-01T20:31:02Z: gradbench run …); wait for it to finish or use another -o
func Lock(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return lock(dir)
}

// Unlock removes dir/.lock and releases the lock. It may be called more
// than once (and on a nil *DirLock); later calls do nothing and return
// nil.
func (l *DirLock) Unlock() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	var err error
	// Remove the file only if the path still names it (someone may have
	// removed it by hand and another run created a new one).
	if fi, ferr := f.Stat(); ferr == nil {
		if pi, perr := os.Stat(l.path); perr == nil && os.SameFile(fi, pi) {
			if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = rerr
			}
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// holder is what a lock file says about the process holding it.
type holder struct {
	pid     int
	since   string
	command string
}

// holderText returns the contents of the lock file of this process. The
// last line ends in a newline, which marks the contents complete.
func holderText(now time.Time) []byte {
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	cmd := strings.Join(args, " ")
	cmd = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, cmd)
	return fmt.Appendf(nil, "pid: %d\nsince: %s\ncommand: %s\n",
		os.Getpid(), now.UTC().Format(time.RFC3339), cmd)
}

// parseHolder parses a lock file's contents; ok is false if they are
// incomplete (being written) or not a lock file's.
func parseHolder(data []byte) (h holder, ok bool) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return h, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), ": ")
		switch key {
		case "pid":
			h.pid, _ = strconv.Atoi(val)
		case "since":
			h.since = val
		case "command":
			h.command = val
		}
	}
	return h, h.pid > 0
}

// lockedError is the error of a Lock on a folder another writer holds.
type lockedError struct {
	dir string
	h   holder
	ok  bool // h is known
}

func (e *lockedError) Error() string {
	if !e.ok {
		return fmt.Sprintf("%s is being written by another process (see %s); wait for it to finish or use another -o",
			e.dir, filepath.Join(e.dir, LockFile))
	}
	cmd := e.h.command
	if r := []rune(cmd); len(r) > 120 {
		cmd = string(r[:119]) + "…"
	}
	return fmt.Sprintf("%s is being written by process %d (since %s: %s); wait for it to finish or use another -o",
		e.dir, e.h.pid, e.h.since, cmd)
}

func (e *lockedError) Unwrap() error { return ErrLocked }
