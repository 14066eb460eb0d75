package sweep

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/stats"
)

// streamID returns the second PCG word of the random stream of replication
// block b of the cell with the given key: the 64-bit FNV-1a hash of the key
// followed by b as 8 little-endian bytes. It is the same on every platform.
func streamID(key string, b int) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= prime
	}
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(b))
	for _, c := range buf {
		h ^= uint64(c)
		h *= prime
	}
	return h
}

// blockRNG returns the generator of replication block b of a cell.
func blockRNG(seed uint64, key string, b int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, streamID(key, b)))
}

// accumulator holds the statistics of one replication block: shifted power
// sums per gradient component (cheap to update in the hot loop), converted
// to stats.Moments when the block ends.
type accumulator struct {
	grad                  []float64
	shift, s1, s2, s3, s4 []float64
	n, nonfinite          int
	evalsF, evalsGrad     int64
}

func newAccumulator(np int) *accumulator {
	a := &accumulator{}
	a.resize(np)
	return a
}

func (a *accumulator) resize(np int) {
	if cap(a.grad) < np {
		a.grad = make([]float64, np)
		a.shift, a.s1, a.s2, a.s3, a.s4 = make([]float64, np), make([]float64, np), make([]float64, np), make([]float64, np), make([]float64, np)
	}
	a.grad, a.shift, a.s1, a.s2, a.s3, a.s4 = a.grad[:np], a.shift[:np], a.s1[:np], a.s2[:np], a.s3[:np], a.s4[:np]
	clear(a.s1)
	clear(a.s2)
	clear(a.s3)
	clear(a.s4)
	a.n, a.nonfinite, a.evalsF, a.evalsGrad = 0, 0, 0, 0
}

// run draws count estimates into the accumulator. An estimate with any
// non-finite component is counted and left out of every component's sums.
// It allocates nothing.
func (a *accumulator) run(est estimators.Estimator, p dist.Distribution, f objective.Objective, n, count int, rng *rand.Rand) error {
	grad := a.grad
	for range count {
		c, err := est.Estimate(grad, p, f, n, rng)
		if err != nil {
			return err
		}
		a.evalsF += int64(c.F)
		a.evalsGrad += int64(c.Grad)
		finite := true
		for _, v := range grad {
			if v-v != 0 { // NaN or ±Inf
				finite = false
			}
		}
		if !finite {
			a.nonfinite++
			continue
		}
		if a.n == 0 {
			copy(a.shift, grad)
		}
		a.n++
		s1, s2, s3, s4, shift := a.s1[:len(grad)], a.s2[:len(grad)], a.s3[:len(grad)], a.s4[:len(grad)], a.shift[:len(grad)]
		for j, v := range grad {
			y := v - shift[j]
			y2 := y * y
			s1[j] += y
			s2[j] += y2
			s3[j] += y2 * y
			s4[j] += y2 * y2
		}
	}
	return nil
}

// moments converts the block's sums to one stats.Moments per component,
// written into dst (len = number of components).
func (a *accumulator) moments(dst []stats.Moments) error {
	n := float64(a.n)
	for j := range dst {
		if a.n == 0 {
			m, err := stats.FromSums(0, a.nonfinite, 0, 0, 0, 0)
			if err != nil {
				return err
			}
			dst[j] = m
			continue
		}
		d := a.s1[j] / n
		m2 := a.s2[j] - n*d*d
		m3 := a.s3[j] - 3*d*a.s2[j] + 2*n*d*d*d
		m4 := a.s4[j] - 4*d*a.s3[j] + 6*d*d*a.s2[j] - 3*n*d*d*d*d
		m, err := stats.FromSums(a.n, a.nonfinite, a.shift[j]+d, max(m2, 0), m3, max(m4, 0))
		if err != nil {
			return err
		}
		dst[j] = m
	}
	return nil
}
