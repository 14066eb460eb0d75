package report

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

// Provenance returns a table of the metadata of results folders: the
// experiment, its spec's SHA-256 (abbreviated), seed, profile, commit, Go
// version and platform, and wall time; then, for each kind of experiment
// (sweep, train, model) with two or more folders, a row of their total
// wall time, e.g. "total: 7 model experiments".
func Provenance(dirs []string) (*table.Table, error) {
	t := &table.Table{
		Caption:    "Provenance of the results (from each folder's meta.json)",
		Header:     []string{"experiment", "spec sha256", "seed", "profile", "commit", "go", "platform", "workers", "wall time"},
		LaTeXLabel: "tab:provenance",
	}
	var kinds []string
	count, total := map[string]int{}, map[string]time.Duration{}
	for _, d := range dirs {
		m, err := store.LoadMeta(d)
		if err != nil {
			return nil, fmt.Errorf("provenance: %s: %w", filepath.Join(d, store.MetaFile), err)
		}
		profile := m.Profile
		if profile == "" {
			profile = "full"
		}
		commit := m.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if m.Dirty {
			commit += "+"
		}
		sha := m.SpecSHA256
		if len(sha) > 12 {
			sha = sha[:12]
		}
		kind := m.KindIn(d)
		if count[kind]++; count[kind] == 1 {
			kinds = append(kinds, kind)
		}
		wall := m.End.Sub(m.Start)
		total[kind] += wall
		t.Append(m.Experiment, sha, fmt.Sprint(m.Seed), profile, commit, m.GoVersion, m.GOOS+"/"+m.GOARCH, fmt.Sprint(m.Workers), wall.Round(1e7).String())
	}
	for _, k := range kinds {
		if count[k] > 1 {
			t.Append(fmt.Sprintf("total: %d %s experiments", count[k], k), "", "", "", "", "", "", "", total[k].Round(1e7).String())
		}
	}
	return t, nil
}
