//go:build !amd64 || purego

package optim

// adamVector updates no coordinate: Adam.Step's scalar loop does them all.
func adamVector(x, g, m, v []float64, k *[8]float64) int { return 0 }
