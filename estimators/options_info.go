package estimators

import (
	"fmt"
	"maps"
	"slices"
)

// OptionNames returns the names of the options the named estimator reads
// when built with default options, sorted: none for an estimator that
// takes no options. An unknown name is the error New gives.
func OptionNames(name string) ([]string, error) {
	regMu.RLock()
	f := factories[name]
	regMu.RUnlock()
	if f == nil {
		return nil, unknown(name)
	}
	o := &Options{used: map[string]bool{}}
	if _, err := f(o); err != nil { // Register made sure it cannot fail
		return nil, fmt.Errorf("estimator %s: %w", name, err)
	}
	return slices.Sorted(maps.Keys(o.used)), nil
}
