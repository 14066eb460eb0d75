package store

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Experiment kinds recorded in meta.json: readers dispatch on them.
const (
	KindSweep = "sweep" // cells.csv
	KindTrain = "train" // curves.csv: a [train] spec (θ of a family)
	KindModel = "model" // curves.csv and metrics.csv: a [model] spec
)

// Segment is one uninterrupted stretch of work on a results folder: the
// first run, and each -resume after it.
type Segment struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Steps is the number of training steps (summed over runs) this
	// segment computed, as of its last checkpoint. Steps a killed segment
	// took after a run's checkpoint are redone, and counted again, by the
	// next segment.
	Steps int `json:"steps"`
}

// Meta is the provenance of a results folder, written as meta.json.
type Meta struct {
	// Kind is KindSweep, KindTrain or KindModel. Folders written before
	// the kind was recorded have none; KindOf infers it for them.
	Kind       string    `json:"kind,omitempty"`
	Experiment string    `json:"experiment"`
	SpecFile   string    `json:"spec_file"`
	SpecSHA256 string    `json:"spec_sha256"`
	Spec       string    `json:"spec"`
	Seed       uint64    `json:"seed"`
	Profile    string    `json:"profile,omitempty"`
	Commit     string    `json:"commit"`
	Dirty      bool      `json:"dirty,omitempty"`
	GoVersion  string    `json:"go_version"`
	GOOS       string    `json:"goos"`
	GOARCH     string    `json:"goarch"`
	Workers    int       `json:"workers"`
	Shard      string    `json:"shard,omitempty"` // "i/n" for a shard's output
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	// Segments lists every stretch of work of a resumed run (training
	// experiments; empty for a folder written in one go before segments
	// were recorded).
	Segments []Segment `json:"segments,omitempty"`
}

// KindOf returns the experiment kind of the results folder dir from its
// meta.json (see Meta.KindIn).
func KindOf(dir string) (string, error) {
	m, err := LoadMeta(dir)
	if err != nil {
		return "", err
	}
	return m.KindIn(dir), nil
}

// KindIn returns the experiment kind of m, the metadata of the results
// folder dir. For folders written before meta.json recorded the kind, it
// infers the kind from the files present in dir (metrics.csv: model,
// curves.csv: train, else sweep).
func (m Meta) KindIn(dir string) string {
	if m.Kind != "" {
		return m.Kind
	}
	for _, c := range []struct{ file, kind string }{{MetricsFile, KindModel}, {CurvesFile, KindTrain}} {
		if _, err := os.Stat(filepath.Join(dir, c.file)); err == nil {
			return c.kind
		}
	}
	return KindSweep
}

// NewMeta returns a Meta filled with the build's commit, Go version and
// platform; the caller sets the experiment fields and times.
func NewMeta() Meta {
	m := Meta{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	m.Commit, m.Dirty = gitCommit()
	return m
}

// gitCommit returns the VCS revision from the build info, or, for "go run"
// and tests (built without VCS stamping), from git in the current folder.
func gitCommit() (string, bool) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			return rev, dirty
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown", false
	}
	// Generated outputs (results/, paper/) do not make the code dirty.
	st, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results", ":!paper").Output()
	return strings.TrimSpace(string(out)), len(strings.TrimSpace(string(st))) > 0
}

// SaveMeta writes m to dir/meta.json atomically.
func SaveMeta(dir string, m Meta) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, MetaFile), append(data, '\n'))
}

// LoadMeta reads dir/meta.json.
func LoadMeta(dir string) (Meta, error) {
	var m Meta
	data, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(data, &m)
}
