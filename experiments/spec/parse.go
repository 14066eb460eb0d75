package spec

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Limits on the size of a spec and of a sweep; larger ones are errors.
const (
	// MaxSpecBytes is the size of the largest spec (1 MiB): a spec
	// describes an experiment, and its text is copied into its results.
	MaxSpecBytes = 1 << 20
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
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if s += ": "; e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Msg
}

// A Check validates a parsed spec on behalf of a package that gives part
// of it its meaning but imports spec, so that spec cannot ask it: package
// figure checks the [plot] recipes it draws. It returns the offending
// field (a dotted path, as in Error) and what is wrong, or "" and nil.
type Check func(s *Spec) (field string, err error)

var checks []Check

// RegisterCheck adds c to the checks that Parse and Load run, in order of
// registration, on every spec that passes their own. Packages register
// from init. RegisterCheck panics if c is nil.
func RegisterCheck(c Check) {
	if c == nil {
		panic("spec: RegisterCheck with a nil check")
	}
	checks = append(checks, c)
}

// Parse parses and validates the spec text data; file names it in errors.
// It reads no file (Load checks a model's data file). Every error is a
// *Error. Parse never panics.
func Parse(file string, data []byte) (*Spec, error) { return parse(file, file, data) }

// document is a spec as package toml decodes it: the tagged structs of
// the exported types, preset to their defaults, beside values that the
// parser converts itself (estimator lists, grids, …). Tag need says what
// a missing key is for, range bounds an integer ("lo,hi"), want says what
// a value of the wrong type should be, and kind limits a key of a
// profile to specs of that kind.
type document struct {
	Name        string                 `toml:"name"`
	Description string                 `toml:"description"`
	Seed        uint64                 `toml:"seed" need:"every spec needs a seed (a non-negative integer)"`
	Sweep       *sweepDoc              `toml:"sweep"`
	Train       *trainDoc              `toml:"train"`
	Model       *modelDoc              `toml:"model"`
	Plot        *plotDoc               `toml:"plot"`
	Profile     map[string]*profileDoc `toml:"profile"`
}

type sweepDoc struct {
	Sweep
	Estimators    value `toml:"estimators"`
	Distributions value `toml:"distributions"`
	Objectives    value `toml:"objectives"`
	N             value `toml:"n"`
}

type trainDoc struct {
	Train
	Checkpoint
	Estimators   value `toml:"estimators"`
	Distribution value `toml:"distribution" need:"a [train.distribution] table with a name and one value per parameter"`
	Objective    value `toml:"objective" need:"a [train.objective] table with a name and one value per parameter"`
}

type plotDoc struct {
	Plot
	YRanges map[string][]float64 `toml:"y_ranges" want:"a table of component = [min, max], e.g. { sigma = [0.1, 10] }"`
}

type profileDoc struct {
	Profile
	N value `toml:"n" kind:"sweep"`
}

// value is a TOML value as decoded (a string, int64, float64, bool, []any,
// []map[string]any or map[string]any), for the parser to convert.
type value struct {
	v   any
	set bool
}

// UnmarshalTOML keeps v (toml.Unmarshaler).
func (x *value) UnmarshalTOML(v any) error {
	x.v, x.set = v, true
	return nil
}

// parser decodes one spec. Its first error wins; missing keys and
// integers out of range wait in pending until unknown keys are checked.
type parser struct {
	file         string
	lines        map[string]int
	md           toml.MetaData
	err, pending *Error
}

func (p *parser) errf(field, format string, args ...any) *Error {
	return &Error{File: p.file, Line: lineOf(p.lines, field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) fail(field, format string, args ...any) {
	if p.err == nil {
		p.err = p.errf(field, format, args...)
	}
}

// check records err, a *fieldError below field or any error, at field.
func (p *parser) check(field string, err error) {
	if fe := (*fieldError)(nil); errors.As(err, &fe) {
		p.fail(field+fe.Sub, "%s", fe.Msg)
	} else if err != nil {
		p.fail(field, "%v", err)
	}
}

// parse parses data, naming the file name in errors and recording file
// as the spec's File.
func parse(file, name string, data []byte) (*Spec, error) {
	if len(data) > MaxSpecBytes {
		return nil, &Error{File: name, Msg: fmt.Sprintf("%d bytes: %s", len(data), tooLarge)}
	}
	p := &parser{file: name, lines: keyLines(data)}
	// The values' types are checked against the tagged structs first, so
	// that decoding into them can fail only with a toml.ParseError.
	var raw map[string]any
	_, err := toml.Decode(string(data), &raw)
	d := document{Sweep: &sweepDoc{Sweep: Sweep{Reference: "auto", ReferenceSamples: DefaultReferenceSamples}},
		Train: &trainDoc{Train: Train{Optimizer: "sgd", Schedule: "constant", N: 1, ObjectiveSamples: 10000, Seeds: 1},
			Checkpoint: Checkpoint{Seconds: DefaultCheckpointSeconds}},
		Model: newModelDoc(), Plot: &plotDoc{Plot: Plot{Metric: "variance"}}}
	if err == nil {
		if p.typecheck(raw, reflect.TypeFor[document](), "", ""); p.err != nil {
			return nil, p.err
		}
		p.md, err = toml.Decode(string(data), &d)
	}
	if pe := (toml.ParseError{}); errors.As(err, &pe) {
		e := p.errf(pe.LastKey, "%s", pe.Message)
		e.Line = pe.Position.Line
		return nil, e
	} else if err != nil {
		return nil, p.errf("", "%v", err)
	}
	sum := sha256.Sum256(data)
	s := &Spec{File: file, Text: string(data), SHA256: hex.EncodeToString(sum[:]), file: name, lines: p.lines}
	if p.spec(s, &d); p.err != nil {
		return nil, p.err
	} else if err := s.validate(); err != nil {
		return nil, err
	}
	for _, c := range checks {
		if field, err := c(s); err != nil {
			return nil, s.errf(field, "%v", err)
		}
	}
	return s, nil
}

// typecheck checks the decoded TOML value v against the Go type t that
// package toml decodes it into; want, if given, says what v should be.
func (p *parser) typecheck(v any, t reflect.Type, field, want string) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var ok bool
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		var m map[string]any
		m, ok = v.(map[string]any)
		want = cmp.Or(want, "a table")
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if t.Kind() == reflect.Map {
				p.typecheck(m[k], t.Elem(), join(field, toml.Key{k}.String()), "")
			}
		}
		if t.Kind() == reflect.Map || !ok {
			break
		}
		for _, f := range reflect.VisibleFields(t) {
			key := f.Tag.Get("toml")
			x, set := m[key]
			var lo, hi int64
			switch _, err := fmt.Sscanf(f.Tag.Get("range"), "%d,%d", &lo, &hi); {
			case key == "" || key == "-":
			case !set && f.Tag.Get("need") != "":
				p.pend(join(field, key), errAt("", "missing: %s", f.Tag.Get("need")))
			case set && f.Type != reflect.TypeFor[value]():
				if p.typecheck(x, f.Type, join(field, key), f.Tag.Get("want")); err == nil && p.err == nil {
					_, err := ints(lo, hi)(x)
					p.pend(join(field, key), err)
				}
			}
		}
	case reflect.Slice:
		var list []any
		list, ok = v.([]any)
		for i, x := range list {
			p.typecheck(x, t.Elem(), fmt.Sprintf("%s[%d]", field, i), "")
		}
		want = cmp.Or(want, "an array")
	case reflect.String:
		_, ok = v.(string)
		want = "a string"
	case reflect.Bool:
		_, ok = v.(bool)
		want = "true or false"
	case reflect.Int:
		_, ok = v.(int64)
		want = "an integer"
	case reflect.Uint64:
		i, isInt := v.(int64)
		ok, want = isInt && i >= 0, "a non-negative integer"
	case reflect.Float64:
		_, err := asNumber(v)
		p.check(field, err)
		ok = true
	}
	if !ok {
		p.fail(field, "%s: want %s", show(v), want)
	}
}

func (p *parser) pend(field string, err error) {
	if fe := (*fieldError)(nil); errors.As(err, &fe) && p.pending == nil {
		p.pending = p.errf(field+fe.Sub, "%s", fe.Msg)
	}
}

// unknownKeys records the first key, in document order, that the spec
// language does not have: one left undecoded (MetaData.Undecoded), or one
// that package toml matched to a field only by ignoring case. The keys of
// a profile are those of the spec's kind.
func (p *parser) unknownKeys(kind string) {
	for _, k := range append(p.md.Undecoded(), p.md.Keys()...) {
		t := reflect.TypeFor[document]()
		for i := 0; i < len(k) && p.err == nil; i++ {
			if t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() == reflect.Map {
				t = t.Elem() // k[i] names an entry
				continue
			} else if t.Kind() != reflect.Struct || t == reflect.TypeFor[value]() {
				break // decoded as a whole
			}
			var known []string
			next := t
			for _, f := range reflect.VisibleFields(t) {
				if key := f.Tag.Get("toml"); key != "" && key != "-" && cmp.Or(f.Tag.Get("kind"), kind) == kind {
					if known = append(known, key); key == k[i] {
						t = f.Type
					}
				}
			}
			if t != next {
				continue
			}
			where := "the top level"
			if i > 0 {
				where = "[" + k[:i].String() + "]"
			}
			msg := fmt.Sprintf("unknown key in %s (known: %s)", where, strings.Join(known, ", "))
			const list = `estimators = ["mvd", { name = "mvd", label = "mvd-uncoupled", options = { coupled = false } }]`
			if i == 1 && slices.Contains([]string{"sweep", "train", "model"}, k[0]) {
				switch k[1] {
				case "estimator":
					msg = fmt.Sprintf("[[%s.estimator]] tables are not accepted: list every estimator in %[1]s.estimators, e.g. %s", k[0], list)
				case "options":
					msg = fmt.Sprintf("[%s.options.LABEL] tables are not accepted: give an estimator's options in its entry of %[1]s.estimators, e.g. %s", k[0], list)
				}
			}
			p.err = p.errf(k[:i+1].String(), "%s", msg)
			p.err.Line = cmp.Or(lineOf(p.lines, k.String()), p.err.Line)
		}
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

func (p *parser) spec(s *Spec, d *document) {
	hasSweep, hasTrain, hasModel := p.md.IsDefined("sweep"), p.md.IsDefined("train"), p.md.IsDefined("model")
	p.unknownKeys(map[bool]string{false: "sweep", true: "train"}[hasTrain || hasModel])
	switch {
	case hasSweep && hasTrain:
		p.fail("train", "a spec has either a [sweep] or a [train] section, not both")
	case hasModel && (hasSweep || hasTrain):
		p.fail("model", "a spec has one of a [sweep], [train] or [model] section")
	}
	p.err = cmp.Or(p.err, p.pending)
	s.Name, s.Description, s.Seed = d.Name, d.Description, d.Seed
	switch {
	case s.Name == "":
		p.fail("name", "missing: every spec needs a name (the results folder name)")
	case len(s.Name) > 100 || !nameRE.MatchString(s.Name):
		p.fail("name", "%q: want lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)", s.Name)
	}
	switch {
	case hasModel:
		s.Model = p.model(d.Model)
	case hasSweep:
		s.Sweep = p.sweep(d.Sweep)
	case hasTrain:
		s.Train = p.train(d.Train)
	default:
		p.fail("", "a spec needs a [sweep] or a [train] section, or a [model] section")
	}
	if p.md.IsDefined("plot") && hasModel {
		p.fail("plot", "a [model] experiment's figures follow no [plot] recipe (they are chosen from its metrics): remove [plot]")
	} else if p.md.IsDefined("plot") {
		s.Plot = p.plot(d.Plot)
	}
	for _, name := range slices.Sorted(maps.Keys(d.Profile)) {
		pr, field := d.Profile[name], toml.Key{"profile", name}.String()
		pr.Profile.N = get(p, pr.N, field+".n", nil, asN)
		if pr.VarianceDraws != nil {
			p.varianceDraws(*pr.VarianceDraws, field+".variance_draws")
		}
		if s.Profiles == nil {
			s.Profiles = map[string]Profile{}
		}
		s.Profiles[name] = pr.Profile
	}
}

// show describes a TOML value for an error message.
func show(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	case int64, float64, bool:
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("a %T", v)
}

// get converts v with conv, or returns def if v is absent.
func get[T any](p *parser, v value, field string, def T, conv func(any) (T, error)) T {
	if !v.set {
		return def
	}
	x, err := conv(v.v)
	p.check(field, err)
	return x
}

func asString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errAt("", "%s: want a string", show(v))
	}
	return s, nil
}

// asNumber converts a TOML integer or float to a finite float64.
func asNumber(v any) (float64, error) {
	f, ok := v.(float64)
	if i, isInt := v.(int64); isInt {
		f, ok = float64(i), true
	}
	if !ok {
		return 0, errAt("", "%s: want a number", show(v))
	} else if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errAt("", "%v: want a finite number", f)
	}
	return f, nil
}

// ints returns a converter to an int in [lo, hi].
func ints(lo, hi int64) func(any) (int, error) {
	return func(v any) (int, error) {
		i, ok := v.(int64)
		switch {
		case !ok:
			return 0, errAt("", "%s: want an integer", show(v))
		case i < lo:
			return 0, errAt("", "%d: want an integer ≥ %d", i, lo)
		case i > hi:
			return 0, errAt("", "%d: too large (at most %d)", i, hi)
		}
		return int(i), nil
	}
}

// asN converts sample sizes: one integer or a non-empty array of distinct
// integers, each in [1, 2³⁰].
func asN(v any) ([]int, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var ns []int
	for _, x := range list {
		n, err := ints(1, 1<<30)(x)
		if err != nil {
			return nil, err
		} else if slices.Contains(ns, n) {
			return nil, errAt("", "%d appears twice", n)
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return nil, errAt("", "empty list: want at least one sample size")
	}
	return ns, nil
}
