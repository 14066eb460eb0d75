package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// TestGammaShapeGrad checks ∂y/∂α at fixed u = P(α, y) against central
// finite differences of gonum's independent P (mathext.GammaIncReg),
// −(∂P/∂α)/p, over shapes from 10⁻³ to 10³ and quantiles from 10⁻³ to
// 1 − 10⁻³, to 10⁻⁶ relative (the finite differences themselves are good
// to about 10⁻⁸ here), and against the exact derivative at α = 1, where
// y = −log(1 − u) does not depend on α… and so checks the 0 case too.
func TestGammaShapeGrad(t *testing.T) {
	t.Parallel()
	for _, a := range []float64{1e-3, 0.01, 0.1, 0.5, 1, 1.5, 3, 10, 30, 100, 300, 1000} {
		for _, u := range []float64{1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999} {
			y := Gamma{Alpha: a, Beta: 1}.Quantile(u)
			if !(y > 0) || math.IsInf(y, 0) {
				continue // underflows (tiny α, small u): x = 0, gradient 0
			}
			h := 1e-5 * a
			dP := (mathext.GammaIncReg(a+h, y) - mathext.GammaIncReg(a-h, y)) / (2 * h)
			lg, _ := math.Lgamma(a)
			p := math.Exp((a-1)*math.Log(y) - y - lg)
			want := -dP / p
			got := gammaShapeGrad(a, y)
			if d := math.Abs(got - want); d > 1e-6*math.Abs(want)+1e-12 {
				t.Errorf("α = %g, u = %g (y = %.6g): ∂y/∂α = %.10g, finite differences %.10g (relative error %.2g)", a, u, y, got, want, d/math.Abs(want))
			}
		}
	}
}

// TestGammaReparameterized: Transform is the quantile of the noise and
// PathVJP agrees with central finite differences of Transform in both
// parameters, to 10⁻⁶ relative.
func TestGammaReparameterized(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range []Gamma{{0.3, 2}, {1, 1}, {4, 0.5}, {50, 3}} {
		for range 20 {
			eps, x := []float64{0}, []float64{0}
			g.Noise(eps, rng)
			g.Transform(x, eps)
			grad := []float64{0, 0}
			g.PathVJP(grad, eps, []float64{1})
			for j, th := range []float64{g.Alpha, g.Beta} {
				h := 1e-6 * th
				lo, hi := g, g
				if j == 0 {
					lo.Alpha, hi.Alpha = th-h, th+h
				} else {
					lo.Beta, hi.Beta = th-h, th+h
				}
				xl, xh := []float64{0}, []float64{0}
				lo.Transform(xl, eps)
				hi.Transform(xh, eps)
				fd := (xh[0] - xl[0]) / (2 * h)
				if d := math.Abs(grad[j] - fd); d > 1e-6*math.Abs(fd)+1e-9*x[0] {
					t.Errorf("%v, u = %g: ∂x/∂θ_%d = %.10g, finite differences %.10g", g, eps[0], j, grad[j], fd)
				}
			}
		}
	}
}

// BenchmarkGammaImplicit times a reparameterized Gamma sample (the quantile
// of a uniform) and its path derivative beside the family's Marsaglia–Tsang
// sampler.
func BenchmarkGammaImplicit(b *testing.B) {
	for _, a := range []float64{0.5, 5, 500} {
		g := Gamma{Alpha: a, Beta: 1}
		b.Run(fmt.Sprintf("alpha=%g/sampler", a), func(b *testing.B) {
			rng, x := rand.New(rand.NewPCG(1, 2)), []float64{0}
			for b.Loop() {
				g.Rand(x, rng)
			}
		})
		b.Run(fmt.Sprintf("alpha=%g/quantile+grad", a), func(b *testing.B) {
			rng, eps, x, grad := rand.New(rand.NewPCG(1, 2)), []float64{0}, []float64{0}, []float64{0, 0}
			for b.Loop() {
				g.Noise(eps, rng)
				g.Transform(x, eps)
				g.PathVJP(grad, eps, []float64{1})
			}
		})
	}
}

// TestGammaQuantile: gammaQuantile inverts gonum's P (mathext.GammaIncReg)
// to 10⁻¹² absolute in u over shapes from 10⁻³ to 10³.
func TestGammaQuantile(t *testing.T) {
	t.Parallel()
	for _, a := range []float64{1e-3, 0.01, 0.1, 0.5, 1, 1.5, 3, 10, 100, 1000} {
		for _, u := range []float64{1e-9, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-9} {
			y := gammaQuantile(a, u)
			if y == 0 {
				continue // underflow
			}
			if got := mathext.GammaIncReg(a, y); math.Abs(got-u) > 1e-12 {
				t.Errorf("α = %g: P(α, gammaQuantile(α, %g) = %g) = %.15g", a, u, y, got)
			}
		}
	}
}
