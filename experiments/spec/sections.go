package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/optim"
)

// What the [sweep], [train] and [plot] sections mean beyond their keys'
// types (model.go has [model]'s): names from the packages that own them
// and the rules that tie keys together.

func (p *parser) sweep(d *sweepDoc) *Sweep {
	sw := &d.Sweep
	sw.Estimators = p.sampling(p.estimators(d.Estimators, "sweep", false), sw.Sampling)
	sw.Distributions = p.components(d.Distributions, "sweep.distributions", true)
	sw.Objectives = p.components(d.Objectives, "sweep.objectives", false)
	sw.N = get(p, d.N, "sweep.n", []int{1}, asN)
	if _, err := reference.ParseMethod(sw.Reference); err != nil {
		p.fail("sweep.reference", "%v", err)
	}
	sw.blockGiven = p.md.IsDefined("sweep", "block")
	sw.setBlock()
	return sw
}

// sampling expands the estimator entries that take the "sampling" option
// and leave it unset into one entry per scheme of schemes (see
// Sweep.Sampling).
func (p *parser) sampling(list []Estimator, schemes []string) []Estimator {
	const field = "sweep.sampling"
	for i, s := range schemes {
		if !slices.Contains(estimators.Samplings, s) {
			p.fail(fmt.Sprintf("%s[%d]", field, i), "%q: want one of %s", s, strings.Join(estimators.Samplings, ", "))
		} else if slices.Contains(schemes[:i], s) {
			p.fail(fmt.Sprintf("%s[%d]", field, i), "%q listed twice", s)
		}
	}
	if len(schemes) == 0 || p.err != nil {
		return list
	}
	var out []Estimator
	for _, e := range list {
		names, _ := estimators.OptionNames(e.Name)
		if _, set := e.Options["sampling"]; set || !slices.Contains(names, "sampling") {
			out = append(out, e)
			continue
		}
		for _, s := range schemes {
			x := e
			x.Options = maps.Clone(e.Options)
			if x.Options == nil {
				x.Options = map[string]string{}
			}
			if x.Options["sampling"] = s; s != estimators.SamplingIID {
				x.Label += "-" + s
			}
			out = append(out, x)
		}
	}
	for i, e := range out {
		if slices.ContainsFunc(out[:i], func(b Estimator) bool { return b.Label == e.Label }) {
			p.fail(field, "the expanded label %q is already an estimator's label: rename one", e.Label)
		}
	}
	if len(out) == len(list) {
		var takers []string
		for _, name := range estimators.Names() {
			if names, _ := estimators.OptionNames(name); slices.Contains(names, "sampling") {
				takers = append(takers, name)
			}
		}
		p.fail(field, "no estimator of sweep.estimators takes the sampling option (those that do: %s)", strings.Join(takers, ", "))
	}
	return out
}

func (sw *Sweep) setBlock() {
	if !sw.blockGiven {
		sw.Block = DefaultBlock
	}
	sw.Block = max(min(sw.Block, sw.Replications), 1)
}

func (p *parser) train(d *trainDoc) *Train {
	tr := &d.Train
	tr.Estimators = p.estimators(d.Estimators, "train", false)
	if d.Distribution.set && d.Objective.set {
		tr.Distribution = p.component(d.Distribution.v, "train.distribution", true, true)
		tr.Objective = p.component(d.Objective.v, "train.objective", false, true)
	}
	p.optimization("train", tr.Optimizer, tr.LearningRate, tr.Schedule)
	if _, err := optim.New(tr.Optimizer, tr.Momentum); err != nil {
		p.fail("train.momentum", "%v", err)
	}
	tr.LogParams = p.logParams(tr.LogParams, tr.Distribution)
	if !p.md.IsDefined("train", "eval_every") {
		tr.EvalEvery = max(tr.Steps/100, 1)
	}
	tr.Checkpoint = p.checkpoint(d.Checkpoint, "train")
	p.varianceDraws(tr.VarianceDraws, "train.variance_draws")
	return tr
}

// optimization checks the optimizer, learning_rate and schedule keys of
// section, with the names of package optim.
func (p *parser) optimization(section, opt string, lr float64, schedule string) {
	p.oneOf(section+".optimizer", opt, optim.Optimizers)
	if !(lr > 0) {
		p.fail(section+".learning_rate", "%v: want a number > 0", lr)
	}
	p.oneOf(section+".schedule", schedule, optim.Schedules)
}

// oneOf records an error at field unless s is one of known.
func (p *parser) oneOf(field, s string, known []string) {
	if !slices.Contains(known, s) {
		p.fail(field, "%q: want one of %s", s, strings.Join(known, ", "))
	}
}

func (p *parser) varianceDraws(n int, field string) {
	if n == 1 {
		p.fail(field, "1: want 0 (not measured) or ≥ 2 draws")
	}
}

// logParams checks train.log_params: components of θ, by the family's
// ParamNames, that the optimizer moves on the log scale; each must be
// positive at the initial point c.
func (p *parser) logParams(names []string, c Component) []string {
	const field = "train.log_params"
	if len(names) == 0 || p.err != nil {
		return nil
	}
	params := map[string]float64{}
	for _, g := range c.Params {
		params[g.Name] = g.Values[0]
	}
	d, err := dist.New(c.Name, params)
	if err != nil {
		p.fail(field, "%v", err)
		return nil
	}
	all, theta := d.ParamNames(), d.Params(nil)
	for i, name := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch j := slices.Index(all, name); {
		case j < 0:
			p.fail(f, "%q: family %s has parameters %s", name, d.Name(), strings.Join(all, ", "))
		case !(theta[j] > 0):
			p.fail(f, "%s = %v initially: a log-scale parameter must be > 0", name, theta[j])
		case slices.Contains(names[:i], name):
			p.fail(f, "%q listed twice", name)
		}
	}
	return names
}

// checkpoint checks the checkpoint keys of section.
func (p *parser) checkpoint(c Checkpoint, section string) Checkpoint {
	if c.Seconds < 0 {
		p.fail(section+".checkpoint_seconds", "%v: want a finite number ≥ 0 (0: no time-based checkpoints)", c.Seconds)
	}
	return c
}

// plot checks a [plot] section. The package that draws it checks what
// its recipe, x and metric may be (see RegisterCheck); validate checks
// that params and y_ranges name gradient components.
func (p *parser) plot(d *plotDoc) *Plot {
	pl := &d.Plot
	if pl.Recipe == "" {
		p.fail("plot.recipe", "missing: the plot recipe, e.g. \"variance\"")
	}
	if pl.Exact != "" {
		p.oneOf("plot.exact", pl.Exact, reference.ExactCurves)
	}
	switch {
	case pl.YMin != 0 && pl.YMax != 0 && pl.YMin >= pl.YMax:
		p.fail("plot.y_max", "%v: want y_max > y_min (%v)", pl.YMax, pl.YMin)
	case pl.LogY && pl.YMin < 0:
		p.fail("plot.y_min", "%v: a log axis needs y_min > 0 (or 0: automatic)", pl.YMin)
	case pl.LogY && pl.YMax < 0:
		p.fail("plot.y_max", "%v: a log axis needs y_max > 0 (or 0: automatic)", pl.YMax)
	}
	if i := slices.Index(pl.Params, ""); i >= 0 {
		p.fail(fmt.Sprintf("plot.params[%d]", i), `"": want a parameter name`)
	} else if len(pl.Params) == 0 {
		pl.Params = nil
	}
	for _, name := range slices.Sorted(maps.Keys(d.YRanges)) {
		field, lim := join("plot.y_ranges", toml.Key{name}.String()), d.YRanges[name]
		switch {
		case name == "":
			p.fail(field, "want a gradient component name, e.g. sigma")
		case len(pl.Params) > 0 && !slices.Contains(pl.Params, name):
			p.fail(field, "%q is not among the plotted params (%s)", name, strings.Join(pl.Params, ", "))
		case len(lim) != 2:
			p.fail(field, "%v: want [min, max]", lim)
		case lim[0] != 0 && lim[1] != 0 && lim[0] >= lim[1]:
			p.fail(field, "[%v, %v]: want min < max", lim[0], lim[1])
		case pl.LogY && (lim[0] < 0 || lim[1] < 0):
			p.fail(field, "[%v, %v]: a log axis needs limits > 0 (or 0: automatic)", lim[0], lim[1])
		default:
			pl.YRanges = append(pl.YRanges, PanelRange{Param: name, Min: lim[0], Max: lim[1]})
		}
	}
	return pl
}
