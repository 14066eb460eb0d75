package spec

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// The decoders of the values of a spec that package toml cannot decode
// into tagged structs: estimator entries (a name or a table), distribution
// and objective tables (whose keys are their parameters) and grids (a
// number, a list or a spacing).

// fieldError is an error of a converter; Sub is the field below the
// converted value ("[2].options.tau", ".linspace" or "").
type fieldError struct{ Sub, Msg string }

func (e *fieldError) Error() string { return e.Msg }

func errAt(sub, format string, args ...any) error {
	return &fieldError{sub, fmt.Sprintf(format, args...)}
}

// nest puts the field of a *fieldError below sub.
func nest(sub string, err error) error {
	if fe, ok := err.(*fieldError); ok {
		fe.Sub = sub + fe.Sub
	}
	return err
}

// asTable converts a TOML table whose keys are among known (if given);
// the first other key in sorted order is an error (an inline table's
// keys share its line).
func asTable(v any, known ...string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errAt("", "%s: want a table", show(v))
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if known != nil && !slices.Contains(known, k) {
			return nil, errAt("."+toml.Key{k}.String(), "unknown key (known: %s)", strings.Join(known, ", "))
		}
	}
	return m, nil
}

// member converts m[key] with conv, or returns def if absent.
func member[T any](m map[string]any, key string, def T, conv func(any) (T, error)) (T, error) {
	v, ok := m[key]
	if !ok {
		return def, nil
	}
	x, err := conv(v)
	return x, nest("."+key, err)
}

// components decodes an array of [[field]] tables of distributions
// (isDist) or objectives.
func (p *parser) components(v value, field string, isDist bool) []Component {
	tabs, ok := v.v.([]any)
	if aot, isAOT := v.v.([]map[string]any); isAOT {
		for _, t := range aot {
			tabs = append(tabs, t)
		}
	} else if v.set && !ok {
		p.fail(field, "%s: want an array of tables", show(v.v))
	}
	if len(tabs) == 0 {
		p.fail(field, "missing: add at least one [[%s]] table with a name", field)
	}
	var out []Component
	for i, t := range tabs {
		out = append(out, p.component(t, fmt.Sprintf("%s[%d]", field, i), isDist, false))
	}
	return out
}

// component decodes a table { name, parameter grids… } of a distribution
// (isDist) or objective; single requires one value per parameter
// (training specs). A parameter left out takes its registered default.
func (p *parser) component(v any, f string, isDist, single bool) Component {
	tab, err := asTable(v)
	var c Component
	if err == nil {
		c.Name, err = member(tab, "name", "", asString)
	}
	names, defaults, known := params(c.Name, isDist)
	what := map[bool]string{true: "distribution", false: "objective"}[isDist]
	switch {
	case err != nil:
	case c.Name == "":
		err = errAt(".name", "missing name")
	case !known && isDist:
		err = errAt(".name", "unknown %s %q (known: %s)", what, c.Name, strings.Join(dist.Families(), ", "))
	case !known:
		err = errAt(".name", "unknown %s %q (known: %s)", what, c.Name, strings.Join(objective.Names(), ", "))
	default:
		_, err = asTable(tab, append([]string{"name"}, names...)...)
	}
	if p.check(f, err); err != nil {
		return Component{}
	}
	for j, q := range names {
		x, ok := tab[q]
		g := Grid{Name: q, Values: []float64{defaults[j]}}
		if ok {
			p.check(f+"."+q, g.UnmarshalTOML(x))
		} else if math.IsNaN(defaults[j]) {
			p.fail(f+"."+q, "missing: %s %q needs parameter %s", what, c.Name, q)
		}
		if g.Name = q; single && len(g.Values) != 1 {
			p.fail(f+"."+q, "%d values: a training spec takes one value per parameter", len(g.Values))
		}
		c.Params = append(c.Params, g)
	}
	return c
}

// params returns the parameters of the registered distribution (isDist)
// or objective name, with their defaults (NaN: none), and whether it is
// registered.
func params(name string, isDist bool) (names []string, defaults []float64, ok bool) {
	var qs []objective.Param
	if fam, isFam := dist.Lookup(name); isDist {
		for _, q := range fam.Params {
			qs = append(qs, objective.Param(q))
		}
		ok = isFam
	} else {
		var kind objective.Kind
		kind, ok = objective.Lookup(name)
		qs = kind.Params
	}
	for _, q := range qs {
		names, defaults = append(names, q.Name), append(defaults, q.Default)
	}
	return names, defaults, ok
}

// UnmarshalTOML decodes the grid of one parameter (toml.Unmarshaler): a
// number, a list of numbers, { linspace = [start, end, points] } or
// { logspace = [start, end, points] } (whose ends, > 0, are the end
// values themselves, not exponents). It leaves Name as it is.
func (g *Grid) UnmarshalTOML(v any) error {
	g.Values, g.Space, g.Start, g.End, g.Points = nil, "", 0, 0, 0
	switch x := v.(type) {
	case int64, float64:
		f, err := asNumber(x)
		g.Values = []float64{f}
		return err
	case []any:
		if len(x) > MaxGridPoints {
			return errAt("", "%d values: at most %d per grid", len(x), MaxGridPoints)
		} else if len(x) == 0 {
			return errAt("", "empty list: want at least one value")
		}
		for _, y := range x {
			f, err := asNumber(y)
			if err != nil {
				return err
			}
			g.Values = append(g.Values, f)
		}
		return nil
	case map[string]any:
		if len(x) != 1 {
			return errAt("", "want exactly one of {linspace = [a, b, n]} or {logspace = [a, b, n]}")
		}
		for space, y := range x {
			sub := "." + toml.Key{space}.String()
			arr, ok := y.([]any)
			if space != "linspace" && space != "logspace" {
				return errAt(sub, "unknown grid kind (known: linspace, logspace)")
			} else if !ok || len(arr) != 3 {
				return errAt(sub, "want [start, end, points]")
			}
			a, err1 := asNumber(arr[0])
			b, err2 := asNumber(arr[1])
			n, err3 := ints(1, MaxGridPoints)(arr[2])
			switch {
			case err1 != nil || err2 != nil:
				return nest(sub, cmp.Or(err1, err2))
			case err3 != nil:
				return errAt(sub, "points: %v", err3)
			case space == "logspace" && (a <= 0 || b <= 0):
				return errAt(sub, "[%v, %v, %d]: logspace ends are the end values themselves (not exponents) and must be > 0", a, b, n)
			}
			g.Space, g.Start, g.End, g.Points = space, a, b, n
			g.expand(n)
		}
		return nil
	}
	return errAt("", "%s: want a number, a list of numbers, {linspace = [a, b, n]} or {logspace = [a, b, n]}", show(v))
}

// expand fills Values from Start, End and n points of g's spacing.
func (g *Grid) expand(n int) {
	g.Values = make([]float64, n)
	for i := range n {
		t := float64(i) / float64(max(n-1, 1))
		if g.Space == "logspace" {
			la, lb := math.Log(g.Start), math.Log(g.End)
			g.Values[i] = math.Exp(la + t*(lb-la))
		} else {
			g.Values[i] = g.Start + t*(g.End-g.Start)
		}
	}
	g.Values[n-1], g.Values[0] = g.End, g.Start
}

// AllEstimators, as an entry of an estimators list, stands for every
// registered estimator under its own name with default options; cells an
// estimator cannot handle are recorded as skipped.
const AllEstimators = "all"

// estimators decodes the estimators list of section, the one spelling of
// a spec's estimators: each entry a registered name, AllEstimators, or an
// inline table (see Estimator.UnmarshalTOML), whose n only [model]
// sections take.
func (p *parser) estimators(v value, section string, model bool) []Estimator {
	field := section + ".estimators"
	entries, ok := v.v.([]any)
	if v.set && !ok {
		p.fail(field, "%s: want an array of estimator names", show(v.v))
	} else if len(entries) == 0 {
		p.fail(field, `no estimators: give estimators = ["name", …]`)
	}
	var list []Estimator
	for i, x := range entries {
		f := fmt.Sprintf("%s[%d]", field, i)
		all := []Estimator{{}}
		if err := all[0].UnmarshalTOML(x); err != nil {
			p.check(f, err)
			continue
		} else if all[0].N != 0 && !model {
			p.fail(f+".n", "a per-estimator n applies to [model] sections only (sweeps take n from their grid, training specs from train.n)")
		}
		if x == AllEstimators {
			all = nil
			for _, name := range estimators.Names() {
				all = append(all, Estimator{Name: name, Label: name})
			}
		}
		for _, e := range all {
			if e.Label == "" || len(e.Label) > 100 || strings.ContainsAny(e.Label, ",|\"\n\r") {
				p.fail(f, "label %q: want 1 to 100 characters without , | \" or newlines", e.Label)
			} else if slices.ContainsFunc(list, func(b Estimator) bool { return b.Label == e.Label }) {
				p.fail(f, "duplicate estimator label %q: give each entry a unique label", e.Label)
			}
			if _, err := estimators.New(e.Name, e.Options); err != nil {
				if names, oerr := estimators.OptionNames(e.Name); oerr == nil && len(names) == 0 && len(e.Options) > 0 {
					err = fmt.Errorf("estimator %s takes no options", e.Name)
				}
				p.fail(f, "%v", err)
			}
			list = append(list, e)
		}
	}
	return list
}

// UnmarshalTOML decodes one entry of an estimators list
// (toml.Unmarshaler): a registered name, or an inline table
// { name, label, options, n }. Label defaults to the name; option values
// (strings, numbers and booleans) are kept as strings, as estimators.New
// takes them; N stays 0 without n.
func (e *Estimator) UnmarshalTOML(v any) error {
	*e = Estimator{}
	if name, ok := v.(string); ok {
		e.Name, e.Label = name, name
		return nil
	} else if _, ok := v.(map[string]any); !ok {
		return errAt("", "%s: want an estimator name or a table {name, label, options}", show(v))
	}
	t, err := asTable(v, "name", "label", "options", "n")
	if err == nil {
		e.N, err = member(t, "n", 0, ints(1, 1e6))
	}
	if err == nil {
		e.Name, err = member(t, "name", "", asString)
	}
	if err == nil && e.Name == "" {
		err = errAt(".name", "missing estimator name")
	}
	if err == nil {
		e.Label, err = member(t, "label", e.Name, asString)
	}
	if err == nil {
		e.Options, err = member(t, "options", nil, asOptions)
	}
	return err
}

// asOptions converts a table of scalar option values to strings.
func asOptions(v any) (map[string]string, error) {
	t, err := asTable(v)
	m := make(map[string]string, len(t))
	for _, k := range slices.Sorted(maps.Keys(t)) {
		switch x := t[k].(type) {
		case string:
			m[k] = x
		case bool, int64:
			m[k] = fmt.Sprint(x)
		case float64:
			if _, err := asNumber(x); err != nil {
				return nil, nest("."+toml.Key{k}.String(), err)
			}
			m[k] = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			return nil, errAt("."+toml.Key{k}.String(), "%s: want a string, number or boolean", show(x))
		}
	}
	return m, err
}
