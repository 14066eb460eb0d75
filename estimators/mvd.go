package estimators

import (
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
type MVD struct {
	// Coupled makes each pair (x⁺, x⁻) share randomness.
	Coupled bool

	xp, xm    []float64 // the points of a chunk of pairs
	c, fp, fm []float64 // their constants and values
}

// Info describes the estimator.
func (e *MVD) Info() Info {
	summary := "measure-valued derivative: c_j (f(x⁺) − f(x⁻)) per parameter, coupled pairs"
	if !e.Coupled {
		summary = "measure-valued derivative: c_j (f(x⁺) − f(x⁻)) per parameter, independent pairs"
	}
	return Info{
		Name:     "mvd",
		Summary:  summary,
		Unbiased: true,
		Needs:    NeedsMVD,
		Cost:     "2·P f",
	}
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

func init() {
	Register("mvd", func(o *Options) (Estimator, error) {
		coupled, err := o.Bool("coupled", true)
		if err != nil {
			return nil, err
		}
		return &MVD{Coupled: coupled}, nil
	})
}

// self returns e (see replicator).
func (e *MVD) self() Estimator { return e }
