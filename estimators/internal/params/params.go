// Package params fills in the named scalar parameters that the family and
// objective registries build their values from, with one set of rules and
// error messages for both.
package params

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Spec is one parameter: its name and default (NaN: required).
type Spec struct {
	Name    string
	Default float64
}

// Fill returns the complete parameter map for the component kind (e.g.
// "distribution") named name with parameters specs: given values, else
// defaults. It is an error if a required parameter is missing or a given
// name is unknown; with finite set, also if a given value is NaN or ±Inf.
func Fill(kind, name string, specs []Spec, given map[string]float64, finite bool) (map[string]float64, error) {
	full := make(map[string]float64, len(specs))
	known := make([]string, 0, len(specs))
	for _, p := range specs {
		known = append(known, p.Name)
		v, ok := given[p.Name]
		switch {
		case ok:
			if finite && (math.IsNaN(v) || math.IsInf(v, 0)) {
				return nil, fmt.Errorf("%s %q: parameter %s = %v, want a finite number", kind, name, p.Name, v)
			}
			full[p.Name] = v
		case math.IsNaN(p.Default):
			return nil, fmt.Errorf("%s %q: missing parameter %q", kind, name, p.Name)
		default:
			full[p.Name] = p.Default
		}
	}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		if _, ok := full[k]; !ok {
			return nil, fmt.Errorf("%s %q: unknown parameter %q (known: %s)", kind, name, k, strings.Join(known, ", "))
		}
	}
	return full, nil
}
