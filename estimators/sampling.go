package estimators

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/qmc"
)

// Sampling schemes: how the n samples of one estimate draw their base
// randomness, the value of the "sampling" option of pathwise and score.
const (
	// SamplingIID draws the n samples independently (the default).
	SamplingIID = "iid"
	// SamplingAntithetic draws n/2 independent uniform vectors u and
	// pairs each with 1 − u (n even; for symmetric noise such as the
	// Normal's, the pair (ε, −ε)).
	SamplingAntithetic = "antithetic"
	// SamplingRQMC takes the n samples from the first n points of a
	// scrambled Sobol' sequence (package qmc), randomized afresh for every
	// estimate, so that estimates stay independent and unbiased.
	SamplingRQMC = "rqmc"
)

// Samplings lists the sampling schemes.
var Samplings = []string{SamplingIID, SamplingAntithetic, SamplingRQMC}

// uniforms draws the base uniforms of estimates under a sampling scheme
// other than iid, and maps them to a family's noise.
type uniforms struct {
	scheme string
	sobol  *qmc.Sobol
	u      []float64
}

// samplingOption reads the "sampling" option.
func samplingOption(o *Options) (*uniforms, error) {
	s, err := o.String("sampling", SamplingIID)
	if err != nil {
		return nil, err
	} else if !slices.Contains(Samplings, s) {
		return nil, fmt.Errorf("sampling = %q: want one of %s", s, strings.Join(Samplings, ", "))
	} else if s == SamplingIID {
		return nil, nil
	}
	return &uniforms{scheme: s}, nil
}

// supports says whether the scheme applies to family p with n samples.
func (s *uniforms) supports(name string, p dist.Distribution, n int) error {
	switch _, ok := p.(dist.UniformNoise); {
	case s == nil:
		return nil
	case !ok:
		return Unsupported(name, "sampling = %s needs a family whose noise is a function of uniforms (dist.UniformNoise); %s is not", s.scheme, p.Name())
	case s.scheme == SamplingAntithetic && n%2 != 0:
		return Unsupported(name, "sampling = antithetic needs an even number of samples, not %d", n)
	case s.scheme == SamplingRQMC && p.Dim() > qmc.MaxDim:
		return Unsupported(name, "sampling = rqmc draws points of at most %d dimensions; %s has %d", qmc.MaxDim, p.Name(), p.Dim())
	}
	return nil
}

// start begins an estimate of family p: a fresh randomization for rqmc.
func (s *uniforms) start(p dist.Distribution, rng *rand.Rand) {
	if s.scheme != SamplingRQMC {
		return
	}
	if s.sobol == nil || s.sobol.Dim() != p.Dim() {
		s.sobol, _ = qmc.NewSobol(p.Dim()) // the dimension was checked by supports
	}
	s.sobol.Randomize(rng)
}

// noise writes into eps the noise of the estimate's next len(eps)/Dim
// samples (an even number of them for antithetic pairs).
func (s *uniforms) noise(eps []float64, p dist.UniformNoise, rng *rand.Rand) {
	s.u = grow(s.u, len(eps))
	u := s.u[:len(eps)]
	switch d := p.Dim(); s.scheme {
	case SamplingRQMC:
		s.sobol.Next(u)
	case SamplingAntithetic:
		for i := 0; i < len(u); i += 2 * d {
			for j := range d {
				v := openUniform(rng)
				u[i+j], u[i+d+j] = v, 1-v
			}
		}
	}
	p.NoiseFromUniform(eps, u)
}

// evenRows rounds a chunk of rows down to an even number (at least 2),
// so that antithetic pairs never straddle chunks.
func evenRows(rows int) int { return max(2, rows&^1) }

// sampled writes the n-sample pathwise estimate with samples from
// the scheme s (see Pathwise.Estimate).
func (e *Pathwise) sampled(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	up, df := p.(dist.UniformNoise), f.(objective.Differentiable)
	d := p.Dim()
	chunk := min(evenRows(chunkRows(n, d)), n)
	e.eps, e.x, e.gx = grow(e.eps, chunk*d), grow(e.x, chunk*d), grow(e.gx, chunk*d)
	zero(grad)
	e.samp.start(p, rng)
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done) * d
		eps := e.eps[:k]
		e.samp.noise(eps, up, rng)
		for i := 0; i < k; i += d {
			up.Transform(e.x[:d], eps[i:i+d])
			df.Grad(e.gx[:d], e.x[:d])
			up.PathVJP(grad, eps[i:i+d], e.gx[:d])
		}
	}
	scale(1/float64(n), grad)
	return Cost{Grad: n}, nil
}

// sampled writes the n-sample score-function estimate with samples x =
// g(θ, ε) from the scheme s (see Score.Estimate).
func (e *Score) sampled(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	up := p.(dist.UniformNoise)
	d := p.Dim()
	chunk := min(evenRows(chunkRows(n, d)), n)
	e.xs, e.x, e.s = grow(e.xs, chunk*d), grow(e.x, d), grow(e.s, p.NumParams())
	zero(grad)
	e.samp.start(p, rng)
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done) * d
		eps := e.xs[:k]
		e.samp.noise(eps, up, rng)
		for i := 0; i < k; i += d {
			up.Transform(e.x, eps[i:i+d])
			e.add(grad, p, f)
		}
	}
	scale(1/float64(n), grad)
	return Cost{F: n}, nil
}

// openUniform returns a uniform number in (0, 1): 53 random bits and a
// half, as dist's implicit families draw their noise.
func openUniform(rng *rand.Rand) float64 {
	return (float64(rng.Uint64()>>11) + 0.5) / (1 << 53)
}
