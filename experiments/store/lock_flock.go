//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lock takes the flock on dir/.lock; see DirLock for the scheme.
func lock(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFile)
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := flock(f); err != nil {
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			h, ok := readHolder(f)
			f.Close()
			return nil, &lockedError{dir: dir, h: h, ok: ok}
		}
		// The path must still name the file we locked: its holder may
		// have removed it (Unlock) between our open and our flock.
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr != nil || perr != nil || !os.SameFile(fi, pi) {
			f.Close()
			continue
		}
		// A stale file of a dead holder is taken over: replace its text.
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
		if _, err := f.WriteAt(holderText(time.Now()), 0); err != nil {
			f.Close()
			return nil, err
		}
		return &DirLock{path: path, f: f}, nil
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps being replaced", path)
}

// flock takes an exclusive, non-blocking flock(2) on f.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}

// readHolder reads the holder of the lock file f. The holder writes its
// text just after taking the lock, so an empty or partial text is read
// again for a while.
func readHolder(f *os.File) (holder, bool) {
	buf := make([]byte, 4096)
	for range 50 {
		n, err := f.ReadAt(buf, 0)
		if err != nil && err != io.EOF {
			break
		}
		if h, ok := parseHolder(buf[:n]); ok {
			return h, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return holder{}, false
}
