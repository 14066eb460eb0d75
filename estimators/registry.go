package estimators

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Factory builds a fresh estimator from options. It reads the options it
// knows with Options' getters; New reports any option it did not read.
type Factory func(opts *Options) (Estimator, error)

var (
	regMu     sync.RWMutex
	factories = map[string]Factory{}
	infos     = map[string]Info{}
	options   = map[string][]Option{}
)

// Option describes an option an estimator takes: its key, the kind of
// value (float, int, bool or string) and its default, as the estimator's
// factory reads them when Register builds it with default options.
type Option struct {
	Key, Kind, Default string
}

// Register makes an estimator available by name. It panics if name is empty,
// factory is nil, the name is already registered, or the factory fails with
// default options, as database/sql.Register does for drivers.
func Register(name string, factory Factory) {
	if name == "" || factory == nil {
		panic("estimators: Register with empty name or nil factory")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := factories[name]; dup {
		panic("estimators: Register called twice for estimator " + name)
	}
	o := &Options{declared: &[]Option{}}
	e, err := factory(o)
	if err != nil {
		panic(fmt.Sprintf("estimators: Register %s: default options fail: %v", name, err))
	}
	info := e.Info()
	if info.Name != name {
		panic(fmt.Sprintf("estimators: Register %s: estimator calls itself %q", name, info.Name))
	}
	factories[name] = factory
	infos[name] = info
	options[name] = *o.declared
}

// OptionsOf returns the options of the named estimator, in the order its
// factory reads them, with their defaults. Options a factory reads only
// for some values of others are listed if the defaults read them.
func OptionsOf(name string) ([]Option, error) {
	regMu.RLock()
	opts, ok := options[name]
	regMu.RUnlock()
	if !ok {
		return nil, unknown(name)
	}
	return slices.Clone(opts), nil
}

// Names returns the names of the registered estimators, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	return slices.Sorted(maps.Keys(factories))
}

// Describe returns the Info of the named estimator with default options.
func Describe(name string) (Info, error) {
	regMu.RLock()
	info, ok := infos[name]
	regMu.RUnlock()
	if !ok {
		return Info{}, unknown(name)
	}
	return info, nil
}

func unknown(name string) error {
	return fmt.Errorf("unknown estimator %q (forgotten import?; known: %s)", name, strings.Join(Names(), ", "))
}

// New returns a fresh estimator by name. Options are given as strings (from
// flags or spec files) and parsed by the estimator; an option the estimator
// does not know is an error. opts may be nil.
func New(name string, opts map[string]string) (Estimator, error) {
	regMu.RLock()
	factory, ok := factories[name]
	regMu.RUnlock()
	if !ok {
		return nil, unknown(name)
	}
	o := &Options{values: opts, used: map[string]bool{}}
	e, err := factory(o)
	if err != nil {
		return nil, fmt.Errorf("estimator %s: %w", name, err)
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if !o.used[k] {
			known := slices.Sorted(maps.Keys(o.used))
			return nil, fmt.Errorf("estimator %s: unknown option %q (known: %s)", name, k, strings.Join(known, ", "))
		}
	}
	return e, nil
}

// Options carries an estimator's string options to its factory. The getters
// record which keys were read, so that New can reject unknown ones.
type Options struct {
	values   map[string]string
	used     map[string]bool
	declared *[]Option // Register's record of the options read, with defaults
}

func (o *Options) lookup(key, kind string, def any) (string, bool) {
	if o.used != nil {
		o.used[key] = true
	}
	if o.declared != nil && !slices.ContainsFunc(*o.declared, func(d Option) bool { return d.Key == key }) {
		*o.declared = append(*o.declared, Option{Key: key, Kind: kind, Default: fmt.Sprint(def)})
	}
	v, ok := o.values[key]
	return v, ok
}

// Float returns option key as a finite float64, or def if it is absent.
func (o *Options) Float(key string, def float64) (float64, error) {
	s, ok := o.lookup(key, "float", def)
	if !ok {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("option %s = %q: want a finite number", key, s)
	}
	return v, nil
}

// Int returns option key as an int, or def if it is absent.
func (o *Options) Int(key string, def int) (int, error) {
	s, ok := o.lookup(key, "int", def)
	if !ok {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("option %s = %q: want an integer", key, s)
	}
	return v, nil
}

// Bool returns option key as a bool, or def if it is absent.
func (o *Options) Bool(key string, def bool) (bool, error) {
	s, ok := o.lookup(key, "bool", def)
	if !ok {
		return def, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("option %s = %q: want true or false", key, s)
	}
	return v, nil
}

// String returns option key, or def if it is absent.
func (o *Options) String(key, def string) (string, error) {
	s, ok := o.lookup(key, "string", def)
	if !ok {
		return def, nil
	}
	return s, nil
}
