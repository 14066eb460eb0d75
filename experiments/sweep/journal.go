package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gradbench/gradbench/experiments/store"
)

// JournalFile is the name of the checkpoint journal inside a results folder
// while a run is unfinished.
const JournalFile = ".journal"

// journalID identifies the run a journal belongs to; its first line.
type journalID struct {
	SpecSHA256 string `json:"spec_sha256"`
	Profile    string `json:"profile,omitempty"`
	Shard      string `json:"shard,omitempty"`
	Cells      int    `json:"cells"`
}

// record is one finished cell: its index and its rows as cells.csv text.
type record struct {
	Cell int    `json:"cell"`
	CSV  string `json:"csv"`
}

// journal appends finished cells to DIR/.journal.
type journal struct {
	f        *os.File
	path     string
	lastSync time.Time
}

// openJournal prepares dir for a run with identity id. Without resume,
// dir must not hold results; with resume, the finished cells of the
// journal (or of a complete folder's cells.csv, less its failed cells) are
// returned.
func openJournal(dir string, id journalID, resume bool, mt func() *matcher) (*journal, map[int][]store.Row, error) {
	path := filepath.Join(dir, JournalFile)
	done := map[int][]store.Row{}
	_, jerr := os.Stat(path)
	_, cerr := os.Stat(filepath.Join(dir, store.CellsFile))
	hasJournal, hasCells := jerr == nil, cerr == nil
	if !resume && (hasJournal || hasCells) {
		what := "results"
		if hasJournal {
			what = "an unfinished run"
		}
		return nil, nil, fmt.Errorf("%w: %s already holds %s; use -resume to continue it, or another -o", ErrConflict, dir, what)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	if resume && hasJournal {
		return resumeJournal(path, id)
	}
	if resume && hasCells {
		// A complete folder: its cells are all done if it is the same run.
		m, err := store.LoadMeta(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: cannot resume: %v", ErrConflict, dir, err)
		}
		if m.SpecSHA256 != id.SpecSHA256 || m.Profile != id.Profile || m.Shard != id.Shard {
			return nil, nil, fmt.Errorf("%w: %s holds the results of another spec, profile or shard; use another -o", ErrConflict, dir)
		}
		rows, err := store.LoadCells(dir)
		if err != nil {
			return nil, nil, err
		}
		done, err = mt().group(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", dir, err)
		}
		dropFailed(done) // failed cells run again
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, err
	}
	j := &journal{f: f, path: path}
	head, _ := json.Marshal(id)
	if _, err := f.Write(append(head, '\n')); err != nil {
		f.Close()
		return nil, nil, err
	}
	for i, rows := range done {
		if err := j.Append(i, rows); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return j, done, j.sync()
}

// resumeJournal reads the finished cells of the journal at path, drops a
// record cut short by a crash, and reopens the journal for appending.
func resumeJournal(path string, id journalID) (*journal, map[int][]store.Row, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Dir(path)
	line, rest, ok := bytes.Cut(data, []byte("\n"))
	var got journalID
	if !ok || json.Unmarshal(line, &got) != nil {
		return nil, nil, fmt.Errorf("%w: %s: journal %s is unreadable; remove the folder to start again", ErrConflict, dir, path)
	}
	if got != id {
		return nil, nil, fmt.Errorf("%w: %s was started with another spec, profile or shard (spec sha256 %.12s, profile %q, shard %q); use another -o",
			ErrConflict, dir, got.SpecSHA256, got.Profile, got.Shard)
	}
	good := len(line) + 1
	done := map[int][]store.Row{}
	for len(rest) > 0 {
		line, next, complete := bytes.Cut(rest, []byte("\n"))
		var rec record
		if !complete || json.Unmarshal(line, &rec) != nil {
			break // a record cut short by a crash: redo that cell
		}
		rows, err := store.ReadCells(strings.NewReader(rec.CSV))
		if err != nil || rec.Cell < 0 || rec.Cell >= id.Cells {
			break
		}
		done[rec.Cell] = rows
		good += len(line) + 1
		rest = next
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := f.Truncate(int64(good)); err != nil {
		f.Close()
		return nil, nil, err
	}
	if _, err := f.Seek(int64(good), 0); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &journal{f: f, path: path, lastSync: time.Now()}, done, nil
}

// Append records a finished cell. The write reaches the operating system at
// once (so it survives the process being killed) and the disk within 200 ms.
func (j *journal) Append(cell int, rows []store.Row) error {
	var buf bytes.Buffer
	if err := store.WriteCells(&buf, rows); err != nil {
		return err
	}
	line, err := json.Marshal(record{Cell: cell, CSV: buf.String()})
	if err != nil {
		return err
	}
	w := bufio.NewWriter(j.f)
	w.Write(line)
	w.WriteByte('\n')
	if err := w.Flush(); err != nil {
		return err
	}
	if time.Since(j.lastSync) > 200*time.Millisecond {
		return j.sync()
	}
	return nil
}

func (j *journal) sync() error {
	j.lastSync = time.Now()
	return j.f.Sync()
}

// Close syncs and closes the journal; it may be called more than once.
func (j *journal) Close() error {
	if j == nil || j.f == nil {
		return nil
	}
	err := j.f.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	return err
}

// Remove closes and deletes the journal of a complete run.
func (j *journal) Remove() error {
	if j == nil {
		return nil
	}
	j.Close()
	if err := os.Remove(j.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
