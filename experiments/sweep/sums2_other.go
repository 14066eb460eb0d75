//go:build !amd64

package sweep

func sums2(buf []float64, sh0, sh1 float64, out *[8]float64) { sums2Go(buf, sh0, sh1, out) }
