package cli

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/table"
)

func init() {
	register(&command{
		name:    "list",
		args:    "[-estimator NAME] [-format text|markdown|latex|csv] [-width N]",
		summary: "list estimators, distributions and objectives (with parameter defaults) and which estimator applies to which family (-estimator NAME: one estimator's needs, cost and options)",
		run:     runList,
	})
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage to stderr.
func newFlagSet(name, args, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gradbench %s %s\n\n%s\n", name, args, summary)
		if hasFlags(fs) {
			fmt.Fprintln(stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args, mapping -h to a nil error after printing usage,
// and other flag errors to a *UsageError. Flags may come after positional
// arguments too ("run demo.toml -q"); "--" ends the flags, so that what
// follows is positional even if it starts with "-". Afterwards fs.Args()
// holds the positional arguments in order.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return true, nil
			}
			return false, &UsageError{Err: err}
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...) // after "--": all positional
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	return false, fs.Parse(append([]string{"--"}, pos...))
}

func runList(stdout, stderr io.Writer, args []string) error {
	c := commands["list"]
	fs := newFlagSet(c.name, c.args, c.summary, stderr)
	format := fs.String("format", string(table.DefaultFormat), "output `format`: text, markdown, latex or csv")
	widthFlag := fs.Int("width", widthAuto, widthUsage)
	name := fs.String("estimator", "", "describe the estimator `NAME` only")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("list takes no arguments, got %q", fs.Args())
	}
	f, err := table.ParseFormat(*format)
	if err != nil {
		return &UsageError{Err: err}
	}
	var tables []*table.Table
	if *name != "" {
		if tables, err = EstimatorTables(*name); err != nil {
			return &UsageError{Err: err}
		}
	} else {
		tables = ListTables()
	}
	if f != table.Text {
		for _, t := range tables {
			if err := t.Write(stdout, f); err != nil {
				return err
			}
			fmt.Fprintln(stdout)
		}
		return nil
	}
	return writeListText(stdout, tables, textWidth(stdout, *widthFlag))
}

// writeListText writes the tables of ListTables as text no wider than width
// (0: no limit). The applicability matrix, one column per estimator, is
// the widest; when it does not fit it becomes a list of the estimators
// that apply to each family.
func writeListText(w io.Writer, tables []*table.Table, width int) error {
	for i, t := range tables {
		if i == len(tables)-1 && len(tables) == 4 && width > 0 && t.TextWidth() > width {
			t = applicabilityList(t)
		}
		if err := t.WriteText(w, width); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return nil
}

// applicabilityList turns the applicability matrix (family × estimator,
// "x" where applicable) into two columns: each family and the estimators
// that apply to it.
func applicabilityList(m *table.Table) *table.Table {
	l := &table.Table{
		Caption: "Applicability (the estimators that apply to each family, objective permitting)",
		Header:  []string{"family", "applicable estimators"},
	}
	for _, r := range m.Rows {
		var names []string
		for j, mark := range r[1:] {
			if mark == "x" {
				names = append(names, m.Header[j+1])
			}
		}
		l.Append(r[0], strings.Join(names, ", "))
	}
	return l
}

// supportsFamily reports whether est, with default options, admits family
// p beyond what its Info states: its Supports (estimators.Supporter), asked
// without an objective (restrictions that depend on one are left to the
// run), with n samples.
func supportsFamily(est estimators.Estimator, p dist.Distribution, n int) bool {
	s, ok := est.(estimators.Supporter)
	return !ok || s.Supports(p, nil, n) == nil
}

// ListTables returns the tables "gradbench list" prints: the estimators, the
// distributions, the objectives, and the applicability matrix (estimator ×
// family, at the family's default parameters).
func ListTables() []*table.Table {
	names := estimators.Names()
	est := &table.Table{
		Caption: "Estimators",
		Header:  []string{"estimator", "unbiased", "needs", "min n", "cost per sample", "stateful", "summary"},
	}
	infos := make([]estimators.Info, len(names))
	ests := make([]estimators.Estimator, len(names))
	for i, name := range names {
		info, _ := estimators.Describe(name)
		infos[i] = info
		ests[i], _ = estimators.New(name, nil)
		est.Append(name, yesNo(info.Unbiased), info.Needs.String(), strconv.Itoa(max(info.MinSamples, 1)), info.Cost, yesNo(info.Stateful), info.Summary)
	}

	fams := &table.Table{Caption: "Distributions", Header: []string{"distribution", "parameters", "capabilities", "description"}}
	matrix := &table.Table{Caption: "Applicability (estimator × family; x = applicable, objective permitting)", Header: append([]string{"family"}, names...)}
	for _, name := range dist.Families() {
		fam, _ := dist.Lookup(name)
		var params []string
		for _, p := range fam.Params {
			params = append(params, paramDefault(p.Name, p.Default))
		}
		p, err := dist.New(name, nil)
		if err != nil {
			fams.Append(name, strings.Join(params, ", "), "?", fam.Doc)
			continue
		}
		fams.Append(name, strings.Join(params, ", "), capabilities(p), fam.Doc)
		row := []string{name}
		for i, info := range infos {
			mark := "."
			if estimators.CheckFamily(info, p) == nil && supportsFamily(ests[i], p, max(info.MinSamples, 2)) {
				mark = "x"
			}
			row = append(row, mark)
		}
		matrix.Append(row...)
	}

	objs := &table.Table{Caption: "Objectives", Header: []string{"objective", "formula", "parameters", "capabilities"}}
	for _, name := range objective.Names() {
		k, _ := objective.Lookup(name)
		var params []string
		for _, p := range k.Params {
			params = append(params, paramDefault(p.Name, p.Default))
		}
		caps := "-"
		if o, err := objective.New(name, nil); err == nil {
			caps = objCapabilities(o)
		}
		objs.Append(name, k.Formula, strings.Join(params, ", "), caps)
	}
	return []*table.Table{est, fams, objs, matrix}
}

// paramDefault is "name=default", or "name (required)" when the default is
// NaN.
func paramDefault(name string, def float64) string {
	if math.IsNaN(def) {
		return name + " (required)"
	}
	return name + "=" + strconv.FormatFloat(def, 'g', -1, 64)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// capabilities lists what family p provides, by the names of the
// capability table.
func capabilities(p dist.Distribution) string {
	var c []string
	for _, k := range estimators.Capabilities() {
		if k.Family != nil && k.Family(p) {
			c = append(c, k.Name)
		}
	}
	if len(c) == 0 {
		return "-"
	}
	return strings.Join(c, ", ")
}

// objCapabilities lists what objective o provides, by the names of the
// capability table, and whether it has a closed-form Gaussian expectation.
func objCapabilities(o objective.Objective) string {
	var c []string
	for _, k := range estimators.Capabilities() {
		if k.Objective != nil && k.Objective(o) {
			c = append(c, k.Name)
		}
	}
	if _, ok := o.(objective.NormalExpectation); ok {
		c = append(c, "normal closed form")
	}
	if len(c) == 0 {
		return "-"
	}
	return strings.Join(c, ", ")
}

// EstimatorTables returns the tables "gradbench list -estimator NAME"
// prints: the estimator's description (with its default options), what it
// needs and costs and which optional paths it has, and its options with
// their kinds and defaults.
func EstimatorTables(name string) ([]*table.Table, error) {
	est, err := estimators.New(name, nil)
	if err != nil {
		return nil, err
	}
	opts, err := estimators.OptionsOf(name)
	if err != nil {
		return nil, err
	}
	info := est.Info()
	needs := "-"
	if info.Needs != 0 {
		needs = strings.ReplaceAll(info.Needs.String(), "+", ", ")
	}
	var paths []string
	for _, p := range []struct {
		ok   bool
		name string
	}{
		{estimators.HasReplicate(est), "batched replications (Replicate)"},
		{is[estimators.MinibatchEstimator](est), "minibatch (EstimateMinibatch)"},
		{is[estimators.Supporter](est), "restrictions beyond its needs (Supports)"},
		{is[estimators.Stateful](est), "checkpoints and snapshots (Stateful)"},
	} {
		if p.ok {
			paths = append(paths, p.name)
		}
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	desc := &table.Table{Caption: "Estimator " + name, Header: []string{"property", "value"}}
	desc.Append("summary", info.Summary)
	desc.Append("unbiased", yesNo(info.Unbiased))
	desc.Append("needs", needs)
	desc.Append("min n", strconv.Itoa(max(info.MinSamples, 1)))
	desc.Append("cost per sample", info.Cost)
	desc.Append("stateful", yesNo(info.Stateful))
	desc.Append("optional paths", strings.Join(paths, ", "))
	ot := &table.Table{Caption: "Options (spec: {name = \"" + name + "\", options = {key = \"value\"}})", Header: []string{"option", "kind", "default"}}
	for _, o := range opts {
		ot.Append(o.Key, o.Kind, o.Default)
	}
	if len(opts) == 0 {
		ot.Append("-", "-", "-")
	}
	return []*table.Table{desc, ot}, nil
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}
