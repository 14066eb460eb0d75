package spec

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Value is one named parameter value of a cell.
type Value struct {
	Name  string
	Value float64
}

// Point is a distribution or objective at one point of its grids.
type Point struct {
	Name   string
	Params []Value // in the order of the family's or objective's parameter list
}

// Map returns the parameters as a map, as dist.New and objective.New take.
func (p Point) Map() map[string]float64 {
	m := make(map[string]float64, len(p.Params))
	for _, v := range p.Params {
		m[v.Name] = v.Value
	}
	return m
}

// String formats p as name(param=value,…), with the shortest float
// representation that parses back exactly, e.g. "normal(mu=1,sigma=0.5)".
func (p Point) String() string {
	var b strings.Builder
	b.WriteString(p.Name)
	b.WriteByte('(')
	for i, v := range p.Params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(v.Value, 'g', -1, 64))
	}
	b.WriteByte(')')
	return b.String()
}

// Cell is one point of a sweep: estimator × distribution × objective × n.
type Cell struct {
	// Index is the cell's position in the order of Cells.
	Index int
	// Key identifies the cell stably across runs and machines, e.g.
	// "estimator=mvd|dist=normal(mu=1,sigma=1)|obj=quadratic(k=-3)|n=1".
	// It seeds the cell's random streams.
	Key       string
	Estimator Estimator
	Dist, Obj Point
	N         int
	// Problem indexes the (distribution, objective) point: cells with the
	// same Problem share a reference gradient.
	Problem int
}

// points returns the number of grid points of c (the product of its grid sizes).
func (c *Component) points() float64 {
	n := 1.0
	for _, g := range c.Params {
		n *= float64(len(g.Values))
	}
	return n
}

// point returns the i-th point of c's cartesian product, the first
// parameter varying slowest.
func (c *Component) point(i int) Point {
	pt := Point{Name: c.Name, Params: make([]Value, len(c.Params))}
	for j := len(c.Params) - 1; j >= 0; j-- {
		g := c.Params[j]
		pt.Params[j] = Value{g.Name, g.Values[i%len(g.Values)]}
		i /= len(g.Values)
	}
	return pt
}

func sumPoints(cs []Component) float64 {
	s := 0.0
	for i := range cs {
		s += cs[i].points()
	}
	return s
}

// pointAt returns the i-th point across the components cs, in order.
func pointAt(cs []Component, i int) Point {
	for k := range cs {
		n := int(cs[k].points())
		if i < n {
			return cs[k].point(i)
		}
		i -= n
	}
	panic(fmt.Sprintf("spec: point index %d out of range", i))
}

// NumCells returns the number of cells of the sweep.
func (sw *Sweep) NumCells() int {
	return int(sumPoints(sw.Distributions) * sumPoints(sw.Objectives) * float64(len(sw.N)) * float64(len(sw.Estimators)))
}

// Cell returns the i-th cell. The order is: distribution points (in spec
// order, each grid's first parameter varying slowest), then objective
// points, then n, then estimators (fastest). Cell panics if i is out of
// range [0, NumCells()).
func (sw *Sweep) Cell(i int) Cell {
	if i < 0 || i >= sw.NumCells() {
		panic(fmt.Sprintf("spec: cell index %d out of range [0, %d)", i, sw.NumCells()))
	}
	c := Cell{Index: i}
	ne, nn, no := len(sw.Estimators), len(sw.N), int(sumPoints(sw.Objectives))
	c.Estimator = sw.Estimators[i%ne]
	i /= ne
	c.N = sw.N[i%nn]
	i /= nn
	c.Problem = i
	c.Obj = pointAt(sw.Objectives, i%no)
	c.Dist = pointAt(sw.Distributions, i/no)
	c.Key = "estimator=" + c.Estimator.Label + "|dist=" + c.Dist.String() + "|obj=" + c.Obj.String() + "|n=" + strconv.Itoa(c.N)
	return c
}

// Cells returns every cell of the sweep in order (see Cell). For very large
// sweeps prefer NumCells and Cell, which do not hold all cells in memory.
func (sw *Sweep) Cells() []Cell {
	cells := make([]Cell, sw.NumCells())
	for i := range cells {
		cells[i] = sw.Cell(i)
	}
	return cells
}

// ApplyProfile applies the overrides of the named [profile.NAME] section
// and validates the result. An unknown name is an error; "" does nothing.
// Every error is a *Error.
func (s *Spec) ApplyProfile(name string) error {
	if name == "" {
		return nil
	}
	pr, ok := s.Profiles[name]
	if !ok {
		known := slices.Sorted(maps.Keys(s.Profiles))
		msg := "no profiles defined"
		if len(known) > 0 {
			msg = "known: " + strings.Join(known, ", ")
		}
		return &Error{File: s.file, Field: "profile", Msg: fmt.Sprintf("unknown profile %q (%s)", name, msg)}
	}
	if (pr.TrainImages != nil || pr.TestImages != nil || pr.FinalTestImages != nil) && (s.Model == nil || !strings.HasPrefix(s.Model.Kind, "vae-")) {
		return &Error{File: s.file, Field: "profile." + name, Msg: "train_images, test_images and final_test_images apply to the VAE kinds only"}
	}
	if pr.ProbeDraws != nil && (s.Model == nil || s.Model.ProbeDraws == 0) {
		return &Error{File: s.file, Field: "profile." + name + ".probe_draws", Msg: "applies to probe experiments only (the spec sets no probe_draws)"}
	}
	for _, section := range []any{s.Sweep, s.Train, s.Model} {
		if v := reflect.ValueOf(section); !v.IsNil() {
			override(v.Elem(), pr)
		}
	}
	if sw := s.Sweep; sw != nil {
		if len(pr.N) > 0 {
			sw.N = slices.Clone(pr.N)
		}
		if pr.Points != nil {
			for _, cs := range [][]Component{sw.Distributions, sw.Objectives} {
				for i := range cs {
					for j := range cs[i].Params {
						g := &cs[i].Params[j]
						if g.Space != "" && len(g.Values) > *pr.Points {
							g.expand(*pr.Points)
						}
					}
				}
			}
		}
		sw.blockGiven = sw.blockGiven || pr.Block != nil
		sw.setBlock()
	}
	s.Profile = name
	if err := s.validate(); err != nil {
		return err
	}
	return nil
}

// override sets every int field of the section v whose toml key is that
// of a field pr sets.
func override(v reflect.Value, pr Profile) {
	p := reflect.ValueOf(pr)
	for i, f := range reflect.VisibleFields(p.Type()) {
		if x := p.Field(i); x.Kind() == reflect.Pointer && !x.IsNil() {
			for _, g := range reflect.VisibleFields(v.Type()) {
				if g.Tag.Get("toml") == f.Tag.Get("toml") {
					v.FieldByIndex(g.Index).SetInt(x.Elem().Int())
				}
			}
		}
	}
}

func (s *Spec) errf(field, format string, args ...any) *Error {
	return &Error{File: s.file, Line: lineOf(s.lines, field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// validate checks what depends on the expanded grids: sizes and every
// parameter value against the registries.
func (s *Spec) validate() *Error {
	if s.Model != nil {
		return nil // checked while parsing
	}
	if tr := s.Train; tr != nil {
		if err := s.checkComponents([]Component{tr.Distribution}, "train.distribution", true, false); err != nil {
			return err
		}
		return s.checkComponents([]Component{tr.Objective}, "train.objective", false, false)
	}
	sw := s.Sweep
	nd, no := sumPoints(sw.Distributions), sumPoints(sw.Objectives)
	cells := nd * no * float64(len(sw.N)) * float64(len(sw.Estimators))
	if cells > MaxCells {
		return s.errf("sweep", "%.3g cells (%g distribution points × %g objective points × %d n × %d estimators): at most %d; shrink the grids",
			cells, nd, no, len(sw.N), len(sw.Estimators), MaxCells)
	}
	sumN := 0.0
	for _, n := range sw.N {
		sumN += float64(n)
	}
	if samples := nd * no * float64(len(sw.Estimators)) * float64(sw.Replications) * sumN; samples > MaxSamples {
		return s.errf("sweep.replications", "%.3g samples in all (cells × replications × n): at most %.0e; reduce replications, n or the grids", samples, float64(MaxSamples))
	}
	if err := s.checkComponents(sw.Distributions, "sweep.distributions", true, true); err != nil {
		return err
	} else if err := s.checkComponents(sw.Objectives, "sweep.objectives", false, true); err != nil {
		return err
	}
	return s.checkPlot()
}

// checkPlot checks that the gradient components that [plot] names in
// params and y_ranges are some of those of the sweep's distributions.
func (s *Spec) checkPlot() *Error {
	pl := s.Plot
	if pl == nil || len(pl.Params)+len(pl.YRanges) == 0 {
		return nil
	}
	var names []string // in order of appearance
	have := map[string]bool{}
	for i := range s.Sweep.Distributions {
		c := &s.Sweep.Distributions[i]
		for k := range int(c.points()) {
			if d, err := dist.New(c.Name, c.point(k).Map()); err == nil {
				for _, n := range d.ParamNames() {
					if !have[n] {
						have[n], names = true, append(names, n)
					}
				}
			}
		}
	}
	if len(names) > 12 {
		names = append(names[:12], "…")
	}
	const msg = "%q: not a gradient component of the sweep's distributions (%s)"
	for i, name := range pl.Params {
		if !have[name] {
			return s.errf(fmt.Sprintf("plot.params[%d]", i), msg, name, strings.Join(names, ", "))
		}
	}
	for _, r := range pl.YRanges {
		if !have[r.Param] {
			return s.errf(join("plot.y_ranges", toml.Key{r.Param}.String()), msg, r.Param, strings.Join(names, ", "))
		}
	}
	return nil
}

// checkComponents builds every grid point of cs with the registry,
// naming the offending parameter when one value alone is invalid.
func (s *Spec) checkComponents(cs []Component, field string, isDist, indexed bool) *Error {
	build := func(name string, m map[string]float64) error {
		var err error
		if isDist {
			_, err = dist.New(name, m)
		} else {
			_, err = objective.New(name, m)
		}
		return err
	}
	for i := range cs {
		c := &cs[i]
		f := field
		if indexed {
			f = fmt.Sprintf("%s[%d]", field, i)
		}
		// Vary one parameter at a time. A value is blamed on its parameter
		// if it fails both with the other parameters at their first values
		// and with them at the registry defaults; failures that depend on
		// the combination are reported for the component below.
		given := c.point(0).Map()
		defs := maps.Clone(given)
		maps.Copy(defs, defaults(c.Name, isDist))
		for _, g := range c.Params {
			for _, v := range g.Values {
				m1, m2 := maps.Clone(given), maps.Clone(defs)
				m1[g.Name], m2[g.Name] = v, v
				if err := build(c.Name, m1); err != nil && build(c.Name, m2) != nil {
					return s.errf(join(f, g.Name), "%v", err)
				}
			}
		}
		for k := range int(c.points()) {
			pt := c.point(k)
			if err := build(c.Name, pt.Map()); err != nil {
				return s.errf(f, "at %s: %v", pt, err)
			}
		}
	}
	return nil
}

// defaults returns the registered non-NaN default parameter values.
func defaults(name string, isDist bool) map[string]float64 {
	m := map[string]float64{}
	names, defs, _ := params(name, isDist)
	for i, q := range names {
		if !math.IsNaN(defs[i]) {
			m[q] = defs[i]
		}
	}
	return m
}
