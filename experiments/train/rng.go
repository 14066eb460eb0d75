package train

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
)

// Random streams of one run: the training stream drives the gradient
// estimates that move θ; the measuring stream drives everything recorded
// about θ (Monte Carlo objectives, variance draws), so that measuring more
// or less often does not change the trajectory.
const (
	streamTrain   = "train"
	streamMeasure = "measure"
)

// newRNG returns the PCG generator of one stream of one run, seeded by a
// stable hash of (spec seed, estimator label, run index, stream name): FNV-1a
// over a fixed byte encoding, spread to two 64-bit words by SplitMix64. The
// stream depends on nothing else, so results do not depend on the number
// of workers or the order in which runs are scheduled.
func newRNG(specSeed uint64, label string, run int, stream string) *rand.Rand {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], specSeed)
	h.Write([]byte("gradbench/train\x00"))
	h.Write(b[:])
	h.Write([]byte(label))
	h.Write([]byte{0})
	binary.LittleEndian.PutUint64(b[:], uint64(run))
	h.Write(b[:])
	h.Write([]byte(stream))
	s := h.Sum64()
	s1 := splitmix64(&s)
	s2 := splitmix64(&s)
	return rand.New(rand.NewPCG(s1, s2))
}

// splitmix64 advances *s and returns the next SplitMix64 output.
func splitmix64(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
