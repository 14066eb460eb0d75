// Package qmc draws randomized quasi-Monte Carlo point sets: scrambled
// Sobol' nets in base 2, each randomization independent of the others, so
// that replications of an RQMC estimate are i.i.d. and their variance and
// confidence intervals keep their usual meaning.
//
// The direction numbers are those of S. Joe and F. Y. Kuo, "Constructing
// Sobol sequences with better two-dimensional projections", SIAM J. Sci.
// Comput. 30 (2008) 2635–2654, file new-joe-kuo-6.21201 (dimensions 2 to
// MaxDim; dimension 1 is the van der Corput sequence). The scrambling is
// Matoušek's linear matrix scrambling with a digital shift (J. Matoušek,
// "On the L2-discrepancy for anchored boxes", J. Complexity 14, 1998),
// followed by a uniform offset below the 32nd digit, so that every point
// is exactly uniform on (0, 1)^d while the set keeps its net structure.
package qmc

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// joeKuo holds, for dimensions 2 … MaxDim, the degree s of the primitive
// polynomial, its coefficients a (the s − 1 inner bits) and the initial
// direction numbers m_1 … m_s, from Joe and Kuo's new-joe-kuo-6.21201.
var joeKuo = []struct {
	s, a uint32
	m    []uint32
}{
	{1, 0, []uint32{1}},
	{2, 1, []uint32{1, 3}},
	{3, 1, []uint32{1, 3, 1}},
	{3, 2, []uint32{1, 1, 1}},
	{4, 1, []uint32{1, 1, 3, 3}},
	{4, 4, []uint32{1, 3, 5, 13}},
	{5, 2, []uint32{1, 1, 5, 5, 17}},
	{5, 4, []uint32{1, 1, 5, 5, 5}},
	{5, 7, []uint32{1, 1, 7, 11, 19}},
	{5, 11, []uint32{1, 1, 5, 1, 1}},
	{5, 13, []uint32{1, 1, 1, 3, 11}},
	{5, 14, []uint32{1, 3, 5, 5, 31}},
	{6, 1, []uint32{1, 3, 3, 9, 7, 49}},
	{6, 13, []uint32{1, 1, 1, 15, 21, 21}},
	{6, 16, []uint32{1, 3, 1, 13, 27, 49}},
	{6, 19, []uint32{1, 1, 1, 15, 7, 5}},
	{6, 22, []uint32{1, 3, 1, 15, 13, 25}},
	{6, 25, []uint32{1, 1, 5, 5, 19, 61}},
	{7, 1, []uint32{1, 3, 7, 11, 23, 15, 103}},
	{7, 4, []uint32{1, 3, 7, 13, 13, 15, 69}},
}

// MaxDim is the largest dimension of a point set.
const MaxDim = 21

// MaxPoints is the largest number of points of one set, 2³¹.
const MaxPoints = 1 << 31

// digits is the number of base-2 digits of the nets.
const digits = 32

// directions[j][c] is the c-th direction number of dimension j, its
// first digit in bit 31.
var directions = func() [MaxDim][digits]uint32 {
	var v [MaxDim][digits]uint32
	for c := range digits {
		v[0][c] = 1 << (digits - 1 - c)
	}
	for j, p := range joeKuo {
		w := &v[j+1]
		for c := range p.s {
			w[c] = p.m[c] << (digits - 1 - c)
		}
		for c := p.s; c < digits; c++ {
			w[c] = w[c-p.s] ^ w[c-p.s]>>p.s
			for k := uint32(1); k < p.s; k++ {
				w[c] ^= (p.a >> (p.s - 1 - k) & 1) * w[c-k]
			}
		}
	}
	return v
}()

// Sobol draws randomized Sobol' point sets of one dimension: Randomize
// starts a set, Next writes its following points. It is allocation-free
// after NewSobol and not safe for concurrent use.
type Sobol struct {
	d      int
	i      int              // points of the current set written so far
	rows   [][digits]uint32 // per dimension, the rows of the scrambling matrix
	v      [][digits]uint32 // the scrambled direction numbers, the first done of them
	done   int              // scrambled direction numbers per dimension
	x      []uint32         // the current point, before its offset
	offset []float64        // per dimension, in (0, 1): the offset below the last digit
}

// NewSobol returns a generator of d-dimensional sets, 1 ≤ d ≤ MaxDim.
func NewSobol(d int) (*Sobol, error) {
	if d < 1 || d > MaxDim {
		return nil, fmt.Errorf("qmc: dimension %d: want 1 to %d", d, MaxDim)
	}
	return &Sobol{d: d, rows: make([][digits]uint32, d), v: make([][digits]uint32, d),
		x: make([]uint32, d), offset: make([]float64, d)}, nil
}

// Dim returns the dimension of the points.
func (s *Sobol) Dim() int { return s.d }

// Points starts a freshly randomized set and writes its first n points
// into u (n rows of Dim values): Randomize, then Next. It panics if
// len(u) ≠ n·Dim.
func (s *Sobol) Points(u []float64, n int, rng *rand.Rand) {
	if len(u) != n*s.d {
		panic(fmt.Sprintf("qmc: Points: %d values for %d points of dimension %d", len(u), n, s.d))
	}
	s.Randomize(rng)
	s.Next(u)
}

// Randomize starts a new set, independent of the previous ones: for each
// dimension a linear matrix scrambling, a digital shift and an offset
// below the last digit, drawn from rng (the same number of draws whatever
// the set's size).
func (s *Sobol) Randomize(rng *rand.Rand) {
	for j := range s.d {
		// Row r of the lower-triangular scrambling matrix with unit
		// diagonal: digit r of a scrambled number is the parity of the
		// number's digits 0 … r that the row selects.
		for r := range digits {
			before := ^uint32(0) << (digits - r) // digits 0 … r − 1 (none for r = 0)
			s.rows[j][r] = uint32(rng.Uint64())&before | 1<<(digits-1-r)
		}
		s.x[j] = uint32(rng.Uint64()) // the digital shift: point 0
		s.offset[j] = openUnit(rng)
	}
	s.i, s.done = 0, 0
}

// Next writes the set's next len(u)/Dim points into u, each coordinate in
// (0, 1), in Gray-code order: the first 2^m points of a set, written by
// one call or several, form a scrambled (t, m, d)-net. Next panics if
// len(u) is not a multiple of Dim or the set would exceed MaxPoints.
func (s *Sobol) Next(u []float64) {
	if len(u)%s.d != 0 || len(u)/s.d > MaxPoints-s.i {
		panic(fmt.Sprintf("qmc: Next: %d values after %d points of dimension %d", len(u), s.i, s.d))
	}
	const scale = 1.0 / (1 << digits)
	for k := 0; k < len(u); k += s.d {
		if s.i > 0 { // flip the direction of i's lowest set bit
			c := bits.TrailingZeros(uint(s.i))
			for c >= s.done {
				s.scramble()
			}
			for j := range s.d {
				s.x[j] ^= s.v[j][c]
			}
		}
		s.i++
		for j, row := 0, u[k:k+s.d]; j < s.d; j++ {
			// The sum rounds to 1 only in the last cell with an offset
			// within 2⁻⁵³ of 1; such a point is kept just below 1.
			row[j] = min((float64(s.x[j])+s.offset[j])*scale, belowOne)
		}
	}
}

// scramble computes the next direction number of every dimension.
func (s *Sobol) scramble() {
	c := s.done
	for j := range s.d {
		var w uint32
		for r, row := range s.rows[j] {
			w |= uint32(bits.OnesCount32(row&directions[j][c])&1) << (digits - 1 - r)
		}
		s.v[j][c] = w
	}
	s.done++
}

// belowOne is the largest float64 below 1.
const belowOne = 1 - 1.0/(1<<53)

// openUnit returns a uniform number in (0, 1).
func openUnit(rng *rand.Rand) float64 {
	for {
		if u := rng.Float64(); u > 0 {
			return u
		}
	}
}
