package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/experiments/optim"

	"github.com/BurntSushi/toml"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Limits on the size of a sweep; larger grids are errors ("absurdly large").
const (
	// MaxCells is the largest number of cells a sweep may have.
	MaxCells = 1_000_000
	// MaxSamples is the largest total number of samples a sweep may draw:
	// Σ over cells of replications × n.
	MaxSamples = 1e12
	// MaxGridPoints is the largest number of values one parameter grid may have.
	MaxGridPoints = 100_000
	// DefaultBlock is the default number of replications per RNG stream.
	DefaultBlock = 1000
	// DefaultReferenceSamples is the default size of Monte Carlo references.
	DefaultReferenceSamples = 1_000_000
)

// ReferenceMethods are the accepted values of sweep.reference.
var ReferenceMethods = []string{"auto", "closed", "quadrature", "enumeration", "montecarlo"}

// Optimizers and Schedules are the accepted values of train.optimizer and
// train.schedule (package optim's).
var (
	Optimizers = []string{"sgd", "adam"}
	Schedules  = optim.Schedules
)

// Error is a spec error: it names the file, the line where known (0 if
// not), and the field, a dotted path such as "sweep.distributions[0].sigma".
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error formats e as "file:line: field: message", leaving out an unknown
// line or an empty field.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and parses the spec file at path. Every error, including a
// file that cannot be read, is a *Error.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &Error{File: path, Msg: msg}
	}
	return Parse(path, data)
}

// Parse parses and validates the spec text data; file names it in errors.
// Every error is a *Error. Parse never panics.
func Parse(file string, data []byte) (*Spec, error) {
	p := &parser{file: file}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		e := &Error{File: file, Field: "", Msg: err.Error()}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line, e.Msg = pe.Position.Line, pe.Message
			if pe.LastKey != "" {
				e.Field = pe.LastKey
			}
		}
		return nil, e
	}
	p.lines = keyLines(data)
	sum := sha256.Sum256(data)
	s := &Spec{File: file, Text: string(data), SHA256: hex.EncodeToString(sum[:])}
	if err := p.spec(s, doc); err != nil {
		return nil, err
	}
	return s, nil
}

type parser struct {
	file  string
	lines map[string]int
}

func (p *parser) errf(field, format string, args ...any) *Error {
	return &Error{File: p.file, Line: lineOf(p.lines, field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

func (p *parser) spec(s *Spec, doc map[string]any) error {
	if err := p.keys(doc, "", "name", "description", "seed", "sweep", "train", "model", "profile", "plot"); err != nil {
		return err
	}
	var err error
	if s.Name, err = p.str(doc, "", "name", ""); err != nil {
		return err
	}
	switch {
	case s.Name == "":
		return p.errf("name", "missing: every spec needs a name (the results folder name)")
	case len(s.Name) > 100 || !nameRE.MatchString(s.Name):
		return p.errf("name", "%q: want lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)", s.Name)
	}
	if s.Description, err = p.str(doc, "", "description", ""); err != nil {
		return err
	}
	seed, ok := doc["seed"]
	if !ok {
		return p.errf("seed", "missing: every spec needs a seed (a non-negative integer)")
	}
	si, ok := seed.(int64)
	if !ok || si < 0 {
		return p.errf("seed", "%s: want a non-negative integer", show(seed))
	}
	s.Seed = uint64(si)

	_, hasSweep := doc["sweep"]
	_, hasTrain := doc["train"]
	_, hasModel := doc["model"]
	switch {
	case hasSweep && hasTrain:
		return p.errf("train", "a spec has either a [sweep] or a [train] section, not both")
	case hasModel && (hasSweep || hasTrain):
		return p.errf("model", "a spec has one of a [sweep], [train] or [model] section")
	case hasModel:
		t, err := p.table(doc, "", "model")
		if err != nil {
			return err
		}
		if s.Model, err = p.model(t); err != nil {
			return err
		}
	case !hasSweep && !hasTrain:
		return p.errf("", "a spec needs a [sweep] or a [train] section, or a [model] section")
	case hasSweep:
		t, err := p.table(doc, "", "sweep")
		if err != nil {
			return err
		}
		if s.Sweep, err = p.sweep(t); err != nil {
			return err
		}
	default:
		t, err := p.table(doc, "", "train")
		if err != nil {
			return err
		}
		if s.Train, err = p.train(t); err != nil {
			return err
		}
	}
	if _, ok := doc["plot"]; ok {
		t, err := p.table(doc, "", "plot")
		if err != nil {
			return err
		}
		if s.Plot, err = p.plot(t); err != nil {
			return err
		}
	}
	if _, ok := doc["profile"]; ok {
		t, err := p.table(doc, "", "profile")
		if err != nil {
			return err
		}
		s.Profiles = map[string]Profile{}
		for _, name := range slices.Sorted(maps.Keys(t)) {
			pt, err := p.table(t, "profile", name)
			if err != nil {
				return err
			}
			pr, err := p.profile(pt, "profile."+quoteKey(name), s.Train != nil || s.Model != nil)
			if err != nil {
				return err
			}
			s.Profiles[name] = pr
		}
	}
	s.file, s.lines = p.file, p.lines
	return s.validate()
}

// keys reports the first key of t (in document order) that is not allowed.
func (p *parser) keys(t map[string]any, path string, allowed ...string) error {
	var bad []string
	for k := range t {
		if !slices.Contains(allowed, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.SortFunc(bad, func(a, b string) int {
		la, lb := lineOf(p.lines, join(path, quoteKey(a))), lineOf(p.lines, join(path, quoteKey(b)))
		if la != lb {
			return la - lb
		}
		return strings.Compare(a, b)
	})
	where := "the top level"
	if path != "" {
		where = "[" + path + "]"
	}
	return p.errf(join(path, quoteKey(bad[0])), "unknown key in %s (known: %s)", where, strings.Join(allowed, ", "))
}

func quoteKey(k string) string {
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return strconv.Quote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// show describes a TOML value for an error message.
func show(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}

func (p *parser) str(t map[string]any, path, key, def string) (string, error) {
	v, ok := t[key]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", p.errf(join(path, key), "%s: want a string", show(v))
	}
	return s, nil
}

func (p *parser) boolean(t map[string]any, path, key string, def bool) (bool, error) {
	v, ok := t[key]
	if !ok {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, p.errf(join(path, key), "%s: want true or false", show(v))
	}
	return b, nil
}

// integer returns t[key] as an int in [lo, hi], or def if absent.
func (p *parser) integer(t map[string]any, path, key string, def, lo, hi int64) (int, error) {
	v, ok := t[key]
	if !ok {
		return int(def), nil
	}
	return p.intValue(v, join(path, key), lo, hi)
}

func (p *parser) intValue(v any, field string, lo, hi int64) (int, error) {
	i, ok := v.(int64)
	if !ok {
		return 0, p.errf(field, "%s: want an integer", show(v))
	}
	switch {
	case i < lo:
		return 0, p.errf(field, "%d: want an integer ≥ %d", i, lo)
	case i > hi:
		return 0, p.errf(field, "%d: too large (at most %d)", i, hi)
	}
	return int(i), nil
}

// number converts a TOML integer or float to a finite float64.
func (p *parser) number(v any, field string) (float64, error) {
	var f float64
	switch v := v.(type) {
	case int64:
		f = float64(v)
	case float64:
		f = v
	default:
		return 0, p.errf(field, "%s: want a number", show(v))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, p.errf(field, "%v: want a finite number", f)
	}
	return f, nil
}

func (p *parser) float(t map[string]any, path, key string, def float64) (float64, error) {
	v, ok := t[key]
	if !ok {
		return def, nil
	}
	return p.number(v, join(path, key))
}

func (p *parser) table(t map[string]any, path, key string) (map[string]any, error) {
	v := t[key]
	m, ok := v.(map[string]any)
	if !ok {
		return nil, p.errf(join(path, quoteKey(key)), "%s: want a table", show(v))
	}
	return m, nil
}

// tables returns t[key] as a list of tables (an array of tables, or an
// array of inline tables).
func (p *parser) tables(t map[string]any, path, key string) ([]map[string]any, error) {
	switch v := t[key].(type) {
	case nil:
		return nil, nil
	case []map[string]any:
		return v, nil
	case []any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, p.errf(fmt.Sprintf("%s[%d]", join(path, key), i), "%s: want a table", show(e))
			}
			out[i] = m
		}
		return out, nil
	default:
		return nil, p.errf(join(path, key), "%s: want an array of tables", show(v))
	}
}

func (p *parser) sweep(t map[string]any) (*Sweep, error) {
	const path = "sweep"
	if err := p.keys(t, path, "estimators", "estimator", "options", "distributions", "objectives",
		"n", "replications", "block", "reference", "reference_samples"); err != nil {
		return nil, err
	}
	sw := &Sweep{}
	var err error
	if sw.Estimators, err = p.estimators(t, path); err != nil {
		return nil, err
	}
	if sw.Distributions, err = p.components(t, path, "distributions", false); err != nil {
		return nil, err
	}
	if sw.Objectives, err = p.components(t, path, "objectives", false); err != nil {
		return nil, err
	}
	if sw.N, err = p.ns(t, path); err != nil {
		return nil, err
	}
	if _, ok := t["replications"]; !ok {
		return nil, p.errf("sweep.replications", "missing: the number of estimates per cell (≥ 2)")
	}
	if sw.Replications, err = p.integer(t, path, "replications", 0, 2, 1<<40); err != nil {
		return nil, err
	}
	if _, ok := t["block"]; ok {
		if sw.Block, err = p.integer(t, path, "block", 0, 1, 1<<40); err != nil {
			return nil, err
		}
		sw.blockGiven = true
	}
	if sw.Reference, err = p.str(t, path, "reference", "auto"); err != nil {
		return nil, err
	}
	if !slices.Contains(ReferenceMethods, sw.Reference) {
		return nil, p.errf("sweep.reference", "%q: want one of %s", sw.Reference, strings.Join(ReferenceMethods, ", "))
	}
	if sw.ReferenceSamples, err = p.integer(t, path, "reference_samples", DefaultReferenceSamples, 2, 1e10); err != nil {
		return nil, err
	}
	sw.setBlock()
	return sw, nil
}

func (sw *Sweep) setBlock() {
	if !sw.blockGiven {
		sw.Block = DefaultBlock
	}
	sw.Block = max(min(sw.Block, sw.Replications), 1)
}

func (p *parser) ns(t map[string]any, path string) ([]int, error) {
	field := join(path, "n")
	v, ok := t["n"]
	if !ok {
		return []int{1}, nil
	}
	var list []any
	switch v := v.(type) {
	case []any:
		list = v
	default:
		list = []any{v}
	}
	if len(list) == 0 {
		return nil, p.errf(field, "empty list: want at least one sample size")
	}
	ns := make([]int, len(list))
	for i, e := range list {
		n, err := p.intValue(e, field, 1, 1<<30)
		if err != nil {
			return nil, err
		}
		if slices.Contains(ns[:i], n) {
			return nil, p.errf(field, "%d appears twice", n)
		}
		ns[i] = n
	}
	return ns, nil
}

// estimators reads the estimators list (names or inline tables), the
// [[…estimator]] tables and the [….options.LABEL] tables.
func (p *parser) estimators(t map[string]any, path string) ([]Estimator, error) {
	var list []Estimator
	var fields []string // where each estimator is defined, for errors
	field := join(path, "estimators")
	switch v := t["estimators"].(type) {
	case nil:
	case []any:
		for i, e := range v {
			f := fmt.Sprintf("%s[%d]", field, i)
			switch e := e.(type) {
			case string:
				if e == AllEstimators {
					for _, name := range estimators.Names() {
						list = append(list, Estimator{Name: name, Label: name})
						fields = append(fields, f)
					}
					continue
				}
				list = append(list, Estimator{Name: e, Label: e})
				fields = append(fields, f)
			case map[string]any:
				est, err := p.estimator(e, f)
				if err != nil {
					return nil, err
				}
				list = append(list, est)
				fields = append(fields, f)
			default:
				return nil, p.errf(f, "%s: want an estimator name or a table {name, label, options}", show(e))
			}
		}
	case []map[string]any:
		for i, e := range v {
			f := fmt.Sprintf("%s[%d]", field, i)
			est, err := p.estimator(e, f)
			if err != nil {
				return nil, err
			}
			list = append(list, est)
			fields = append(fields, f)
		}
	default:
		return nil, p.errf(field, "%s: want an array of estimator names", show(v))
	}
	tabs, err := p.tables(t, path, "estimator")
	if err != nil {
		return nil, err
	}
	for i, e := range tabs {
		f := fmt.Sprintf("%s[%d]", join(path, "estimator"), i)
		est, err := p.estimator(e, f)
		if err != nil {
			return nil, err
		}
		list = append(list, est)
		fields = append(fields, f)
	}
	if len(list) == 0 {
		return nil, p.errf(field, "no estimators: give estimators = [\"name\", …] or [[%s.estimator]] tables", path)
	}
	if _, ok := t["options"]; ok {
		opts, err := p.table(t, path, "options")
		if err != nil {
			return nil, err
		}
		for _, label := range slices.Sorted(maps.Keys(opts)) {
			f := join(join(path, "options"), quoteKey(label))
			i := slices.IndexFunc(list, func(e Estimator) bool { return e.Label == label })
			if i < 0 {
				return nil, p.errf(f, "no estimator labelled %q in this spec", label)
			}
			o, err := p.table(opts, join(path, "options"), label)
			if err != nil {
				return nil, err
			}
			m, err := p.options(o, f)
			if err != nil {
				return nil, err
			}
			if list[i].Options == nil {
				list[i].Options = map[string]string{}
			}
			maps.Copy(list[i].Options, m)
			fields[i] = f
		}
	}
	for i, e := range list {
		f := fields[i]
		if e.Label == "" || len(e.Label) > 100 || strings.ContainsAny(e.Label, ",|\"\n\r") {
			return nil, p.errf(f, "label %q: want 1 to 100 characters without , | \" or newlines", e.Label)
		}
		for _, prev := range list[:i] {
			if prev.Label == e.Label {
				return nil, p.errf(f, "duplicate estimator label %q: give each entry a unique label", e.Label)
			}
		}
		if _, err := estimators.New(e.Name, e.Options); err != nil {
			if strings.HasSuffix(err.Error(), "(known: )") {
				return nil, p.errf(f, "estimator %s takes no options", e.Name)
			}
			return nil, p.errf(f, "%v", err)
		}
	}
	return list, nil
}

func (p *parser) estimator(t map[string]any, field string) (Estimator, error) {
	if err := p.keys(t, field, "name", "label", "options", "n"); err != nil {
		return Estimator{}, err
	}
	if _, ok := t["n"]; ok && !strings.HasPrefix(field, "model.") {
		return Estimator{}, p.errf(join(field, "n"), "a per-estimator n applies to [model] sections only (sweeps take n from their grid, training specs from train.n)")
	}
	n, err := p.integer(t, field, "n", 0, 1, 1e6)
	if err != nil {
		return Estimator{}, err
	}
	name, err := p.str(t, field, "name", "")
	if err != nil {
		return Estimator{}, err
	}
	if name == "" {
		return Estimator{}, p.errf(join(field, "name"), "missing estimator name")
	}
	label, err := p.str(t, field, "label", name)
	if err != nil {
		return Estimator{}, err
	}
	e := Estimator{Name: name, Label: label, N: int(n)}
	if _, ok := t["options"]; ok {
		o, err := p.table(t, field, "options")
		if err != nil {
			return Estimator{}, err
		}
		if e.Options, err = p.options(o, join(field, "options")); err != nil {
			return Estimator{}, err
		}
	}
	return e, nil
}

// options converts a table of scalar option values to strings.
func (p *parser) options(t map[string]any, field string) (map[string]string, error) {
	m := make(map[string]string, len(t))
	for k, v := range t {
		f := join(field, quoteKey(k))
		switch v := v.(type) {
		case string:
			m[k] = v
		case bool:
			m[k] = strconv.FormatBool(v)
		case int64:
			m[k] = strconv.FormatInt(v, 10)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, p.errf(f, "%v: want a finite number", v)
			}
			m[k] = strconv.FormatFloat(v, 'g', -1, 64)
		default:
			return nil, p.errf(f, "%s: want a string, number or boolean", show(v))
		}
	}
	return m, nil
}

// components reads an array of distribution or objective tables; single
// requires one value per parameter (training specs).
func (p *parser) components(t map[string]any, path, key string, single bool) ([]Component, error) {
	field := join(path, key)
	tabs, err := p.tables(t, path, key)
	if err != nil {
		return nil, err
	}
	if len(tabs) == 0 {
		return nil, p.errf(field, "missing: add at least one [[%s]] table with a name", field)
	}
	isDist := key == "distributions" || key == "distribution"
	out := make([]Component, len(tabs))
	for i, tab := range tabs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if c, err := p.component(tab, f, isDist, single); err != nil {
			return nil, err
		} else {
			out[i] = c
		}
	}
	return out, nil
}

func (p *parser) component(tab map[string]any, f string, isDist, single bool) (Component, error) {
	name, err := p.str(tab, f, "name", "")
	if err != nil {
		return Component{}, err
	}
	var params []string
	var defaults []float64
	switch {
	case name == "":
		return Component{}, p.errf(join(f, "name"), "missing name")
	case isDist:
		fam, ok := dist.Lookup(name)
		if !ok {
			return Component{}, p.errf(join(f, "name"), "unknown distribution %q (known: %s)", name, strings.Join(dist.Families(), ", "))
		}
		for _, q := range fam.Params {
			params, defaults = append(params, q.Name), append(defaults, q.Default)
		}
	default:
		kind, ok := objective.Lookup(name)
		if !ok {
			return Component{}, p.errf(join(f, "name"), "unknown objective %q (known: %s)", name, strings.Join(objective.Names(), ", "))
		}
		for _, q := range kind.Params {
			params, defaults = append(params, q.Name), append(defaults, q.Default)
		}
	}
	if err := p.keys(tab, f, append([]string{"name"}, params...)...); err != nil {
		return Component{}, err
	}
	c := Component{Name: name}
	for j, q := range params {
		pf := join(f, q)
		v, ok := tab[q]
		if !ok {
			if math.IsNaN(defaults[j]) {
				return Component{}, p.errf(pf, "missing: %s %q needs parameter %s", kindWord(isDist), name, q)
			}
			c.Params = append(c.Params, Grid{Name: q, Values: []float64{defaults[j]}})
			continue
		}
		g, err := p.grid(v, pf)
		if err != nil {
			return Component{}, err
		}
		g.Name = q
		if single && len(g.Values) != 1 {
			return Component{}, p.errf(pf, "%d values: a training spec takes one value per parameter", len(g.Values))
		}
		c.Params = append(c.Params, g)
	}
	return c, nil
}

func kindWord(isDist bool) string {
	if isDist {
		return "distribution"
	}
	return "objective"
}

// grid parses a parameter value: a number, a list of numbers, or a table
// {linspace = [a, b, n]} or {logspace = [a, b, n]}.
func (p *parser) grid(v any, field string) (Grid, error) {
	switch v := v.(type) {
	case int64, float64:
		x, err := p.number(v, field)
		return Grid{Values: []float64{x}}, err
	case []any:
		if len(v) == 0 {
			return Grid{}, p.errf(field, "empty list: want at least one value")
		}
		if len(v) > MaxGridPoints {
			return Grid{}, p.errf(field, "%d values: at most %d per grid", len(v), MaxGridPoints)
		}
		g := Grid{Values: make([]float64, len(v))}
		for i, e := range v {
			x, err := p.number(e, field)
			if err != nil {
				return Grid{}, err
			}
			g.Values[i] = x
		}
		return g, nil
	case map[string]any:
		if len(v) != 1 {
			return Grid{}, p.errf(field, "want exactly one of {linspace = [a, b, n]} or {logspace = [a, b, n]}")
		}
		var space string
		for k := range v {
			space = k
		}
		if space != "linspace" && space != "logspace" {
			return Grid{}, p.errf(join(field, quoteKey(space)), "unknown grid kind (known: linspace, logspace)")
		}
		sf := join(field, space)
		arr, ok := v[space].([]any)
		if !ok || len(arr) != 3 {
			return Grid{}, p.errf(sf, "want [start, end, points]")
		}
		a, err := p.number(arr[0], sf)
		if err != nil {
			return Grid{}, err
		}
		b, err := p.number(arr[1], sf)
		if err != nil {
			return Grid{}, err
		}
		n, err := p.intValue(arr[2], sf, 1, MaxGridPoints)
		if err != nil {
			return Grid{}, p.errf(sf, "points: %s", err.(*Error).Msg)
		}
		if space == "logspace" && (a <= 0 || b <= 0) {
			return Grid{}, p.errf(sf, "[%v, %v, %d]: logspace ends are the end values themselves (not exponents) and must be > 0", a, b, n)
		}
		g := Grid{Space: space, Start: a, End: b, Points: n}
		g.expand(n)
		return g, nil
	}
	return Grid{}, p.errf(field, "%s: want a number, a list of numbers, {linspace = [a, b, n]} or {logspace = [a, b, n]}", show(v))
}

// expand fills Values from Start, End and n points of g's spacing.
func (g *Grid) expand(n int) {
	g.Values = make([]float64, n)
	if n == 1 {
		g.Values[0] = g.Start
		return
	}
	for i := range n {
		t := float64(i) / float64(n-1)
		if g.Space == "logspace" {
			la, lb := math.Log(g.Start), math.Log(g.End)
			g.Values[i] = math.Exp(la + t*(lb-la))
		} else {
			g.Values[i] = g.Start + t*(g.End-g.Start)
		}
	}
	g.Values[0], g.Values[n-1] = g.Start, g.End
}

func (p *parser) train(t map[string]any) (*Train, error) {
	const path = "train"
	if err := p.keys(t, path, "estimators", "estimator", "options", "distribution", "objective",
		"optimizer", "learning_rate", "schedule", "momentum", "steps", "n", "eval_every",
		"variance_draws", "objective_samples", "seeds", "log_params", "checkpoint_every", "checkpoint_seconds"); err != nil {
		return nil, err
	}
	tr := &Train{}
	var err error
	if tr.Estimators, err = p.estimators(t, path); err != nil {
		return nil, err
	}
	for _, key := range []string{"distribution", "objective"} {
		v, ok := t[key]
		if !ok {
			return nil, p.errf(join(path, key), "missing: a [train.%s] table with a name and one value per parameter", key)
		}
		tab, ok := v.(map[string]any)
		if !ok {
			return nil, p.errf(join(path, key), "%s: want a table", show(v))
		}
		c, err := p.component(tab, join(path, key), key == "distribution", true)
		if err != nil {
			return nil, err
		}
		if key == "distribution" {
			tr.Distribution = c
		} else {
			tr.Objective = c
		}
	}
	if tr.Optimizer, err = p.str(t, path, "optimizer", "sgd"); err != nil {
		return nil, err
	}
	if !slices.Contains(Optimizers, tr.Optimizer) {
		return nil, p.errf("train.optimizer", "%q: want one of %s", tr.Optimizer, strings.Join(Optimizers, ", "))
	}
	if _, ok := t["learning_rate"]; !ok {
		return nil, p.errf("train.learning_rate", "missing: the optimizer's step size (> 0)")
	}
	if tr.LearningRate, err = p.float(t, path, "learning_rate", 0); err != nil {
		return nil, err
	}
	if tr.LearningRate <= 0 {
		return nil, p.errf("train.learning_rate", "%v: want a number > 0", tr.LearningRate)
	}
	if tr.Schedule, err = p.str(t, path, "schedule", "constant"); err != nil {
		return nil, err
	}
	if !slices.Contains(Schedules, tr.Schedule) {
		return nil, p.errf("train.schedule", "%q: want one of %s", tr.Schedule, strings.Join(Schedules, ", "))
	}
	if tr.Momentum, err = p.float(t, path, "momentum", 0); err != nil {
		return nil, err
	}
	if tr.Momentum < 0 || tr.Momentum >= 1 {
		return nil, p.errf("train.momentum", "%v: want a number in [0, 1)", tr.Momentum)
	}
	if tr.Momentum != 0 && tr.Optimizer != "sgd" {
		return nil, p.errf("train.momentum", "%v: momentum applies to optimizer \"sgd\" only (adam has its own moment estimates)", tr.Momentum)
	}
	if tr.LogParams, err = p.logParams(t, tr.Distribution); err != nil {
		return nil, err
	}
	if _, ok := t["steps"]; !ok {
		return nil, p.errf("train.steps", "missing: the number of optimizer steps (≥ 1)")
	}
	if tr.Steps, err = p.integer(t, path, "steps", 0, 1, 1e9); err != nil {
		return nil, err
	}
	if tr.N, err = p.integer(t, path, "n", 1, 1, 1<<30); err != nil {
		return nil, err
	}
	if tr.EvalEvery, err = p.integer(t, path, "eval_every", int64(max(tr.Steps/100, 1)), 1, 1e9); err != nil {
		return nil, err
	}
	if tr.Checkpoint, err = p.checkpoint(t, path); err != nil {
		return nil, err
	}
	if tr.VarianceDraws, err = p.integer(t, path, "variance_draws", 0, 0, 1e7); err != nil {
		return nil, err
	}
	if tr.VarianceDraws == 1 {
		return nil, p.errf("train.variance_draws", "1: want 0 (not measured) or ≥ 2 draws")
	}
	if tr.ObjectiveSamples, err = p.integer(t, path, "objective_samples", 10000, 1, 1e9); err != nil {
		return nil, err
	}
	if tr.Seeds, err = p.integer(t, path, "seeds", 1, 1, 10000); err != nil {
		return nil, err
	}
	return tr, nil
}

func (p *parser) plot(t map[string]any) (*Plot, error) {
	const path = "plot"
	if err := p.keys(t, path, "recipe", "x", "metric", "log_x", "log_y", "exact", "title", "y_min", "y_max", "y_ranges", "params"); err != nil {
		return nil, err
	}
	pl := &Plot{}
	var err error
	for _, s := range []struct {
		key string
		dst *string
		def string
	}{{"recipe", &pl.Recipe, ""}, {"x", &pl.X, ""}, {"metric", &pl.Metric, "variance"}, {"exact", &pl.Exact, ""}, {"title", &pl.Title, ""}} {
		if *s.dst, err = p.str(t, path, s.key, s.def); err != nil {
			return nil, err
		}
	}
	if pl.Recipe == "" {
		return nil, p.errf("plot.recipe", "missing: the plot recipe, e.g. \"variance\"")
	}
	if pl.LogX, err = p.boolean(t, path, "log_x", false); err != nil {
		return nil, err
	}
	if pl.LogY, err = p.boolean(t, path, "log_y", false); err != nil {
		return nil, err
	}
	if pl.YMin, err = p.float(t, path, "y_min", 0); err != nil {
		return nil, err
	}
	if pl.YMax, err = p.float(t, path, "y_max", 0); err != nil {
		return nil, err
	}
	if pl.YMin != 0 && pl.YMax != 0 && pl.YMin >= pl.YMax {
		return nil, p.errf("plot.y_max", "%v: want y_max > y_min (%v)", pl.YMax, pl.YMin)
	}
	if pl.LogY && pl.YMin < 0 {
		return nil, p.errf("plot.y_min", "%v: a log axis needs y_min > 0 (or 0: automatic)", pl.YMin)
	}
	if pl.LogY && pl.YMax < 0 {
		return nil, p.errf("plot.y_max", "%v: a log axis needs y_max > 0 (or 0: automatic)", pl.YMax)
	}
	if v, ok := t["params"]; ok {
		list, ok := v.([]any)
		if !ok {
			return nil, p.errf("plot.params", "%s: want a list of parameter names", show(v))
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, p.errf("plot.params", "%s: want a parameter name", show(e))
			}
			pl.Params = append(pl.Params, s)
		}
	}
	if _, ok := t["y_ranges"]; ok {
		if pl.YRanges, err = p.yRanges(t, pl); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// yRanges parses plot.y_ranges, a table from gradient component to its
// panel's [min, max] (0: automatic), e.g. { mu = [0.005, 10], sigma =
// [0.1, 10] }, sorted by component. A component must be among pl.Params
// when those are given.
func (p *parser) yRanges(t map[string]any, pl *Plot) ([]PanelRange, error) {
	m, err := p.table(t, "plot", "y_ranges")
	if err != nil {
		return nil, p.errf("plot.y_ranges", "%s: want a table of component = [min, max], e.g. { sigma = [0.1, 10] }", show(t["y_ranges"]))
	}
	var out []PanelRange
	for _, name := range slices.Sorted(maps.Keys(m)) {
		field := join("plot.y_ranges", quoteKey(name))
		if name == "" {
			return nil, p.errf(field, "want a gradient component name, e.g. sigma")
		}
		if len(pl.Params) > 0 && !slices.Contains(pl.Params, name) {
			return nil, p.errf(field, "%q is not among the plotted params (%s)", name, strings.Join(pl.Params, ", "))
		}
		list, ok := m[name].([]any)
		if !ok || len(list) != 2 {
			return nil, p.errf(field, "%s: want [min, max]", show(m[name]))
		}
		var r PanelRange
		r.Param = name
		if r.Min, err = p.number(list[0], field); err != nil {
			return nil, err
		}
		if r.Max, err = p.number(list[1], field); err != nil {
			return nil, err
		}
		switch {
		case r.Min != 0 && r.Max != 0 && r.Min >= r.Max:
			return nil, p.errf(field, "[%v, %v]: want min < max", r.Min, r.Max)
		case pl.LogY && (r.Min < 0 || r.Max < 0):
			return nil, p.errf(field, "[%v, %v]: a log axis needs limits > 0 (or 0: automatic)", r.Min, r.Max)
		}
		out = append(out, r)
	}
	return out, nil
}

func (p *parser) profile(t map[string]any, path string, train bool) (Profile, error) {
	var pr Profile
	var err error
	get := func(key string, lo, hi int64) (*int, error) {
		if _, ok := t[key]; !ok {
			return nil, nil
		}
		v, err := p.integer(t, path, key, 0, lo, hi)
		return &v, err
	}
	if train {
		if err := p.keys(t, path, "steps", "seeds", "eval_every", "variance_draws", "objective_samples",
			"train_images", "test_images", "final_test_images", "probe_draws"); err != nil {
			return pr, err
		}
		for _, f := range []struct {
			key    string
			dst    **int
			lo, hi int64
		}{{"steps", &pr.Steps, 1, 1e9}, {"seeds", &pr.Seeds, 1, 10000}, {"eval_every", &pr.EvalEvery, 1, 1e9},
			{"variance_draws", &pr.VarianceDraws, 0, 1e7}, {"objective_samples", &pr.ObjectiveSamples, 1, 1e9},
			{"train_images", &pr.TrainImages, 1, 1e7}, {"test_images", &pr.TestImages, 1, 1e7},
			{"final_test_images", &pr.FinalTestImages, 0, 1e7},
			{"probe_draws", &pr.ProbeDraws, 2 * ProbeBlocks, 1e6}} {
			if *f.dst, err = get(f.key, f.lo, f.hi); err != nil {
				return pr, err
			}
		}
		if pr.VarianceDraws != nil && *pr.VarianceDraws == 1 {
			return pr, p.errf(join(path, "variance_draws"), "1: want 0 (not measured) or ≥ 2 draws")
		}
		return pr, nil
	}
	if err := p.keys(t, path, "replications", "points", "n", "block", "reference_samples"); err != nil {
		return pr, err
	}
	for _, f := range []struct {
		key    string
		dst    **int
		lo, hi int64
	}{{"replications", &pr.Replications, 2, 1 << 40}, {"points", &pr.Points, 1, MaxGridPoints},
		{"block", &pr.Block, 1, 1 << 40}, {"reference_samples", &pr.ReferenceSamples, 2, 1e10}} {
		if *f.dst, err = get(f.key, f.lo, f.hi); err != nil {
			return pr, err
		}
	}
	if _, ok := t["n"]; ok {
		if pr.N, err = p.ns(t, path); err != nil {
			return pr, err
		}
	}
	return pr, nil
}

// AllEstimators, as an entry of an estimators list, stands for every
// registered estimator under its own name with default options; cells an
// estimator cannot handle are recorded as skipped.
const AllEstimators = "all"

// logParams reads train.log_params: components of θ, by the family's
// ParamNames, that the optimizer moves on the log scale; each must be
// positive at the initial point.
func (p *parser) logParams(t map[string]any, c Component) ([]string, error) {
	const field = "train.log_params"
	v, ok := t["log_params"]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, p.errf(field, "%s: want an array of parameter names, e.g. [\"sigma\"]", show(v))
	}
	params := map[string]float64{}
	for _, g := range c.Params {
		params[g.Name] = g.Values[0]
	}
	d, err := dist.New(c.Name, params)
	if err != nil {
		return nil, p.errf(field, "%v", err)
	}
	names, theta := d.ParamNames(), d.Params(nil)
	var out []string
	for i, e := range list {
		name, ok := e.(string)
		if !ok {
			return nil, p.errf(fmt.Sprintf("%s[%d]", field, i), "%s: want a parameter name", show(e))
		}
		j := slices.Index(names, name)
		if j < 0 {
			return nil, p.errf(fmt.Sprintf("%s[%d]", field, i), "%q: family %s has parameters %s", name, d.Name(), strings.Join(names, ", "))
		}
		if !(theta[j] > 0) {
			return nil, p.errf(fmt.Sprintf("%s[%d]", field, i), "%s = %v initially: a log-scale parameter must be > 0", name, theta[j])
		}
		if slices.Contains(out, name) {
			return nil, p.errf(fmt.Sprintf("%s[%d]", field, i), "%q listed twice", name)
		}
		out = append(out, name)
	}
	return out, nil
}

// checkpoint reads the checkpoint_every and checkpoint_seconds keys of a
// [train] or [model] section.
func (p *parser) checkpoint(t map[string]any, path string) (Checkpoint, error) {
	var c Checkpoint
	var err error
	if c.Every, err = p.integer(t, path, "checkpoint_every", 0, 0, 1e9); err != nil {
		return c, err
	}
	if c.Seconds, err = p.float(t, path, "checkpoint_seconds", DefaultCheckpointSeconds); err != nil {
		return c, err
	}
	if !(c.Seconds >= 0) || math.IsInf(c.Seconds, 0) {
		return c, p.errf(path+".checkpoint_seconds", "%v: want a finite number ≥ 0 (0: no time-based checkpoints)", c.Seconds)
	}
	return c, nil
}
