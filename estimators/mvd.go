package estimators

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// MVD is the measure-valued derivative estimator (Mohamed et al. 2020, §6):
// the family's derivative with respect to each parameter j is written as
// c_j (p⁺_j − p⁻_j), so that
//
//	∂/∂θ_j E[f] ≈ (1/n) Σ_i c_j (f(x⁺_ij) − f(x⁻_ij)),  x⁺_ij ~ p⁺_j, x⁻_ij ~ p⁻_j.
//
// It needs neither ∇f nor a reparameterization, but costs 2 evaluations of f
// per parameter and sample. With Coupled (the default) the positive and
// negative samples share randomness, which usually lowers the variance.
//
// Families with a measure-valued derivative for some parameters only
// (dist.PartialMeasureValued: the Gamma's and Weibull's shapes have none)
// are refused, unless Fallback is "score": the other components are then
// the score-function estimate from one further sample per sample, which
// keeps the estimate unbiased.
type MVD struct {
	// Coupled makes each pair (x⁺, x⁻) share randomness.
	Coupled bool
	// Fallback is how components without a measure-valued derivative are
	// estimated: "none" (such families are refused) or "score".
	Fallback string

	xp, xm    []float64 // the points of a chunk of pairs
	c, fp, fm []float64 // their constants and values
	x, s      []float64 // the fallback's sample and score
}

// Info describes the estimator.
func (e *MVD) Info() Info {
	summary := "measure-valued derivative: c_j (f(x⁺) − f(x⁻)) per parameter, coupled pairs"
	if !e.Coupled {
		summary = "measure-valued derivative: c_j (f(x⁺) − f(x⁻)) per parameter, independent pairs"
	}
	cost := "2·P f"
	if e.Fallback == "score" {
		summary += "; the score function for parameters without one"
		cost = "2 f per parameter with an MVD, 1 f for the others"
	}
	return Info{
		Name:     "mvd",
		Summary:  summary,
		Unbiased: true,
		Needs:    NeedsMVD,
		Cost:     cost,
	}
}

// Supports refuses families whose measure-valued derivative misses a
// parameter unless Fallback is "score" (Supporter).
func (e *MVD) Supports(p dist.Distribution, _ objective.Objective, _ int) error {
	pm, ok := p.(dist.PartialMeasureValued)
	if !ok || e.Fallback == "score" {
		return nil
	}
	for j, name := range p.ParamNames() {
		if !pm.HasMVD(j) {
			return Unsupported("mvd", "family %s has no measure-valued derivative for %s; the option fallback = score estimates such components by the score function", p.Name(), name)
		}
	}
	return nil
}

// Estimate writes the n-sample estimate into grad.
func (e *MVD) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	checkGrad(grad, p)
	return e.replicate(grad, p, f, n, 1, rng)
}

// replicate writes R estimates into dst (the batched replications of
// Replicate). The pairs of up to 256 samples (of one or more replications)
// are drawn first, then evaluated with one Values call for the positive and
// one for the negative points when f is an objective.Batch.
func (e *MVD) replicate(dst []float64, p dist.Distribution, f objective.Objective, n, R int, rng *rand.Rand) (Cost, error) {
	checkRows(dst, p, R)
	mv, ok := p.(dist.MeasureValued)
	if !ok || n < 1 {
		return Cost{}, Check(e.Info(), p, f, n)
	}
	if pm, partial := p.(dist.PartialMeasureValued); partial {
		if err := e.Supports(p, f, n); err != nil {
			return Cost{}, err
		}
		return e.partial(dst, pm, f, n, R, rng), nil
	}
	d, P := p.Dim(), p.NumParams()
	// A chunk holds the pairs of m samples: m·P pairs of points.
	m := max(1, min(256, 4096/(P*max(d, 1))))
	e.xp, e.xm = grow(e.xp, m*P*d), grow(e.xm, m*P*d)
	e.c, e.fp, e.fm = grow(e.c, m*P), grow(e.fp, m*P), grow(e.fm, m*P)
	zero(dst)
	inv := 1 / float64(n)
	r, i := 0, 0 // the replication and the sample within it of the chunk's first sample
	for done := 0; done < n*R; {
		k := min(m, n*R-done)
		if bm, ok := mv.(dist.BatchMeasureValued); ok {
			bm.MVDSampleN(e.xp[:k*P*d], e.xm[:k*P*d], e.c[:k*P], e.Coupled, rng)
		} else {
			for t := range k {
				for j := range P {
					u := t*P + j
					e.c[u] = mv.MVDSample(e.xp[u*d:(u+1)*d:(u+1)*d], e.xm[u*d:(u+1)*d:(u+1)*d], j, e.Coupled, rng)
				}
			}
		}
		values(f, e.fp[:k*P], e.xp[:k*P*d], d)
		values(f, e.fm[:k*P], e.xm[:k*P*d], d)
		for t := range k {
			row := dst[r*P : (r+1)*P : (r+1)*P]
			c, fp, fm := e.c[t*P:(t+1)*P], e.fp[t*P:(t+1)*P], e.fm[t*P:(t+1)*P]
			for j := range row {
				row[j] += c[j] * (fp[j] - fm[j])
			}
			if i++; i == n {
				scale(inv, row)
				r, i = r+1, 0
			}
		}
		done += k
	}
	return Cost{F: 2 * P * n * R}, nil
}

// partial writes R estimates for a family with a measure-valued
// derivative for some parameters only, sample by sample: a pair per such
// parameter, and for the others (Fallback "score") f(x) ∇θ_j log p(x) at
// one further sample x shared by them.
func (e *MVD) partial(dst []float64, p dist.PartialMeasureValued, f objective.Objective, n, R int, rng *rand.Rand) Cost {
	d, P := p.Dim(), p.NumParams()
	e.xp, e.xm, e.x, e.s = grow(e.xp, d), grow(e.xm, d), grow(e.x, d), grow(e.s, P)
	xp, xm := e.xp[:d], e.xm[:d]
	zero(dst)
	evals := 0
	for r := range R {
		row := dst[r*P : (r+1)*P : (r+1)*P]
		for range n {
			scored := false
			var fx float64
			for j := range P {
				if p.HasMVD(j) {
					c := p.MVDSample(xp, xm, j, e.Coupled, rng)
					row[j] += c * (f.Value(xp) - f.Value(xm))
					evals += 2
					continue
				}
				if !scored {
					p.Rand(e.x, rng)
					fx = f.Value(e.x)
					p.Score(e.s, e.x)
					scored, evals = true, evals+1
				}
				row[j] += fx * e.s[j]
			}
		}
		scale(1/float64(n), row)
	}
	return Cost{F: evals}
}

func init() {
	Register("mvd", func(o *Options) (Estimator, error) {
		coupled, err := o.Bool("coupled", true)
		if err != nil {
			return nil, err
		}
		fallback, err := o.String("fallback", "none")
		if err != nil {
			return nil, err
		} else if fallback != "none" && fallback != "score" {
			return nil, fmt.Errorf("fallback = %q: want none or score", fallback)
		}
		return &MVD{Coupled: coupled, Fallback: fallback}, nil
	})
}

// self returns e (see replicator).
func (e *MVD) self() Estimator { return e }
