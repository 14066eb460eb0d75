package train

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

// Streams are the random generators of one training run (estimator label ×
// seed). Each is a PCG stream derived from (spec seed, scope, seed index,
// stream name) by newPCG, where the scope is the estimator's label for the
// estimator's own draws and empty for everything the estimators of one seed
// share. So, within one seed, every estimator's run sees the same initial
// weights, minibatch order, dynamic binarisation, decoder samples,
// evaluation subsets and evaluation samples (common random numbers); only
// the estimator's own draws differ. Nothing depends on the number of
// workers, on shards or on resumption: every stream is saved in checkpoints.
type Streams struct {
	// Estimator drives the training estimator's own draws (scope: label).
	Estimator *rand.Rand
	// Data drives the rest of a training step, shared by the estimators of
	// a seed: minibatch order, dynamic binarisation, samples that are not
	// the estimator's (the decoder's).
	Data *rand.Rand
	// Eval drives evaluations (subsets, binarisation, Monte Carlo samples
	// of objectives and bounds), shared by the estimators of a seed.
	Eval *rand.Rand
	// Variance drives the measuring estimator's draws (scope: label).
	Variance *rand.Rand
	// VarianceData drives what a variance measurement shares between
	// estimators: the minibatches it is measured on and their binarisation.
	VarianceData *rand.Rand

	pcg []*rand.PCG
}

// Stream names: the estimator-scoped streams keep the names they had
// when each run had one training and one measuring stream, so that runs
// of [train] specs that use no shared randomness are unchanged.
var streamNames = []struct {
	name   string
	shared bool
}{{"train", false}, {"data", true}, {"eval", true}, {"measure", false}, {"variance-data", true}}

// newStreams returns the streams of the run of label at seed index seed.
func newStreams(specSeed uint64, label string, seed int) *Streams {
	s := &Streams{}
	for _, n := range streamNames {
		scope := label
		if n.shared {
			scope = ""
		}
		s.pcg = append(s.pcg, newPCG(specSeed, scope, seed, n.name))
	}
	s.Estimator, s.Data, s.Eval = rand.New(s.pcg[0]), rand.New(s.pcg[1]), rand.New(s.pcg[2])
	s.Variance, s.VarianceData = rand.New(s.pcg[3]), rand.New(s.pcg[4])
	return s
}

// initRNG returns the generator of a seed's initial weights, shared by the
// estimators of that seed.
func initRNG(specSeed uint64, seed int) *rand.Rand {
	return rand.New(newPCG(specSeed, "", seed, "init"))
}

// state returns the state of every stream, for a checkpoint.
func (s *Streams) state() ([][]byte, error) {
	out := make([][]byte, len(s.pcg))
	for i, p := range s.pcg {
		b, err := p.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// setState restores a state returned by state.
func (s *Streams) setState(st [][]byte) error {
	if len(st) != len(s.pcg) {
		return fmt.Errorf("%d random streams in the checkpoint, want %d", len(st), len(s.pcg))
	}
	for i, b := range st {
		if err := s.pcg[i].UnmarshalBinary(b); err != nil {
			return fmt.Errorf("random stream %s: %w", streamNames[i].name, err)
		}
	}
	return nil
}

// newPCG returns the PCG source of one stream, seeded by a stable hash of
// (spec seed, scope, seed index, stream name): FNV-1a over a fixed byte
// encoding, spread to two 64-bit words by SplitMix64. It is the one seed
// derivation of training runs.
func newPCG(specSeed uint64, scope string, run int, stream string) *rand.PCG {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], specSeed)
	h.Write([]byte("gradbench/train\x00"))
	h.Write(b[:])
	h.Write([]byte(scope))
	h.Write([]byte{0})
	binary.LittleEndian.PutUint64(b[:], uint64(run))
	h.Write(b[:])
	h.Write([]byte(stream))
	s := h.Sum64()
	s1 := splitmix64(&s)
	s2 := splitmix64(&s)
	return rand.NewPCG(s1, s2)
}

// splitmix64 advances *s and returns the next SplitMix64 output.
func splitmix64(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
