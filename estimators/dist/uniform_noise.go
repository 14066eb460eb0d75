package dist

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// UniformNoise is a reparameterized family whose base noise is a function
// of uniforms, ε = G(u) with u uniform on (0, 1)^Dim, coordinate by
// coordinate and increasing: samples can then come from antithetic pairs
// or quasi-Monte Carlo points instead of independent draws.
type UniformNoise interface {
	Reparameterized
	// NoiseFromUniform writes into eps the noise of the rows of u (Dim
	// values each, every one in (0, 1)); len(eps) = len(u).
	NoiseFromUniform(eps, u []float64)
}

// normalNoise writes ε = Φ⁻¹(u) for each value of u.
func normalNoise(eps, u []float64) {
	for i, v := range u {
		eps[i] = mathext.NormalQuantile(v)
	}
}

// exponentialNoise writes ε = −log(1 − u), the Exp(1) quantile.
func exponentialNoise(eps, u []float64) {
	for i, v := range u {
		eps[i] = -math.Log1p(-v)
	}
}

// NoiseFromUniform writes ε = Φ⁻¹(u) (see UniformNoise).
func (Normal) NoiseFromUniform(eps, u []float64) { normalNoise(eps, u) }

// NoiseFromUniform writes ε = Φ⁻¹(u) (see UniformNoise).
func (LogNormal) NoiseFromUniform(eps, u []float64) { normalNoise(eps, u) }

// NoiseFromUniform writes ε = Φ⁻¹(u) per coordinate (see UniformNoise).
func (MVNDiag) NoiseFromUniform(eps, u []float64) { normalNoise(eps, u) }

// NoiseFromUniform writes the Exp(1) quantile ε = −log(1 − u) (see
// UniformNoise).
func (Exponential) NoiseFromUniform(eps, u []float64) { exponentialNoise(eps, u) }

// NoiseFromUniform writes the Exp(1) quantile ε = −log(1 − u) (see
// UniformNoise).
func (Weibull) NoiseFromUniform(eps, u []float64) { exponentialNoise(eps, u) }

// NoiseFromUniform writes the standard Laplace quantile of u (see
// UniformNoise).
func (Laplace) NoiseFromUniform(eps, u []float64) {
	for i, v := range u {
		if v < 0.5 {
			eps[i] = math.Log(2 * v)
		} else {
			eps[i] = -math.Log(2 * (1 - v))
		}
	}
}

// NoiseFromUniform copies u: the Gamma family's noise is the uniform
// itself (see UniformNoise).
func (Gamma) NoiseFromUniform(eps, u []float64) { copy(eps, u) }

// NoiseFromUniform copies u: the Beta family's noise is the uniform
// itself (see UniformNoise).
func (Beta) NoiseFromUniform(eps, u []float64) { copy(eps, u) }
