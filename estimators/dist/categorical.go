package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Categorical is the categorical distribution over {0, …, K−1} with
// P(x = i) = softmax(Logits)_i, with parameters θ = Logits, named
// "logit[0]", …, "logit[K−1]". The outcome x[0] is the category index.
//
// It has finite support (outcome i is x = i). Each call to Rand, LogProb,
// Score and Outcome costs O(K) and allocates nothing; the log-normalizer is
// computed stably by subtracting the largest logit.
type Categorical struct {
	Logits []float64
}

// NewCategorical returns the categorical distribution with the given logits,
// which it copies, or an error if there are fewer than two or one is not
// finite.
func NewCategorical(logits []float64) (Categorical, error) {
	c := Categorical{Logits: append([]float64(nil), logits...)}
	return c, c.Validate()
}

// Validate returns an error if the parameters are invalid.
func (c Categorical) Validate() error {
	if len(c.Logits) < 2 {
		return fmt.Errorf("%w: categorical logits: %d categories, want at least 2", ErrParam, len(c.Logits))
	}
	for i, l := range c.Logits {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return paramError("categorical", fmt.Sprintf("logit[%d]", i), l, "a finite number")
		}
	}
	return nil
}

// Name returns "categorical".
func (Categorical) Name() string { return "categorical" }

// Dim returns 1.
func (Categorical) Dim() int { return 1 }

// NumParams returns K = len(Logits).
func (c Categorical) NumParams() int { return len(c.Logits) }

// ParamNames returns ["logit[0]", …, "logit[K−1]"], in a new slice.
func (c Categorical) ParamNames() []string { return paramNames("logit", len(c.Logits)) }

// Params writes the logits into dst and returns it.
func (c Categorical) Params(dst []float64) []float64 {
	dst = useDst("Categorical.Params", dst, len(c.Logits))
	copy(dst, c.Logits)
	return dst
}

// WithParams returns the categorical distribution with logits theta (copied).
func (c Categorical) WithParams(theta []float64) (Distribution, error) {
	checkLen("Categorical.WithParams", theta, len(c.Logits))
	m, err := NewCategorical(theta)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// logNorm returns the largest logit m and log Σ exp(l_i − m).
func (c Categorical) logNorm() (m, lse float64) {
	m = math.Inf(-1)
	for _, l := range c.Logits {
		m = max(m, l)
	}
	var s float64
	for _, l := range c.Logits {
		s += math.Exp(l - m)
	}
	return m, math.Log(s)
}

// Rand draws the category index x[0] with probability softmax(Logits).
func (c Categorical) Rand(x []float64, rng *rand.Rand) {
	m := math.Inf(-1)
	for _, l := range c.Logits {
		m = max(m, l)
	}
	var z float64
	for _, l := range c.Logits {
		z += math.Exp(l - m)
	}
	u := rng.Float64() * z
	last := 0
	for i, l := range c.Logits {
		w := math.Exp(l - m)
		if w > 0 {
			last = i
		}
		u -= w
		if u < 0 {
			x[0] = float64(i)
			return
		}
	}
	// Rounding left u ≥ 0: return the last category of positive weight.
	x[0] = float64(last)
}

// LogProb returns log softmax(Logits)_x for a category index x[0], −Inf for
// anything else.
func (c Categorical) LogProb(x []float64) float64 {
	i := x[0]
	if !isCount(i) || i >= float64(len(c.Logits)) {
		return math.Inf(-1)
	}
	m, lse := c.logNorm()
	return c.Logits[int(i)] - m - lse
}

// Score writes onehot(x) − softmax(Logits) into dst (len K).
func (c Categorical) Score(dst, x []float64) {
	checkLen("Categorical.Score", dst, len(c.Logits))
	m, lse := c.logNorm()
	off := m + lse
	for i, l := range c.Logits {
		dst[i] = -math.Exp(l - off)
	}
	if i := x[0]; isCount(i) && i < float64(len(c.Logits)) {
		dst[int(i)]++
	}
}

// SupportSize returns K.
func (c Categorical) SupportSize() int { return len(c.Logits) }

// Outcome writes x = i and returns softmax(Logits)_i. It panics if i is out
// of range.
func (c Categorical) Outcome(x []float64, i int) float64 {
	if i < 0 || i >= len(c.Logits) {
		panic("dist: Categorical.Outcome: index out of range")
	}
	m, lse := c.logNorm()
	x[0] = float64(i)
	return math.Exp(c.Logits[i] - m - lse)
}

func init() {
	Register(Family{
		Name: "categorical",
		Doc:  "categorical over k classes, logits spread·i/(k−1); finite",
		Params: []Param{
			{Name: "k", Default: 3, Doc: "number of categories, integer in [2, 10000]"},
			{Name: "spread", Default: 0, Doc: "logit i is spread·i/(k−1): 0 is uniform, larger favours the last classes"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			k, err := intParam("categorical", "k", p["k"], 2, 10000)
			if err != nil {
				return nil, err
			}
			s := p["spread"]
			if err := checkFinite("categorical", "spread", s); err != nil {
				return nil, err
			}
			logits := make([]float64, k)
			for i := range logits {
				logits[i] = s * float64(i) / float64(k-1)
			}
			c := Categorical{Logits: logits}
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return c, nil
		},
	})
}
