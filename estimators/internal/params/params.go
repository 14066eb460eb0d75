// Package params is what the family and objective registries share: the
// registry itself, and the filling in of the named scalar parameters they
// build their values from, with one set of rules and error messages for
// both.
package params

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
)

// Param describes one named scalar parameter of a registered component
// (a family or an objective), as experiment specs give it.
type Param struct {
	Name    string
	Default float64 // NaN means the parameter is required
	Doc     string
}

// Registry holds the registered components of one kind (the families, or
// the objectives) by name; it is safe for concurrent use.
type Registry[T any] struct {
	kind string
	mu   sync.RWMutex
	m    map[string]T
}

// NewRegistry returns an empty registry of components of the kind named
// in errors (e.g. "distribution").
func NewRegistry[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, m: map[string]T{}}
}

// Add registers v under name. It panics if name is empty, valid is false
// (the caller's check of v) or the name is already registered.
func (r *Registry[T]) Add(name string, v T, valid bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" || !valid {
		panic(r.kind + ": Register with an empty name or a nil Make")
	}
	if _, dup := r.m[name]; dup {
		panic(r.kind + ": Register called twice for " + name)
	}
	r.m[name] = v
}

// Names returns the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.m))
}

// Lookup returns the component registered under name.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[name]
	return v, ok
}

// Get returns the component registered under name, or an error that names
// the known ones.
func (r *Registry[T]) Get(name string) (T, error) {
	v, ok := r.Lookup(name)
	if !ok {
		return v, fmt.Errorf("unknown %s %q (known: %s)", r.kind, name, strings.Join(r.Names(), ", "))
	}
	return v, nil
}

// Fill returns the complete parameter map for the component kind (e.g.
// "distribution") named name with parameters specs: given values, else
// defaults. It is an error if a required parameter is missing or a given
// name is unknown; with finite set, also if a given value is NaN or ±Inf.
func Fill(kind, name string, specs []Param, given map[string]float64, finite bool) (map[string]float64, error) {
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
