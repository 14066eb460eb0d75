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

// Meta is the provenance of a results folder, written as meta.json.
type Meta struct {
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
