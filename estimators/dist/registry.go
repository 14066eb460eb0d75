package dist

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/gradbench/gradbench/estimators/internal/params"
)

// Param describes one named scalar parameter accepted by a family's
// constructor in experiment specs.
type Param struct {
	Name    string
	Default float64 // NaN means the parameter is required
	Doc     string
}

// Family describes a registered family: how to build it from named scalar
// parameters, as experiment specs do.
type Family struct {
	Name   string
	Doc    string // one line
	Params []Param
	// Make builds the family from a complete parameter map (defaults filled in).
	Make func(p map[string]float64) (Distribution, error)
}

var (
	famMu    sync.RWMutex
	families = map[string]Family{}
)

// Register makes a family available by name. It panics if the name is empty,
// already registered, or Make is nil.
func Register(f Family) {
	famMu.Lock()
	defer famMu.Unlock()
	if f.Name == "" || f.Make == nil {
		panic("dist: Register with empty name or nil Make")
	}
	if _, dup := families[f.Name]; dup {
		panic("dist: Register called twice for family " + f.Name)
	}
	families[f.Name] = f
}

// Families returns the names of the registered families, sorted.
func Families() []string {
	famMu.RLock()
	defer famMu.RUnlock()
	return slices.Sorted(maps.Keys(families))
}

// Lookup returns the registered family with the given name.
func Lookup(name string) (Family, bool) {
	famMu.RLock()
	defer famMu.RUnlock()
	f, ok := families[name]
	return f, ok
}

// New builds the named family from named scalar parameters, filling in
// defaults. It returns an error for an unknown family, an unknown or missing
// parameter, or an invalid value.
func New(name string, given map[string]float64) (Distribution, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown distribution %q (known: %s)", name, strings.Join(Families(), ", "))
	}
	specs := make([]params.Spec, len(f.Params))
	for i, p := range f.Params {
		specs[i] = params.Spec{Name: p.Name, Default: p.Default}
	}
	full, err := params.Fill("distribution", name, specs, given, false)
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
