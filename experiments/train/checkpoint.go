package train

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/optim"
	"github.com/gradbench/gradbench/experiments/store"
)

// CheckpointDir is the folder inside a results folder that holds the
// checkpoints of an unfinished training experiment; it is removed when
// every run has finished and the results are written.
const CheckpointDir = ".train"

// checkpointFormat changes whenever the checkpoint encoding or what a run
// computes changes incompatibly; -resume refuses checkpoints of another
// format.
const checkpointFormat = 2 // 2: the Bernoulli VAE stores its weights In × Out

// identity identifies the experiment a checkpoint folder belongs to.
type identity struct {
	Format     int    `json:"format"`
	Kind       string `json:"kind"`
	SpecSHA256 string `json:"spec_sha256"`
	Profile    string `json:"profile,omitempty"`
	Shard      string `json:"shard,omitempty"`
	Runs       int    `json:"runs"`
}

// checkpoint is one run's saved state (gob-encoded; floats keep every bit).
type checkpoint struct {
	Format    int
	Run       int
	Label     string
	Seed      int
	State     runState
	Params    [][]float64
	Optim     []optim.State
	Model     []byte
	Estimator []byte
	Streams   [][]byte
}

// checkpointer saves and loads the checkpoints of one results folder.
type checkpointer struct {
	dir string // DIR/.train

	mu       sync.Mutex
	segments []store.Segment // the earlier segments and this one (last)
}

func (c *checkpointer) path(id RunID) string {
	return filepath.Join(c.dir, fmt.Sprintf("run-%04d.ckpt", id.Index))
}

// save writes the checkpoint of run id atomically and adds steps (taken
// since the run's last save) to the current segment.
func (c *checkpointer) save(steps int, id RunID, st *runState, model Model, groups []Group, est estimators.Estimator, r *Streams) error {
	ck := checkpoint{Format: checkpointFormat, Run: id.Index, Label: id.Estimator.Label, Seed: id.Seed, State: *st}
	for _, g := range groups {
		ck.Params = append(ck.Params, g.Params)
		ck.Optim = append(ck.Optim, g.Optimizer.State())
	}
	var err error
	if ck.Model, err = model.MarshalBinary(); err != nil {
		return fmt.Errorf("checkpoint: model state: %w", err)
	}
	if ck.Estimator, err = estimators.MarshalState(est); err != nil {
		return fmt.Errorf("checkpoint: estimator state: %w", err)
	}
	if ck.Streams, err = r.state(); err != nil {
		return fmt.Errorf("checkpoint: random streams: %w", err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&ck); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// The segment is noted first: a process killed between the two
	// counts steps it will redo, never misses steps it saved.
	if err := c.noteProgress(steps); err != nil {
		return err
	}
	if err := store.WriteFileAtomic(c.path(id), buf.Bytes()); err != nil {
		return err
	}
	if afterSave != nil {
		afterSave(id, st.Step)
	}
	return nil
}

// load restores run id from its checkpoint, if there is one, into st,
// model, groups, est and r, and reports whether it did.
func (c *checkpointer) load(id RunID, st *runState, model Model, groups []Group, est estimators.Estimator, r *Streams) (bool, error) {
	data, err := os.ReadFile(c.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	bad := func(format string, args ...any) (bool, error) {
		return false, fmt.Errorf("checkpoint %s: %s; remove the folder to start again", c.path(id), fmt.Sprintf(format, args...))
	}
	var ck checkpoint
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&ck); err != nil {
		return bad("unreadable (%v)", err)
	}
	switch {
	case ck.Format != checkpointFormat:
		return bad("format %d, want %d", ck.Format, checkpointFormat)
	case ck.Run != id.Index || ck.Label != id.Estimator.Label || ck.Seed != id.Seed:
		return bad("holds run %d (%s seed %d), want %s", ck.Run, ck.Label, ck.Seed, id)
	case len(ck.Params) != len(groups) || len(ck.Optim) != len(groups):
		return bad("%d parameter groups, want %d", len(ck.Params), len(groups))
	}
	if err := model.UnmarshalBinary(ck.Model); err != nil {
		return bad("model state: %v", err)
	}
	for i, g := range groups {
		if len(ck.Params[i]) != len(g.Params) {
			return bad("group %s has %d parameters, want %d", g.Name, len(ck.Params[i]), len(g.Params))
		}
		copy(g.Params, ck.Params[i])
		if err := g.Optimizer.SetState(ck.Optim[i]); err != nil {
			return bad("optimizer of %s: %v", g.Name, err)
		}
	}
	if err := model.Update(); err != nil {
		return bad("parameters: %v", err)
	}
	if err := estimators.UnmarshalState(est, ck.Estimator); err != nil {
		return bad("estimator state: %v", err)
	}
	if err := r.setState(ck.Streams); err != nil {
		return bad("%v", err)
	}
	*st = ck.State
	return true, nil
}

const segmentsFile = "segments.json"

// noteProgress adds steps to the current segment and saves the segments,
// so that even a killed segment is recorded up to its last checkpoint.
func (c *checkpointer) noteProgress(steps int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.segments[len(c.segments)-1]
	s.End = time.Now().UTC()
	s.Steps += steps
	data, err := json.MarshalIndent(c.segments, "", "  ")
	if err != nil {
		return err
	}
	return store.WriteFileAtomic(filepath.Join(c.dir, segmentsFile), append(data, '\n'))
}

// openCheckpoints prepares dir/.train for an experiment with identity id:
// a new one, or with resume the existing one if it belongs to the same
// experiment. It starts a new segment.
func openCheckpoints(dir string, id identity, resume bool) (*checkpointer, error) {
	c := &checkpointer{dir: filepath.Join(dir, CheckpointDir)}
	idPath := filepath.Join(c.dir, "id.json")
	data, err := os.ReadFile(idPath)
	switch {
	case err == nil && !resume:
		return nil, fmt.Errorf("%w: %s holds an unfinished run; use -resume to continue it, or another -o", ErrConflict, dir)
	case err == nil:
		var got identity
		if json.Unmarshal(data, &got) != nil {
			return nil, fmt.Errorf("%w: %s: %s is unreadable; remove the folder to start again", ErrConflict, dir, idPath)
		}
		if got != id {
			return nil, fmt.Errorf("%w: %s was started by %s; use another -o", ErrConflict, dir, describe(got, id))
		}
		if data, err := os.ReadFile(filepath.Join(c.dir, segmentsFile)); err == nil {
			if err := json.Unmarshal(data, &c.segments); err != nil {
				return nil, fmt.Errorf("%w: %s: %s is unreadable: %v", ErrConflict, dir, segmentsFile, err)
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return nil, err
		}
		head, _ := json.MarshalIndent(id, "", "  ")
		if err := store.WriteFileAtomic(idPath, append(head, '\n')); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	now := time.Now().UTC()
	c.segments = append(c.segments, store.Segment{Start: now, End: now})
	return c, c.noteProgress(0)
}

// describe says how identity got differs from want.
func describe(got, want identity) string {
	switch {
	case got.Format != want.Format:
		return fmt.Sprintf("a gradbench with checkpoint format %d (this one writes %d)", got.Format, want.Format)
	case got.Kind != want.Kind:
		return fmt.Sprintf("a %s experiment (this spec is a %s experiment)", got.Kind, want.Kind)
	case got.SpecSHA256 != want.SpecSHA256:
		return fmt.Sprintf("another spec (sha256 %.12s, this one %.12s)", got.SpecSHA256, want.SpecSHA256)
	case got.Profile != want.Profile:
		return fmt.Sprintf("profile %q (this run: %q)", got.Profile, want.Profile)
	case got.Shard != want.Shard:
		return fmt.Sprintf("shard %q (this run: %q)", got.Shard, want.Shard)
	}
	return fmt.Sprintf("an experiment of %d runs (this one has %d)", got.Runs, want.Runs)
}
