package dist

import "github.com/gradbench/gradbench/estimators/internal/params"

// Param describes one named scalar parameter accepted by a family's
// constructor in experiment specs (Default NaN: required).
type Param = params.Param

// Family describes a registered family: how to build it from named scalar
// parameters, as experiment specs do.
type Family struct {
	Name   string
	Doc    string // one line
	Params []Param
	// Make builds the family from a complete parameter map (defaults filled in).
	Make func(p map[string]float64) (Distribution, error)
}

var families = params.NewRegistry[Family]("distribution")

// Register makes a family available by name. It panics if the name is empty,
// already registered, or Make is nil.
func Register(f Family) { families.Add(f.Name, f, f.Make != nil) }

// Families returns the names of the registered families, sorted.
func Families() []string { return families.Names() }

// Lookup returns the registered family with the given name.
func Lookup(name string) (Family, bool) { return families.Lookup(name) }

// New builds the named family from named scalar parameters, filling in
// defaults. It returns an error for an unknown family, an unknown or missing
// parameter, or an invalid value.
func New(name string, given map[string]float64) (Distribution, error) {
	f, err := families.Get(name)
	if err != nil {
		return nil, err
	}
	full, err := params.Fill("distribution", name, f.Params, given, false)
	if err != nil {
		return nil, err
	}
	return f.Make(full)
}

func init() {
	Register(Family{
		Name: "normal",
		Doc:  "univariate normal N(mu, sigma²); reparameterized, measure-valued",
		Params: []Param{
			{Name: "mu", Default: 0, Doc: "mean"},
			{Name: "sigma", Default: 1, Doc: "standard deviation, > 0"},
		},
		Make: func(p map[string]float64) (Distribution, error) {
			n, err := NewNormal(p["mu"], p["sigma"])
			if err != nil {
				return nil, err
			}
			return n, nil
		},
	})
}
