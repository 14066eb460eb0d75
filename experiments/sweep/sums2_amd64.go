package sweep

// sums2 writes into out the shifted power sums of the pairs of buf:
// out = [p1, q1, p2, q2, p3, q3, p4, q4], p the sums of the even-indexed
// values minus sh0 (Σy, Σy², Σy³, Σy⁴), q those of the odd-indexed values
// minus sh1, each added in order from 0, as sums2Go does. In SSE2.
//
//go:noescape
func sums2(buf []float64, sh0, sh1 float64, out *[8]float64)
