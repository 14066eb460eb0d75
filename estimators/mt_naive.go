package estimators

import (
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// MTNaive is a deliberately naive pathwise estimator for the Gamma family:
// it differentiates the output of Marsaglia and Tsang's (2000) rejection
// sampler with respect to the shape at fixed randomness,
//
//	x = d (1 + c z)³ / β,  d = α − ⅓,  c = 1/√(9d),
//
// as if the accepted normal z did not depend on α, and for α < 1 through
// the boost x = x_{α+1} u^{1/α}. The law of the accepted z does depend on
// α, and the term this ignores (the score of the acceptance, Naesseth et
// al. 2017, "Reparameterization gradients through acceptance-rejection
// sampling algorithms") makes the ∂α component biased; it vanishes as the
// acceptance probability tends to 1 (large α). The ∂β component, x = y/β,
// is exact. The harness measures the bias (spec gamma-naive-bias) against
// the implicit reparameterization, which pathwise uses on Gamma.
type MTNaive struct {
	x, gx []float64
}

// Info describes the estimator.
func (*MTNaive) Info() Info {
	return Info{
		Name:     "mt-naive",
		Summary:  "Gamma only: ∂x/∂α of Marsaglia–Tsang's accepted draw at fixed randomness, no acceptance correction (biased)",
		Unbiased: false,
		Needs:    NeedsGrad,
		Cost:     "1 ∇f",
	}
}

// Supports admits the Gamma family only (Supporter).
func (*MTNaive) Supports(p dist.Distribution, _ objective.Objective, _ int) error {
	if _, ok := p.(dist.Gamma); !ok {
		return Unsupported("mt-naive", "it differentiates the Gamma family's Marsaglia–Tsang sampler; %s is not Gamma", p.Name())
	}
	return nil
}

// Estimate writes the n-sample estimate into grad.
func (e *MTNaive) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	g, ok := p.(dist.Gamma)
	df, ok2 := f.(objective.Differentiable)
	if !ok || !ok2 || n < 1 {
		if err := e.Supports(p, f, n); err != nil {
			return Cost{}, err
		}
		return Cost{}, Check(e.Info(), p, f, n)
	}
	checkGrad(grad, p)
	e.x, e.gx = grow(e.x, 1), grow(e.gx, 1)
	zero(grad)
	for range n {
		y, dy := naiveGamma(g.Alpha, rng)
		e.x[0] = y / g.Beta
		df.Grad(e.gx, e.x)
		grad[0] += e.gx[0] * dy / g.Beta
		grad[1] -= e.gx[0] * e.x[0] / g.Beta
	}
	scale(1/float64(n), grad)
	return Cost{Grad: n}, nil
}

// naiveGamma draws y ~ Gamma(a, 1) by Marsaglia and Tsang's method and
// returns it with its derivative in a at fixed randomness.
func naiveGamma(a float64, rng *rand.Rand) (y, dy float64) {
	if a < 1 { // the boost: y = y' u^{1/a}, y' ~ Gamma(a + 1, 1)
		y1, dy1 := naiveGamma(a+1, rng)
		u := 1 - rng.Float64() // in (0, 1]
		w := math.Pow(u, 1/a)
		return y1 * w, dy1*w - y1*w*math.Log(u)/(a*a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		z := rng.NormFloat64()
		t := 1 + c*z
		if t <= 0 {
			continue
		}
		v := t * t * t
		u := rng.Float64()
		if u < 1-0.0331*z*z*z*z || math.Log(u) < 0.5*z*z+d*(1-v+math.Log(v)) {
			// dy/da = v + 3 d t² z dc/da, with dc/da = −(9/2) c³.
			return d * v, v - 13.5*d*t*t*z*c*c*c
		}
	}
}

func init() {
	Register("mt-naive", func(*Options) (Estimator, error) { return &MTNaive{}, nil })
}
