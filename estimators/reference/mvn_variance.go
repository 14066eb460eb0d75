package reference

import (
	"fmt"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// separable reports whether f is a sum over coordinates of one scalar
// function, f(x) = Σ_d g(x_d), and returns g's objective (the same value,
// applied to 1-element slices).
func separable(f objective.Objective) bool {
	switch f.(type) {
	case objective.Quadratic, objective.Linear, objective.Cos, objective.Gaussian,
		objective.Quartic, objective.Step, objective.StepAE:
		return true
	}
	return false
}

// MVNPerSampleVariance returns the exact variance of every component of a
// one-sample estimate of ∇θ E[f] under the diagonal normal p, by the named
// estimator: vmu[j] for ∂/∂mu[j] and vsigma[j] for ∂/∂sigma[j]. The cases
// it knows, which cover Mohamed et al. (2020), Figs 4–5:
//
//   - "pathwise", and "mvd" with coupled set, for objectives that are sums
//     over coordinates, f = Σ_d g(x_d): the j-th component depends on x_j
//     alone (the coupled measure-valued samples share every other
//     coordinate), so it is the univariate PerSampleVariance of g under
//     N(mu[j], sigma[j]²), whatever the dimension;
//   - "score" for f = a Σ_d x_d (linear), in closed form with
//     M = Σ_d μ_d and S_j = Σ_{d≠j} σ_d²:
//     Var[∂/∂μ_j] = a² (M²/σ_j² + 2 + S_j/σ_j²),
//     Var[∂/∂σ_j] = a² (2M²/σ_j² + 10 + 2S_j/σ_j²);
//   - "score" for the constant f = c: Var[∂/∂μ_j] = c²/σ_j²,
//     Var[∂/∂σ_j] = 2c²/σ_j²; the other estimators give 0 for a constant.
//
// Other combinations return an error wrapping ErrNotApplicable.
func MVNPerSampleVariance(estimator string, p dist.MVNDiag, f objective.Objective, coupled bool) (vmu, vsigma []float64, err error) {
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("reference: per-sample variance: %w", err)
	}
	D := len(p.Mu)
	vmu, vsigma = make([]float64, D), make([]float64, D)
	notApplicable := fmt.Errorf("reference: per-sample variance of %s for %s under mvn: %w", estimator, f.Name(), ErrNotApplicable)
	switch c := f.(type) {
	case objective.Constant:
		for j, s := range p.Sigma {
			if estimator == "score" {
				vmu[j], vsigma[j] = c.C*c.C/(s*s), 2*c.C*c.C/(s*s)
			}
		}
		return vmu, vsigma, nil
	case objective.Linear:
		if estimator == "score" {
			M, S := 0.0, 0.0
			for d := range D {
				M += p.Mu[d]
				S += p.Sigma[d] * p.Sigma[d]
			}
			a2 := c.A * c.A
			for j, s := range p.Sigma {
				s2 := s * s
				others := S - s2
				vmu[j] = a2 * (M*M/s2 + 2 + others/s2)
				vsigma[j] = a2 * (2*M*M/s2 + 10 + 2*others/s2)
			}
			return vmu, vsigma, nil
		}
	}
	if !separable(f) || (estimator != "pathwise" && !(estimator == "mvd" && coupled)) {
		return nil, nil, notApplicable
	}
	for j := range D {
		vmu[j], vsigma[j], err = PerSampleVariance(estimator, dist.Normal{Mu: p.Mu[j], Sigma: p.Sigma[j]}, f, coupled)
		if err != nil {
			return nil, nil, err
		}
	}
	return vmu, vsigma, nil
}
