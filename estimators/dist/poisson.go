package dist

import (
	"math"
	"math/rand/v2"
)

// Poisson is the Poisson distribution with mean Lambda, P(x = k) =
// λ^k e^{−λ}/k! for k = 0, 1, …, with parameter θ = (lambda).
//
// Its support is infinite, so it does not implement Finite. Rand uses
// sequential inversion for λ < 10 and the transformed rejection method PTRS of
// Hörmann (1993) for λ ≥ 10, so its cost is bounded in λ.
//
// It has the measure-valued derivative of Mohamed et al. (2020, §6, Table
// 1): ∂/∂λ E[f] = E[f(Z + 1)] − E[f(Z)] with Z ~ Poisson(λ), so c = 1,
// p⁺ is the law of Z + 1 and p⁻ is the family itself.
type Poisson struct {
	Lambda float64
}

var poissonParams = []string{"lambda"}

// NewPoisson returns the Poisson distribution with mean lambda, or an error
// if lambda is not finite and positive.
func NewPoisson(lambda float64) (Poisson, error) {
	p := Poisson{Lambda: lambda}
	return p, p.Validate()
}

// Validate returns an error if the parameters are invalid.
func (p Poisson) Validate() error { return checkPositive("poisson", "lambda", p.Lambda) }

// Name returns "poisson".
func (Poisson) Name() string { return "poisson" }

// Dim returns 1.
func (Poisson) Dim() int { return 1 }

// NumParams returns 1.
func (Poisson) NumParams() int { return 1 }

// ParamNames returns ["lambda"].
func (Poisson) ParamNames() []string { return poissonParams }

// Params writes (lambda) into dst and returns it.
func (p Poisson) Params(dst []float64) []float64 {
	dst = useDst("Poisson.Params", dst, 1)
	dst[0] = p.Lambda
	return dst
}

// WithParams returns the Poisson distribution with mean theta[0].
func (Poisson) WithParams(theta []float64) (Distribution, error) {
	checkLen("Poisson.WithParams", theta, 1)
	m, err := NewPoisson(theta[0])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Rand draws x ~ Poisson(Lambda).
func (p Poisson) Rand(x []float64, rng *rand.Rand) { x[0] = poissonRand(p.Lambda, rng) }

// poissonRand draws from Poisson(lam): by inversion for lam < 10, by PTRS
// otherwise.
func poissonRand(lam float64, rng *rand.Rand) float64 {
	if lam < 10 {
		return poissonInversion(lam, rng)
	}
	return poissonPTRS(lam, rng)
}

// poissonInversion draws by sequential search of the CDF, for small lam.
func poissonInversion(lam float64, rng *rand.Rand) float64 {
	u := rng.Float64()
	pk := math.Exp(-lam)
	cdf := pk
	k := 0.0
	for u > cdf {
		k++
		pk *= lam / k
		if pk == 0 {
			// Rounding left u above the computed total mass; the tail
			// beyond here has negligible probability.
			break
		}
		cdf += pk
	}
	return k
}

// poissonPTRS draws by transformed rejection with squeeze (Hörmann 1993),
// for lam ≥ 10.
func poissonPTRS(lam float64, rng *rand.Rand) float64 {
	slam := math.Sqrt(lam)
	loglam := math.Log(lam)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := rng.Float64() - 0.5
		v := rng.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lam + 0.43)
		if us >= 0.07 && v <= vr {
			return k
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lk1, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -lam+k*loglam-lk1 {
			return k
		}
	}
}

// LogProb returns k log λ − λ − log k! for a non-negative integer k = x[0],
// −Inf otherwise.
func (p Poisson) LogProb(x []float64) float64 {
	k := x[0]
	if !isCount(k) {
		return math.Inf(-1)
	}
	lk1, _ := math.Lgamma(k + 1)
	return xlogy(k, p.Lambda) - p.Lambda - lk1
}

// Score writes ∂/∂λ log p(x) = x/λ − 1 into dst.
func (p Poisson) Score(dst, x []float64) { dst[0] = x[0]/p.Lambda - 1 }

// MVDSample draws the positive and negative parts for parameter j (only 0,
// lambda; it panics otherwise) and returns c = 1. The positive part is
// Z + 1 and the negative part Z, Z ~ Poisson(λ) (from λ ∂p(k)/∂λ =
// k p(k) − λ p(k) and k p(k) = λ p(k − 1)). Coupled, they share Z (xm is the
// draw Rand would make, xp = xm + 1); uncoupled, the negative part uses a
// second, independent draw.
func (p Poisson) MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64 {
	if j != 0 {
		panic("dist: poisson MVD parameter index out of range")
	}
	xp[0], xm[0] = poissonMVD(p.Lambda, coupled, rng)
	return 1
}

// MVDSampleN draws the pairs of len(c) samples (see BatchMeasureValued).
func (p Poisson) MVDSampleN(xp, xm, c []float64, coupled bool, rng *rand.Rand) {
	for u := range c {
		xp[u], xm[u] = poissonMVD(p.Lambda, coupled, rng)
		c[u] = 1
	}
}

// poissonMVD draws the pair (Z + 1, Z') of the Poisson(lam) measure-valued
// derivative, Z' = Z when coupled and an independent draw otherwise.
func poissonMVD(lam float64, coupled bool, rng *rand.Rand) (xp, xm float64) {
	z := poissonRand(lam, rng)
	if coupled {
		return z + 1, z
	}
	return z + 1, poissonRand(lam, rng)
}

// Mean writes λ.
func (p Poisson) Mean(dst []float64) { dst[0] = p.Lambda }

// Variance writes λ.
func (p Poisson) Variance(dst []float64) { dst[0] = p.Lambda }

// MomentsVJP adds a + b to dst (∂E/∂λ = ∂Var/∂λ = 1).
func (Poisson) MomentsVJP(dst, a, b []float64) { dst[0] += a[0] + b[0] }

func init() {
	Register(Family{
		Name: "poisson",
		Doc:  "Poisson(lambda), discrete, infinite support; measure-valued, moments",
		Params: []Param{
			{Name: "lambda", Default: 1, Doc: "mean λ, > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewPoisson(p["lambda"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
