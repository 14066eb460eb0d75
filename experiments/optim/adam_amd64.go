//go:build amd64 && !purego

package optim

// adamVector updates the first len(g) &^ 1 coordinates as Adam.Step's loop
// does, two at a time (adamSSE2, in adam_amd64.s: SSE2, which every amd64
// processor has), and returns how many it updated. k holds β1, 1 − β1,
// β2, 1 − β2, c1, c2, lr and ε.
func adamVector(x, g, m, v []float64, k *[8]float64) int {
	n := len(g) &^ 1
	if n > 0 {
		adamSSE2(x[:n], g[:n], m[:n], v[:n], k)
	}
	return n
}

// adamSSE2 is adamVector's loop over len(g) (even) coordinates.
//
//go:noescape
func adamSSE2(x, g, m, v []float64, k *[8]float64)
