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

// chunk is the number of estimates buffered before they are accumulated.
const chunk = 256

// accumulator holds the statistics of one replication block: per gradient
// component, shifted power sums, converted to stats.Moments when the block
// ends. Estimates are written into a buffer of up to chunk estimates and
// accumulated in a tight loop after each chunk, which keeps the work per
// estimate outside the estimator small.
type accumulator struct {
	np  int
	buf []float64 // chunk estimates, estimate i at buf[i*np : (i+1)*np]
	ok  []bool    // whether estimate i of the chunk is finite
	// sums holds, for component j, sums[5j : 5j+5] = shift, Σy, Σy², Σy³,
	// Σy⁴ with y = estimate − shift, the shift being the block's first
	// finite estimate.
	sums              []float64
	n, nonfinite      int
	evalsF, evalsGrad int64
}

func newAccumulator(np int) *accumulator {
	a := &accumulator{}
	a.resize(np)
	return a
}

// resize empties the accumulator for np components.
func (a *accumulator) resize(np int) {
	if cap(a.sums) < 5*np {
		a.buf, a.sums = make([]float64, chunk*np), make([]float64, 5*np)
	}
	if a.ok == nil {
		a.ok = make([]bool, chunk)
	}
	a.np, a.buf, a.sums = np, a.buf[:chunk*np], a.sums[:5*np]
	clear(a.sums)
	a.n, a.nonfinite, a.evalsF, a.evalsGrad = 0, 0, 0, 0
}

// run draws count estimates into the accumulator, chunk estimates at a time
// through estimators.Replicate (the estimator's batched replications, or
// the loop over Estimate). An estimate with any
// non-finite component is counted and left out of every component's sums.
// It allocates nothing.
func (a *accumulator) run(est estimators.Estimator, p dist.Distribution, f objective.Objective, n, count int, rng *rand.Rand) error {
	np := a.np
	var evalsF, evalsGrad int64
	for done := 0; done < count; {
		m := min(chunk, count-done)
		c, err := estimators.Replicate(est, a.buf[:m*np], p, f, n, m, rng)
		if err != nil {
			return err
		}
		evalsF += int64(c.F)
		evalsGrad += int64(c.Grad)
		a.absorb(m)
		done += m
	}
	a.evalsF += evalsF
	a.evalsGrad += evalsGrad
	return nil
}

// absorb adds the first m buffered estimates to the sums.
func (a *accumulator) absorb(m int) {
	if !a.absorbFinite(m) {
		a.absorbMasked(m)
	}
}

// absorbFinite adds the m buffered estimates to the sums and returns true
// if every sum stays finite, which is the case when every estimate is
// finite (short of overflow). Otherwise it changes nothing and returns
// false. On success, the result is the same as absorbMasked's.
func (a *accumulator) absorbFinite(m int) bool {
	np, buf := a.np, a.buf[:m*a.np]
	if np > 8 {
		return false
	}
	if a.n == 0 {
		for j := range np {
			a.sums[5*j] = buf[j]
		}
	}
	if np == 2 {
		return a.absorbFinite2(m)
	}
	return a.absorbFiniteN(m)
}

// absorbFiniteN is absorbFinite for any number of components, one
// component at a time. a.n == 0 has been handled.
func (a *accumulator) absorbFiniteN(m int) bool {
	np, buf := a.np, a.buf[:m*a.np]
	var tmp [4 * 8]float64
	for j := range np {
		shift := a.sums[5*j]
		var s1, s2, s3, s4 float64
		for i := j; i < len(buf); i += np {
			y := buf[i] - shift
			y2 := y * y
			s1 += y
			s2 += y2
			s3 += float64(y2 * y)
			s4 += float64(y2 * y2)
		}
		if (s1+s2+s3+s4)*0 != 0 {
			return false
		}
		tmp[4*j], tmp[4*j+1], tmp[4*j+2], tmp[4*j+3] = s1, s2, s3, s4
	}
	for j := range np {
		s := a.sums[5*j : 5*j+5 : 5*j+5]
		s[1] += tmp[4*j]
		s[2] += tmp[4*j+1]
		s[3] += tmp[4*j+2]
		s[4] += tmp[4*j+3]
	}
	a.n += m
	return true
}

// The power sums round every product before adding it (the float64
// conversions keep the compiler from fusing a multiply and an add, which
// it may do for GOAMD64=v3 and on arm64), so that every path of the
// accumulator, sums2's SSE2 kernel included, gives the same bits.

// absorbFinite2 is absorbFinite for two components (a family of two
// parameters, such as the normal's μ and σ): both components' sums in one
// pass (sums2), whose sums add the same terms in the same order as
// absorbFiniteN's loop per component, so the result is bit for bit the
// same. a.n == 0 has been handled.
func (a *accumulator) absorbFinite2(m int) bool {
	var t [8]float64
	sums2(a.buf[:2*m], a.sums[0], a.sums[5], &t)
	if (t[0]+t[1]+t[2]+t[3]+t[4]+t[5]+t[6]+t[7])*0 != 0 {
		return false
	}
	s := a.sums[:10:10]
	s[1] += t[0]
	s[2] += t[2]
	s[3] += t[4]
	s[4] += t[6]
	s[6] += t[1]
	s[7] += t[3]
	s[8] += t[5]
	s[9] += t[7]
	a.n += m
	return true
}

// sums2Go is sums2 in Go.
func sums2Go(buf []float64, sh0, sh1 float64, out *[8]float64) {
	var p1, p2, p3, p4, q1, q2, q3, q4 float64
	for i := 0; i+1 < len(buf); i += 2 {
		y, z := buf[i]-sh0, buf[i+1]-sh1
		y2, z2 := y*y, z*z
		p1 += y
		p2 += y2
		p3 += float64(y2 * y)
		p4 += float64(y2 * y2)
		q1 += z
		q2 += z2
		q3 += float64(z2 * z)
		q4 += float64(z2 * z2)
	}
	*out = [8]float64{p1, q1, p2, q2, p3, q3, p4, q4}
}

// absorbMasked adds the finite ones of the m buffered estimates to the sums
// and counts the others.
func (a *accumulator) absorbMasked(m int) {
	np, buf, ok := a.np, a.buf[:m*a.np], a.ok[:m]
	finite := 0
	for i := range ok {
		z := 0.0
		for _, v := range buf[i*np : (i+1)*np] {
			z += v * 0 // ±0 if v is finite, NaN if it is NaN or ±Inf
		}
		ok[i] = z == 0
		if !ok[i] {
			a.nonfinite++
			continue
		}
		if a.n+finite == 0 {
			for j := range np {
				a.sums[5*j] = buf[i*np+j]
			}
		}
		finite++
	}
	a.n += finite
	if finite == 0 {
		return
	}
	for j := range np {
		s := a.sums[5*j : 5*j+5 : 5*j+5]
		shift := s[0]
		var s1, s2, s3, s4 float64
		for i, good := range ok {
			if good {
				y := buf[i*np+j] - shift
				y2 := y * y
				s1 += y
				s2 += y2
				s3 += float64(y2 * y)
				s4 += float64(y2 * y2)
			}
		}
		s[1] += s1
		s[2] += s2
		s[3] += s3
		s[4] += s4
	}
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
		s := a.sums[5*j : 5*j+5]
		d := s[1] / n
		m2 := s[2] - n*d*d
		m3 := s[3] - 3*d*s[2] + 2*n*d*d*d
		m4 := s[4] - 4*d*s[3] + 6*d*d*s[2] - 3*n*d*d*d*d
		m, err := stats.FromSums(a.n, a.nonfinite, s[0]+d, max(m2, 0), m3, max(m4, 0))
		if err != nil {
			return err
		}
		dst[j] = m
	}
	return nil
}
