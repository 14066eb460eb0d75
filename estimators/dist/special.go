package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// softplus returns log(1 + exp(z)) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// sigmoid returns 1/(1 + exp(−z)) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// logGammaRand returns log g with g ~ Gamma(alpha, 1), alpha > 0, by the
// method of Marsaglia and Tsang (2000). For alpha < 1 it uses the boost
// g = g' U^{1/alpha} with g' ~ Gamma(alpha+1, 1), computed in log space so
// that tiny shapes do not underflow. It allocates nothing.
func logGammaRand(alpha float64, rng *rand.Rand) float64 {
	var logBoost float64
	if alpha < 1 {
		// log U with U ∈ (0, 1]: 1 − Float64() is never 0.
		logBoost = math.Log(1-rng.Float64()) / alpha
		alpha++
	}
	d := alpha - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		z := rng.NormFloat64()
		v := 1 + c*z
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := 1 - rng.Float64() // in (0, 1]
		z2 := z * z
		if u < 1-0.0331*z2*z2 || math.Log(u) < 0.5*z2+d*(1-v+math.Log(v)) {
			return math.Log(d*v) + logBoost
		}
	}
}

// laplaceNoise draws from the standard Laplace distribution, density
// exp(−|e|)/2.
func laplaceNoise(rng *rand.Rand) float64 {
	e := rng.ExpFloat64()
	if rng.Uint64()&1 == 0 {
		return -e
	}
	return e
}

// checkProb panics unless 0 ≤ p ≤ 1, naming the method.
func checkProb(method string, p float64) {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("dist: %s: probability %v outside [0, 1]", method, p))
	}
}

// intParam returns v as an int if it is an integer in [lo, hi], else an error
// wrapping ErrParam that names the family and the parameter.
func intParam(family, param string, v float64, lo, hi int) (int, error) {
	if math.IsNaN(v) || v != math.Trunc(v) || v < float64(lo) || v > float64(hi) {
		return 0, paramError(family, param, v, fmt.Sprintf("an integer in [%d, %d]", lo, hi))
	}
	return int(v), nil
}

// paramNames returns the names prefix[0], …, prefix[n−1].
func paramNames(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s[%d]", prefix, i)
	}
	return s
}

// isCount reports whether v is a non-negative integer.
func isCount(v float64) bool {
	return v >= 0 && v == math.Trunc(v) && !math.IsInf(v, 0)
}
