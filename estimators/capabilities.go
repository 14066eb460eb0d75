package estimators

import (
	"strings"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Capability is one row of the capability table: a need an estimator may
// declare in Info.Needs, its name (in Needs.String and gradbench list), and
// what the family or the objective must provide for it. Check,
// CheckFamily, Needs.String and the listings all read this one table.
type Capability struct {
	Need Needs
	Name string
	// Family reports whether family p provides the capability; it is nil
	// for a capability of the objective.
	Family func(p dist.Distribution) bool
	// Objective reports whether objective f provides the capability; it
	// is nil for a capability of the family.
	Objective func(f objective.Objective) bool
	// Lacks says what is missing, after the family's or objective's name:
	// "family normal " + Lacks.
	Lacks string
}

// fam and obj return the predicate "implements T" for families and
// objectives.
func fam[T any](p dist.Distribution) bool {
	_, ok := p.(T)
	return ok
}

func obj[T any](f objective.Objective) bool {
	_, ok := f.(T)
	return ok
}

var capabilities = []Capability{
	{NeedsReparam, "reparam", fam[dist.Reparameterized], nil, "is not reparameterizable"},
	{NeedsGrad, "grad f", nil, obj[objective.Differentiable], "is not differentiable"},
	{NeedsCurvature, "hessian f", nil, obj[objective.Curved], "has no second derivative"},
	{NeedsFinite, "finite", fam[dist.Finite], nil, "does not have finite support"},
	{NeedsMVD, "mvd", fam[dist.MeasureValued], nil, "has no measure-valued derivative"},
	{NeedsMoments, "moments", fam[dist.Moments], nil, "has no mean/variance gradients"},
	{NeedsBinary, "binary", fam[dist.Binary], nil, "is not a (vector of independent) Bernoulli"},
	{NeedsRelaxed, "relaxed", fam[dist.Relaxed], nil, "has no Concrete relaxation"},
	{NeedsRelaxedConditional, "relaxed|b", fam[dist.RelaxedConditional], nil, "has no conditional relaxation"},
	{NeedsCurvatureProducts, "hessian·v f", nil, func(f objective.Objective) bool {
		return obj[objective.Curved](f) || obj[objective.HessVec](f)
	}, "has no second derivative"},
	{NeedsFactorized, "factorized", fam[dist.Factorized], nil, "is not a product of independent categoricals"},
	{NeedsRelaxedLocation, "location", fam[dist.RelaxedLocation], nil, "has no location-family relaxation (z = logits + noise)"},
}

// Capabilities returns the capability table, in the order of the Needs
// flags.
func Capabilities() []Capability { return capabilities }

// String lists the capabilities, e.g. "reparam+grad f", or "-" for none.
func (n Needs) String() string {
	var parts []string
	for _, c := range capabilities {
		if n&c.Need != 0 {
			parts = append(parts, c.Name)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "+")
}

// Check reports whether an estimator with the given info can handle family
// p, objective f (nil skips the objective checks) and n samples, returning
// an ErrUnsupported error that says why not. It checks what Info declares
// (MinSamples and Needs); Supports also asks the estimator.
func Check(info Info, p dist.Distribution, f objective.Objective, n int) error {
	if minN := max(info.MinSamples, 1); n < minN {
		return Unsupported(info.Name, "needs n ≥ %d samples, got %d", minN, n)
	}
	if err := CheckFamily(info, p); err != nil {
		return err
	}
	if f == nil {
		return nil
	}
	for _, c := range capabilities {
		if info.Needs&c.Need != 0 && c.Objective != nil && !c.Objective(f) {
			return Unsupported(info.Name, "objective %s %s", f.Name(), c.Lacks)
		}
	}
	return nil
}

// CheckFamily reports whether an estimator with the given info can handle
// family p, whatever the objective.
func CheckFamily(info Info, p dist.Distribution) error {
	for _, c := range capabilities {
		if info.Needs&c.Need != 0 && c.Family != nil && !c.Family(p) {
			return Unsupported(info.Name, "family %s %s", p.Name(), c.Lacks)
		}
	}
	return nil
}

// Supporter is implemented by estimators with restrictions that Info
// cannot state (a combination of options and family, say). It is
// optional: without it, Supports is Check on the estimator's Info.
type Supporter interface {
	// Supports returns an error wrapping ErrUnsupported that says why
	// the estimator cannot handle p, f and n, or nil. It is called only
	// after Check has passed.
	Supports(p dist.Distribution, f objective.Objective, n int) error
}

// Supports reports whether est, as configured, can handle family p,
// objective f and n samples: Check on est.Info(), then est's Supports
// method if it has one. Runners call it once per cell, before any
// estimate; an Estimate call it admits must not fail with ErrUnsupported
// (the conformance kit checks this).
func Supports(est Estimator, p dist.Distribution, f objective.Objective, n int) error {
	if err := Check(est.Info(), p, f, n); err != nil {
		return err
	}
	if s, ok := est.(Supporter); ok {
		return s.Supports(p, f, n)
	}
	return nil
}
