package dist

import (
	"math"
	"math/rand/v2"
)

// Bernoulli is the Bernoulli distribution on {0, 1} with P(x = 1) = σ(Logit),
// σ the logistic function, with parameter θ = (logit).
//
// It has finite support (outcome i is x = i, for i = 0, 1), known moments,
// and the measure-valued derivative of Mohamed et al. (2020, Table 1),
// ∂/∂p E[f] = f(1) − f(0) with p = σ(logit), which by the chain rule
// dp/dlogit = p(1 − p) becomes ∂/∂logit E[f] = p(1 − p)(f(1) − f(0)).
type Bernoulli struct {
	Logit float64
}

var bernoulliParams = []string{"logit"}

// NewBernoulli returns the Bernoulli distribution with P(x = 1) = σ(logit),
// or an error if logit is not finite.
func NewBernoulli(logit float64) (Bernoulli, error) {
	b := Bernoulli{Logit: logit}
	return b, b.Validate()
}

// Validate returns an error if the parameters are invalid.
func (b Bernoulli) Validate() error { return checkFinite("bernoulli", "logit", b.Logit) }

// Name returns "bernoulli".
func (Bernoulli) Name() string { return "bernoulli" }

// Dim returns 1.
func (Bernoulli) Dim() int { return 1 }

// NumParams returns 1.
func (Bernoulli) NumParams() int { return 1 }

// ParamNames returns ["logit"].
func (Bernoulli) ParamNames() []string { return bernoulliParams }

// Params writes (logit) into dst and returns it.
func (b Bernoulli) Params(dst []float64) []float64 {
	dst = useDst("Bernoulli.Params", dst, 1)
	dst[0] = b.Logit
	return dst
}

// WithParams returns the Bernoulli distribution with logit theta[0].
func (Bernoulli) WithParams(theta []float64) (Distribution, error) {
	checkLen("Bernoulli.WithParams", theta, 1)
	m, err := NewBernoulli(theta[0])
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Prob returns P(x = 1) = σ(Logit).
func (b Bernoulli) Prob() float64 { return sigmoid(b.Logit) }

// Rand draws x ∈ {0, 1} with P(x = 1) = σ(Logit).
func (b Bernoulli) Rand(x []float64, rng *rand.Rand) {
	if rng.Float64() < sigmoid(b.Logit) {
		x[0] = 1
	} else {
		x[0] = 0
	}
}

// LogProb returns log σ(logit) at x = 1, log σ(−logit) at x = 0, and −Inf
// elsewhere.
func (b Bernoulli) LogProb(x []float64) float64 {
	switch x[0] {
	case 1:
		return -softplus(-b.Logit)
	case 0:
		return -softplus(b.Logit)
	}
	return math.Inf(-1)
}

// Score writes ∂/∂logit log p(x) = x − σ(logit) into dst.
func (b Bernoulli) Score(dst, x []float64) { dst[0] = x[0] - sigmoid(b.Logit) }

// SupportSize returns 2.
func (Bernoulli) SupportSize() int { return 2 }

// Outcome writes x = i (i = 0 or 1) and returns its probability. It panics if
// i is not 0 or 1.
func (b Bernoulli) Outcome(x []float64, i int) float64 {
	switch i {
	case 0:
		x[0] = 0
		return sigmoid(-b.Logit)
	case 1:
		x[0] = 1
		return sigmoid(b.Logit)
	}
	panic("dist: Bernoulli.Outcome: index out of range")
}

// MVDSample writes the deterministic pair xp = 1, xm = 0 for parameter j
// (only 0, logit; it panics otherwise) and returns c = p(1 − p), p =
// σ(logit). It consumes no randomness, and coupled makes no difference.
func (b Bernoulli) MVDSample(xp, xm []float64, j int, coupled bool, rng *rand.Rand) float64 {
	if j != 0 {
		panic("dist: bernoulli MVD parameter index out of range")
	}
	xp[0], xm[0] = 1, 0
	return sigmoid(b.Logit) * sigmoid(-b.Logit)
}

// MVDSampleN writes the len(c) deterministic pairs (1, 0) and their
// constant p(1 − p) (see BatchMeasureValued); it consumes no randomness.
func (b Bernoulli) MVDSampleN(xp, xm, c []float64, coupled bool, rng *rand.Rand) {
	cj := sigmoid(b.Logit) * sigmoid(-b.Logit)
	for u := range c {
		xp[u], xm[u], c[u] = 1, 0, cj
	}
}

// Mean writes p = σ(logit).
func (b Bernoulli) Mean(dst []float64) { dst[0] = sigmoid(b.Logit) }

// Variance writes p(1 − p).
func (b Bernoulli) Variance(dst []float64) { dst[0] = sigmoid(b.Logit) * sigmoid(-b.Logit) }

// MomentsVJP adds a p(1 − p) + b p(1 − p)(1 − 2p) to dst.
func (b Bernoulli) MomentsVJP(dst, a, bv []float64) {
	p, q := sigmoid(b.Logit), sigmoid(-b.Logit)
	dst[0] += p * q * (a[0] + bv[0]*(q-p))
}

func init() {
	Register(Family{
		Name: "bernoulli",
		Doc:  "Bernoulli with P(x=1) = sigmoid(logit); finite, measure-valued, moments",
		Params: []Param{
			{Name: "logit", Default: 0, Doc: "log-odds of x = 1"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			d, err := NewBernoulli(p["logit"])
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	})
}
