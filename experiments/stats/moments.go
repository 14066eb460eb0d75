package stats

import (
	"errors"
	"math"
)

// Moments is a streaming, mergeable accumulator of the count, mean and the
// sums of the second, third and fourth powers of deviations from the mean,
// M_k = Σ (x_i − mean)^k for k = 2, 3, 4.
//
// Add uses the one-pass updates of Welford (1962) extended to the third and
// fourth moments by Terriberry (2007); Merge uses the pairwise formulas of
// Pébay (2008). Both are numerically stable (no sums of raw powers), use
// constant memory and allocate nothing.
//
// Non-finite values (NaN, ±Inf) passed to Add are not accumulated: they are
// counted separately and reported by NonFinite, so that one overflow cannot
// silently turn every statistic into NaN.
//
// The zero value is an empty accumulator ready to use. A Moments is a plain
// value: assigning it copies the state. Statistics that need more
// observations than are available (the variance of fewer than two values)
// are NaN.
//
// For a vector of quantities (one gradient component each), use a []Moments
// with AddVec and MergeVec.
type Moments struct {
	n         int
	nonfinite int
	mean      float64
	m2        float64
	m3        float64
	m4        float64
}

// FromSums returns the accumulator with the given state, as reported by N,
// NonFinite and Sums: use it to restore a saved accumulator. It returns an
// error if a count is negative, a value is not finite, m2 or m4 is negative,
// or the sums are not zero when n is zero.
func FromSums(n, nonfinite int, mean, m2, m3, m4 float64) (Moments, error) {
	if n < 0 || nonfinite < 0 {
		return Moments{}, errors.New("stats: negative count")
	}
	for _, v := range []float64{mean, m2, m3, m4} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Moments{}, errors.New("stats: non-finite sum")
		}
	}
	if m2 < 0 || m4 < 0 {
		return Moments{}, errors.New("stats: negative sum of even powers")
	}
	if n == 0 && (mean != 0 || m2 != 0 || m3 != 0 || m4 != 0) {
		return Moments{}, errors.New("stats: non-zero sums with no observations")
	}
	return Moments{n: n, nonfinite: nonfinite, mean: mean, m2: m2, m3: m3, m4: m4}, nil
}

// Add accumulates one observation. A NaN or infinite x is not accumulated
// and is counted by NonFinite instead.
func (m *Moments) Add(x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		m.nonfinite++
		return
	}
	n1 := float64(m.n)
	m.n++
	n := float64(m.n)
	delta := x - m.mean
	dn := delta / n
	dn2 := float64(dn * dn)
	t1 := float64(float64(delta*dn) * n1) // δ²(n−1)/n
	// Every product is rounded explicitly (float64(…)) before it is added,
	// which forbids fused multiply-adds and keeps results identical across
	// platforms.
	m.mean += dn
	m.m4 += float64(float64(t1*dn2)*(float64(n*n)-float64(3*n)+3)) +
		float64(6*dn2*m.m2) - float64(4*dn*m.m3)
	m.m3 += float64(float64(t1*dn)*(n-2)) - float64(3*dn*m.m2)
	m.m2 += t1
}

// Merge adds the observations accumulated in o to m, as if they had been
// passed to m.Add (up to rounding). The result depends on the order of
// operands only through rounding; merge blocks in a fixed order for
// reproducible results.
func (m *Moments) Merge(o *Moments) {
	m.nonfinite += o.nonfinite
	if o.n == 0 {
		return
	}
	if m.n == 0 {
		nf := m.nonfinite
		*m = *o
		m.nonfinite = nf
		return
	}
	na, nb := float64(m.n), float64(o.n)
	n := na + nb
	d := o.mean - m.mean
	dn := d / n
	dn2 := float64(dn * dn)
	t := float64(float64(float64(d*dn)*na) * nb) // d² na nb / n
	m2 := m.m2 + o.m2 + t
	m3 := m.m3 + o.m3 + float64(float64(t*dn)*(na-nb)) +
		float64(float64(3*dn)*(float64(na*o.m2)-float64(nb*m.m2)))
	m4 := m.m4 + o.m4 +
		float64(float64(t*dn2)*(float64(na*na)-float64(na*nb)+float64(nb*nb))) +
		float64(float64(6*dn2)*(float64(float64(na*na)*o.m2)+float64(float64(nb*nb)*m.m2))) +
		float64(float64(4*dn)*(float64(na*o.m3)-float64(nb*m.m3)))
	m.mean += float64(nb * dn)
	m.n += o.n
	m.m2, m.m3, m.m4 = m2, m3, m4
}

// N returns the number of finite observations accumulated.
func (m *Moments) N() int { return m.n }

// NonFinite returns the number of NaN or infinite values passed to Add (and
// to the accumulators merged into m), none of which is in the statistics.
func (m *Moments) NonFinite() int { return m.nonfinite }

// Sums returns the mean and the sums of powers of deviations from it,
// M_k = Σ (x_i − mean)^k, k = 2, 3, 4. With N and NonFinite they are the
// whole state of m (see FromSums).
func (m *Moments) Sums() (mean, m2, m3, m4 float64) {
	return m.mean, m.m2, m.m3, m.m4
}

// Mean returns the sample mean, or NaN if there are no observations.
func (m *Moments) Mean() float64 {
	if m.n == 0 {
		return math.NaN()
	}
	return m.mean
}

// Variance returns the unbiased sample variance M_2/(n−1), or NaN if there
// are fewer than two observations.
func (m *Moments) Variance() float64 {
	if m.n < 2 {
		return math.NaN()
	}
	return m.m2 / float64(m.n-1)
}

// SD returns the square root of Variance.
func (m *Moments) SD() float64 { return math.Sqrt(m.Variance()) }

// SE returns the standard error of the mean, sqrt(Variance/n), or NaN if
// there are fewer than two observations.
func (m *Moments) SE() float64 {
	return math.Sqrt(m.Variance() / float64(m.n))
}

// Skewness returns the sample skewness with population moments,
// m_3/m_2^{3/2} where m_k = M_k/n; NaN if there are fewer than two
// observations or they are all equal.
func (m *Moments) Skewness() float64 {
	if m.n < 2 || m.m2 == 0 {
		return math.NaN()
	}
	n := float64(m.n)
	return math.Sqrt(n) * m.m3 / math.Pow(m.m2, 1.5)
}

// Kurtosis returns the sample kurtosis with population moments,
// b_2 = m_4/m_2² = n M_4/M_2² where m_k = M_k/n (not the excess: a normal
// sample gives about 3). It is at least 1 up to rounding. It is NaN if there
// are fewer than two observations or they are all equal.
func (m *Moments) Kurtosis() float64 {
	if m.n < 2 || m.m2 == 0 {
		return math.NaN()
	}
	return float64(m.n) * m.m4 / (m.m2 * m.m2)
}

// AddVec adds x[i] to dst[i] for each i: dst holds one accumulator per
// component of a vector observation. It panics if the lengths differ.
func AddVec(dst []Moments, x []float64) {
	if len(dst) != len(x) {
		panic("stats: AddVec length mismatch")
	}
	for i, v := range x {
		dst[i].Add(v)
	}
}

// MergeVec merges src[i] into dst[i] for each i. It panics if the lengths
// differ.
func MergeVec(dst, src []Moments) {
	if len(dst) != len(src) {
		panic("stats: MergeVec length mismatch")
	}
	for i := range src {
		dst[i].Merge(&src[i])
	}
}
