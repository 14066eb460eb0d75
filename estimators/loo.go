package estimators

// looRatios holds the buffers of a leave-one-out ratio computation, shared by
// the estimators whose per-sample coefficients must be independent of the
// sample they multiply (score+optimal, delta).
type looRatios struct {
	num, den   []float64 // n×P terms, row i = sample i
	sufN, sufD []float64 // n×P suffix sums; sufN is overwritten by the ratios
	preN, preD []float64 // P running prefix sums
}

// resize readies the buffers for n samples of P components.
func (l *looRatios) resize(n, p int) {
	l.num, l.den = grow(l.num, n*p), grow(l.den, n*p)
	l.sufN, l.sufD = grow(l.sufN, n*p), grow(l.sufD, n*p)
	l.preN, l.preD = grow(l.preN, p), grow(l.preD, p)
}

// ratios computes, for every sample i and component j, the ratio
//
//	r[i][j] = (pastNum[j] + Σ_{k≠i} num[k][j]) / (pastDen[j] + Σ_{k≠i} den[k][j]),
//
// or def where that denominator is 0, and returns the n×P ratios (row i =
// sample i, valid until the next resize). The num and den terms must have
// been written into l.num and l.den. The sums over k ≠ i are formed from
// prefix and suffix sums, not by subtracting sample i from the total, so a
// sample that dominates the total leaves no rounding residue behind.
func (l *looRatios) ratios(n, p int, pastNum, pastDen []float64, def float64) []float64 {
	// Suffix sums: suf[i] = Σ_{k>i} terms[k].
	for j := range p {
		l.sufN[(n-1)*p+j], l.sufD[(n-1)*p+j] = 0, 0
	}
	for i := n - 2; i >= 0; i-- {
		cur, next := l.sufN[i*p:(i+1)*p], l.sufN[(i+1)*p:(i+2)*p]
		curD, nextD := l.sufD[i*p:(i+1)*p], l.sufD[(i+1)*p:(i+2)*p]
		num, den := l.num[(i+1)*p:(i+2)*p], l.den[(i+1)*p:(i+2)*p]
		for j := range p {
			cur[j] = next[j] + num[j]
			curD[j] = nextD[j] + den[j]
		}
	}
	copy(l.preN, pastNum)
	copy(l.preD, pastDen)
	for i := range n {
		row, rowD := l.sufN[i*p:(i+1)*p], l.sufD[i*p:(i+1)*p]
		num, den := l.num[i*p:(i+1)*p], l.den[i*p:(i+1)*p]
		for j := range p {
			d := l.preD[j] + rowD[j]
			r := def
			if d != 0 {
				r = (l.preN[j] + row[j]) / d
			}
			row[j] = r
			l.preN[j] += num[j]
			l.preD[j] += den[j]
		}
	}
	return l.sufN[:n*p]
}
