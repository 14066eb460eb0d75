package train

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// MergeResult summarises a Merge.
type MergeResult struct {
	Runs, Points, Metrics int
}

// Merge combines the results folders of the n shards of one training
// experiment (Run with Shard i of Shards n, for every i) into dir, which
// must not hold results. The merged curves.csv and metrics.csv list the
// runs in spec order, the same files as an unsharded run writes (the
// seconds column aside); meta.json records every shard's segments. It
// refuses folders of different specs, profiles or shard counts, an
// unfinished shard, a shard given twice or missing, and runs that do not
// belong to their shard; then nothing is written.
func Merge(dir string, shardDirs []string) (*MergeResult, error) {
	if len(shardDirs) == 0 {
		return nil, fmt.Errorf("merge: no folders to merge")
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	metas := make([]store.Meta, len(shardDirs))
	shardOf := make([]int, len(shardDirs))
	n := 0
	for k, d := range shardDirs {
		if abs(d) == abs(dir) {
			return nil, fmt.Errorf("%w: merge output %s is one of its inputs", ErrConflict, dir)
		}
		if _, err := os.Stat(filepath.Join(d, CheckpointDir)); err == nil {
			return nil, fmt.Errorf("merge: %s is unfinished (it holds %s); finish it with run -resume first", d, CheckpointDir)
		}
		m, err := store.LoadMeta(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %s is not a finished results folder: %w", d, err)
		}
		if m.Kind != store.KindTrain && m.Kind != store.KindModel {
			return nil, fmt.Errorf("merge: %s holds a %q experiment, not a training one", d, m.Kind)
		}
		metas[k] = m
		if m.SpecSHA256 != metas[0].SpecSHA256 || m.Profile != metas[0].Profile || m.Kind != metas[0].Kind {
			return nil, fmt.Errorf("merge: %s ran spec %.12s (profile %q) but %s ran %.12s (profile %q)",
				d, m.SpecSHA256, m.Profile, shardDirs[0], metas[0].SpecSHA256, metas[0].Profile)
		}
		i, sn, err := store.ParseShard(m.Shard)
		if err != nil || m.Shard == "" {
			return nil, fmt.Errorf("merge: %s is not the folder of a shard (meta.json shard %q; run with -shard i/n)", d, m.Shard)
		}
		if k == 0 {
			n = sn
		} else if sn != n {
			return nil, fmt.Errorf("merge: %s is shard %s but %s is shard %s: not the same split", d, m.Shard, shardDirs[0], metas[0].Shard)
		}
		shardOf[k] = i
	}
	seen := map[int]string{}
	for k, i := range shardOf {
		if prev, dup := seen[i]; dup {
			return nil, fmt.Errorf("merge: %s and %s are both shard %d/%d", prev, shardDirs[k], i, n)
		}
		seen[i] = shardDirs[k]
	}
	for i := range n {
		if _, ok := seen[i]; !ok {
			return nil, fmt.Errorf("merge: shard %d/%d is missing", i, n)
		}
	}
	m0 := metas[0]
	s, err := spec.Parse(m0.SpecFile, []byte(m0.Spec))
	if err != nil {
		return nil, fmt.Errorf("merge: the spec recorded in %s: %w", shardDirs[0], err)
	}
	if err := s.ApplyProfile(m0.Profile); err != nil {
		return nil, fmt.Errorf("merge: the spec recorded in %s: %w", shardDirs[0], err)
	}
	index := map[string]int{} // "label\x00seed" → run index
	key := func(label string, seed int) string { return label + "\x00" + strconv.Itoa(seed) }
	es, seeds := specRuns(s)
	for _, e := range es {
		for seed := range seeds {
			index[key(e.Label, seed)] = len(index)
		}
	}
	points := make([][]store.CurvePoint, len(index))
	metrics := make([][]store.Metric, len(index))
	from := make([]string, len(index))
	for k, d := range shardDirs {
		pts, err := store.LoadCurves(d)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		var ms []store.Metric
		if m0.Kind == store.KindModel {
			if ms, err = store.LoadMetrics(d); err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
		}
		for _, p := range pts {
			r, ok := index[key(p.Estimator, p.Seed)]
			switch {
			case !ok:
				return nil, fmt.Errorf("merge: %s: %s seed %d is not a run of the spec", d, p.Estimator, p.Seed)
			case r%n != shardOf[k]:
				return nil, fmt.Errorf("merge: %s: run %s seed %d belongs to shard %d/%d, not %s", d, p.Estimator, p.Seed, r%n, n, metas[k].Shard)
			case from[r] != "" && from[r] != d:
				return nil, fmt.Errorf("merge: run %s seed %d is in %s and %s", p.Estimator, p.Seed, from[r], d)
			}
			from[r] = d
			points[r] = append(points[r], p)
		}
		for _, m := range ms {
			r, ok := index[key(m.Estimator, m.Seed)]
			if !ok || from[r] != d {
				return nil, fmt.Errorf("merge: %s: metrics of %s seed %d without its curve", d, m.Estimator, m.Seed)
			}
			metrics[r] = append(metrics[r], m)
		}
	}
	for r, d := range from {
		if d == "" {
			return nil, fmt.Errorf("merge: run %d of the spec is in none of the folders", r)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := store.Lock(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConflict, err)
	}
	defer lock.Unlock()
	for _, f := range []string{store.MetaFile, store.CurvesFile, store.MetricsFile, store.CellsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("%w: %s already holds results; choose another -o", ErrConflict, dir)
		}
	}
	res := &MergeResult{Runs: len(index)}
	allPoints, allMetrics := slices.Concat(points...), slices.Concat(metrics...)
	res.Points, res.Metrics = len(allPoints), len(allMetrics)
	if m0.Kind == store.KindModel {
		if err := store.SaveMetrics(dir, allMetrics); err != nil {
			return nil, err
		}
	}
	if err := store.SaveCurves(dir, allPoints); err != nil {
		return nil, err
	}
	meta := m0
	meta.Shard, meta.Segments = "", nil
	meta.Start, meta.End = m0.Start, m0.End
	for _, m := range metas {
		meta.Segments = append(meta.Segments, m.Segments...)
		if m.Start.Before(meta.Start) {
			meta.Start = m.Start
		}
		if m.End.After(meta.End) {
			meta.End = m.End
		}
	}
	slices.SortStableFunc(meta.Segments, func(a, b store.Segment) int { return cmp.Compare(a.Start.UnixNano(), b.Start.UnixNano()) })
	if err := store.SaveMeta(dir, meta); err != nil {
		return nil, err
	}
	return res, nil
}

// specRuns returns the estimators and the number of seeds of a [train] or
// [model] spec.
func specRuns(s *spec.Spec) ([]spec.Estimator, int) {
	if s.Train != nil {
		return s.Train.Estimators, s.Train.Seeds
	}
	if s.Model != nil {
		return s.Model.Estimators, s.Model.Seeds
	}
	return nil, 0
}
