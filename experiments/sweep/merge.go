package sweep

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// matcher maps rows read back from cells.csv to the cells of a sweep.
type matcher struct {
	sw    *spec.Sweep
	index map[string]int
}

func newMatcher(sw *spec.Sweep) *matcher {
	m := &matcher{sw: sw, index: make(map[string]int, sw.NumCells())}
	for i := range sw.NumCells() {
		c := sw.Cell(i)
		r := store.Row{Estimator: c.Estimator.Label, Distribution: c.Dist.Name, Objective: c.Obj.Name, N: c.N}
		for _, v := range c.Dist.Params {
			r.Dist = append(r.Dist, store.KV{Name: v.Name, Value: v.Value})
		}
		for _, v := range c.Obj.Params {
			r.Obj = append(r.Obj, store.KV{Name: v.Name, Value: v.Value})
		}
		m.index[rowKey(&r)] = i
	}
	return m
}

// rowKey identifies the cell of a row by its estimator label, parameters
// (sorted by name) and n.
func rowKey(r *store.Row) string {
	var b strings.Builder
	kvs := func(name string, kv []store.KV) {
		kv = slices.Clone(kv)
		slices.SortFunc(kv, func(a, b store.KV) int { return cmp.Compare(a.Name, b.Name) })
		b.WriteString("|" + name + "(")
		for _, v := range kv {
			b.WriteString(v.Name + "=" + store.FormatFloat(v.Value) + ",")
		}
		b.WriteString(")")
	}
	b.WriteString(r.Estimator)
	kvs(r.Distribution, r.Dist)
	kvs(r.Objective, r.Obj)
	b.WriteString("|n=" + strconv.Itoa(r.N))
	return b.String()
}

// group splits rows into cells: consecutive rows of the same cell.
func (m *matcher) group(rows []store.Row) (map[int][]store.Row, error) {
	out := map[int][]store.Row{}
	prev := -1
	for k := range rows {
		key := rowKey(&rows[k])
		i, ok := m.index[key]
		if !ok {
			return nil, fmt.Errorf("row %d (%s) is not a cell of the spec", k+1, key)
		}
		if i != prev {
			if _, dup := out[i]; dup {
				return nil, fmt.Errorf("cell %s appears twice", m.sw.Cell(i).Key)
			}
		}
		out[i] = append(out[i], rows[k])
		prev = i
	}
	return out, nil
}

// Merge combines the results folders of the shards of one run (same spec
// text and profile) into dir: cells.csv in cell order, the same as an
// unsharded run's, and meta.json. It returns an error, writing nothing, if
// the folders disagree on the spec, a cell appears in two of them, a cell is
// missing, or dir already holds results (wrapping ErrConflict).
func Merge(dir string, shardDirs []string) (*Result, error) {
	start := time.Now()
	if len(shardDirs) == 0 {
		return nil, fmt.Errorf("merge: no folders to merge")
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	for _, d := range shardDirs {
		if abs(d) == abs(dir) {
			return nil, fmt.Errorf("%w: merge output %s is one of its inputs", ErrConflict, dir)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, store.CellsFile)); err == nil {
		return nil, fmt.Errorf("%w: %s already holds results; choose another -o", ErrConflict, dir)
	}
	metas := make([]store.Meta, len(shardDirs))
	for k, d := range shardDirs {
		m, err := store.LoadMeta(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %s is not a finished results folder: %w", d, err)
		}
		metas[k] = m
		if m.SpecSHA256 != metas[0].SpecSHA256 || m.Profile != metas[0].Profile {
			return nil, fmt.Errorf("merge: %s ran spec %.12s (profile %q) but %s ran %.12s (profile %q)",
				d, m.SpecSHA256, m.Profile, shardDirs[0], metas[0].SpecSHA256, metas[0].Profile)
		}
	}
	m0 := metas[0]
	s, err := spec.Parse(m0.SpecFile, []byte(m0.Spec))
	if err != nil {
		return nil, fmt.Errorf("merge: the spec recorded in %s: %w", shardDirs[0], err)
	}
	if s.SHA256 != m0.SpecSHA256 {
		return nil, fmt.Errorf("merge: %s: the recorded spec does not match its sha256", shardDirs[0])
	}
	if err := s.ApplyProfile(m0.Profile); err != nil {
		return nil, err
	}
	if s.Sweep == nil {
		return nil, fmt.Errorf("merge: %s is not a sweep", shardDirs[0])
	}
	mt := newMatcher(s.Sweep)
	all := map[int][]store.Row{}
	from := map[int]string{}
	res := &Result{}
	for _, d := range shardDirs {
		rows, err := store.LoadCells(d)
		if err != nil {
			return nil, err
		}
		cells, err := mt.group(rows)
		if err != nil {
			return nil, fmt.Errorf("merge: %s: %w", d, err)
		}
		for _, i := range slices.Sorted(maps.Keys(cells)) {
			if prev, dup := from[i]; dup {
				return nil, fmt.Errorf("merge: cell %s is in both %s and %s", s.Sweep.Cell(i).Key, prev, d)
			}
			from[i], all[i] = d, cells[i]
		}
	}
	var missing []int
	for i := range s.Sweep.NumCells() {
		if _, ok := all[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("merge: %d of %d cells are missing (first: %s); did every shard run?",
			len(missing), s.Sweep.NumCells(), s.Sweep.Cell(missing[0]).Key)
	}
	meta := store.NewMeta()
	meta.Experiment, meta.SpecFile, meta.SpecSHA256, meta.Spec = m0.Experiment, m0.SpecFile, m0.SpecSHA256, m0.Spec
	meta.Seed, meta.Profile, meta.Start, meta.End = m0.Seed, m0.Profile, m0.Start, m0.End
	for _, m := range metas {
		meta.Workers += m.Workers
		if m.Start.Before(meta.Start) {
			meta.Start = m.Start
		}
		if m.End.After(meta.End) {
			meta.End = m.End
		}
	}
	for i := range s.Sweep.NumCells() {
		res.Rows = append(res.Rows, all[i]...)
		switch {
		case len(all[i]) == 1 && IsFailed(&all[i][0]):
			res.Failed++ // kept as failed: a -resume of the shard reruns it
		case len(all[i]) == 1 && all[i][0].Skipped != "":
			res.Skipped++
		}
	}
	res.Cells = s.Sweep.NumCells()
	if res.Skipped+res.Failed == res.Cells {
		return nil, fmt.Errorf("merge: every cell is skipped: no estimator can handle its distribution and objective")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := store.SaveCells(dir, res.Rows); err != nil {
		return nil, err
	}
	if err := store.SaveMeta(dir, meta); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
