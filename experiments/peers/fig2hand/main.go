// Command fig2hand computes the Fig. 2 sweep of experiments/peers/fig2-peer.toml
// in a hand-written Go loop: the speed limit of Go code that draws its
// normals from math/rand/v2, for make bench-peers (experiments/peers/fig2.sh)
// to set beside gradbench, numpy and PyTorch.
//
// For each of 100 values of k in [−3, 3] and each of the score-function and
// pathwise estimators, R = 10⁵ one-sample estimates of the gradient of
// E (x − k)², x ~ N(1, 1), with respect to (μ, σ), from that cell's own
// PCG stream as gradbench draws them (2·10⁷ normals in all; the numpy
// script draws 10⁷ and shares them between the estimators), and the mean
// and variance of each component from shifted sums: the loop gradbench's
// runner would be if it knew the family, the objective, the estimator and
// n = 1 at compile time, and computed no third and fourth moments, no
// confidence intervals and no files.
//
// It prints "COMPUTE <seconds>" (the sweep, after start-up) and a check
// line: the pathwise ∂μ variance at k = 1, which is 4σ² = 4.
package main

import (
	"fmt"
	"math/rand/v2"
	"time"
)

const (
	mu, sigma = 1.0, 1.0
	reps      = 100_000
	points    = 100
	seed      = 2020002
)

// stats holds the shifted sums of one cell's two components.
type stats struct {
	shift, s1, s2 [2]float64
}

func (s *stats) add(r int, g0, g1 float64) {
	if r == 0 {
		s.shift = [2]float64{g0, g1}
	}
	y0, y1 := g0-s.shift[0], g1-s.shift[1]
	s.s1[0] += y0
	s.s2[0] += y0 * y0
	s.s1[1] += y1
	s.s2[1] += y1 * y1
}

// meanVar returns the mean and the (n − 1) variance of component j.
func (s *stats) meanVar(j int) (float64, float64) {
	n := float64(reps)
	d := s.s1[j] / n
	return s.shift[j] + d, (s.s2[j] - n*d*d) / (n - 1)
}

func pathwise(k float64, rng *rand.Rand) (s stats) {
	for r := range reps {
		e := rng.NormFloat64()
		g := 2 * (mu + sigma*e - k)
		s.add(r, g, g*e)
	}
	return s
}

func score(k float64, rng *rand.Rand) (s stats) {
	for r := range reps {
		x := mu + sigma*rng.NormFloat64()
		f := (x - k) * (x - k)
		z := (x - mu) / sigma
		s.add(r, f*(z/sigma), f*((z*z-1)/sigma))
	}
	return s
}

func main() {
	t0 := time.Now()
	var check float64
	var cells int
	for i := range points {
		k := -3 + 6*float64(i)/(points-1)
		for e, est := range []func(float64, *rand.Rand) stats{score, pathwise} {
			s := est(k, rand.New(rand.NewPCG(seed, uint64(2*i+e))))
			cells++
			if e == 1 && i == 66 { // k ≈ 1
				_, check = s.meanVar(0)
			}
		}
	}
	fmt.Printf("COMPUTE %.4f\n", time.Since(t0).Seconds())
	fmt.Printf("CHECK cells=%d pathwise-dmu-var-at-k=1.0~%.6f (go-hand)\n", cells, check)
}
