// Package spec parses experiment specifications: TOML files that name an
// experiment and describe either a sweep (estimators × distributions ×
// objectives × sample sizes, with replications) or a training run (an
// optimizer moving θ with each estimator). experiments/README.md documents
// every key.
//
// Specs are decoded by github.com/BurntSushi/toml into tagged structs:
// the exported types below, whose toml tags name their keys, range tags
// bound integers ("lo,hi") and need tags say what a missing key is for.
// Decoding is strict: unknown keys (MetaData.Undecoded), wrong types and
// invalid values are errors of type *Error that name the file, the line
// where known, and the field. Every section is checked, [plot] included,
// by spec and by the packages that own the names it uses (RegisterCheck),
// so that a bad spec fails before anything runs.
package spec

// Spec is a parsed, validated experiment specification.
type Spec struct {
	// File is the path the spec was read from; Text its contents; SHA256
	// the hex digest of Text.
	File, Text, SHA256 string

	Name        string // experiment name: [a-z0-9][a-z0-9._-]*, the results folder name
	Description string
	Seed        uint64

	// Exactly one of Sweep, Train and Model is non-nil.
	Sweep *Sweep
	Train *Train
	Model *Model

	// Plot is the plot recipe for `gradbench plot` (nil: none).
	Plot *Plot

	// Profiles are the named overrides of [profile.NAME] sections, applied
	// by ApplyProfile; Profile is the name of the applied one ("" none).
	Profiles map[string]Profile
	Profile  string

	file  string         // for errors found after parsing
	lines map[string]int // key path → line, for errors found after parsing
}

// Profile holds the overrides of one [profile.NAME] section; nil fields
// and an empty N are not overridden. Sweep specs may set Replications,
// Points, N, Block and ReferenceSamples; training specs Steps, Seeds,
// EvalEvery, VarianceDraws and ObjectiveSamples.
type Profile struct {
	Replications     *int  `toml:"replications" range:"2,1099511627776" kind:"sweep"`
	Points           *int  `toml:"points" range:"1,100000" kind:"sweep"` // caps every linspace/logspace grid at this many points
	N                []int `toml:"-"`
	Block            *int  `toml:"block" range:"1,1099511627776" kind:"sweep"`
	ReferenceSamples *int  `toml:"reference_samples" range:"2,10000000000" kind:"sweep"`

	Steps            *int `toml:"steps" range:"1,1000000000" kind:"train"`
	Seeds            *int `toml:"seeds" range:"1,10000" kind:"train"`
	EvalEvery        *int `toml:"eval_every" range:"1,1000000000" kind:"train"`
	VarianceDraws    *int `toml:"variance_draws" range:"0,10000000" kind:"train"`
	ObjectiveSamples *int `toml:"objective_samples" range:"1,1000000000" kind:"train"`
	// TrainImages and TestImages override the VAEs' evaluation sizes.
	TrainImages *int `toml:"train_images" range:"1,10000000" kind:"train"`
	TestImages  *int `toml:"test_images" range:"1,10000000" kind:"train"`
	// FinalTestImages overrides the Bernoulli VAE's final_test_images.
	FinalTestImages *int `toml:"final_test_images" range:"0,10000000" kind:"train"`
	// ProbeDraws overrides a probe experiment's probe_draws.
	ProbeDraws *int `toml:"probe_draws" range:"20,1000000" kind:"train"`
}

// Estimator is one estimator entry of a spec.
type Estimator struct {
	Name    string            // registered name, e.g. "mvd"
	Label   string            // unique label in the spec (default Name), used in results
	Options map[string]string // estimator options as strings, e.g. coupled = "true"; nil if none
	// N is the samples per estimate of this estimator in a [model]
	// section, overriding model.n (0: model.n), so that estimators of
	// different cost per sample can be compared at equal evaluations.
	N int
}

// Component is a distribution or objective with a grid of values for each
// named scalar parameter. Grids are expanded: every slice has ≥ 1 value.
type Component struct {
	Name   string
	Params []Grid // in the order of the family's or objective's parameter list
}

// Grid is the expanded list of values of one named parameter.
type Grid struct {
	Name   string
	Values []float64
	// Space is "linspace" or "logspace" for a grid given as
	// {linspace = [Start, End, Points]} or {logspace = [Start, End, Points]}
	// (whose Values a profile's points may thin), or "" for a number or a list.
	Space      string
	Start, End float64
	Points     int
}

// Sweep describes a cartesian sweep.
type Sweep struct {
	Estimators    []Estimator `toml:"-"`
	Distributions []Component `toml:"-"`
	Objectives    []Component `toml:"-"`
	N             []int       `toml:"-"`                                                                                  // samples per estimate
	Replications  int         `toml:"replications" range:"2,1099511627776" need:"the number of estimates per cell (≥ 2)"` // estimates per cell
	// Block is the number of replications per independent RNG stream
	// (replication block); workers take whole blocks. It defaults to
	// DefaultBlock and is capped at Replications.
	Block int `toml:"block" range:"1,1099511627776"`
	// Reference is the reference method, as reference.ParseMethod takes
	// it: "auto", "closed", "quadrature", "enumeration" or "montecarlo";
	// ReferenceSamples sizes the Monte Carlo one.
	Reference        string `toml:"reference"`
	ReferenceSamples int    `toml:"reference_samples" range:"2,10000000000"`
	// Sampling lists sampling schemes (estimators.Samplings) as an axis:
	// each estimator entry that takes the "sampling" option and does not
	// set it is expanded into one entry per scheme, labelled LABEL for
	// iid and LABEL-SCHEME for the others; the other entries stay as they
	// are. Empty: no expansion.
	Sampling []string `toml:"sampling"`

	blockGiven bool // Block was set in the spec (else DefaultBlock, capped at Replications)
}

// Train describes a training (convergence) run: θ of a distribution moved by
// an optimizer to minimise E_{p(θ)}[f] with each estimator.
type Train struct {
	Estimators   []Estimator `toml:"-"`
	Distribution Component   `toml:"-"`         // initial θ: every grid has exactly one value
	Objective    Component   `toml:"-"`         // every grid has exactly one value
	Optimizer    string      `toml:"optimizer"` // one of optim.Optimizers
	LearningRate float64     `toml:"learning_rate" need:"the optimizer's step size (> 0)"`
	Schedule     string      `toml:"schedule"` // one of optim.Schedules
	Momentum     float64     `toml:"momentum"`
	Steps        int         `toml:"steps" range:"1,1000000000" need:"the number of optimizer steps (≥ 1)"`
	N            int         `toml:"n" range:"1,1073741824"`          // samples per gradient estimate
	EvalEvery    int         `toml:"eval_every" range:"1,1000000000"` // record a curve point every EvalEvery steps (and at 0 and Steps)
	// VarianceDraws is the number of extra estimates at the same θ used to
	// measure the gradient variance at each evaluation (0: not measured).
	VarianceDraws int `toml:"variance_draws" range:"0,10000000"`
	// ObjectiveSamples sizes the Monte Carlo objective estimate where no
	// exact one exists.
	ObjectiveSamples int `toml:"objective_samples" range:"1,1000000000"`
	Seeds            int `toml:"seeds" range:"1,10000"` // independent runs per estimator
	// LogParams names components of θ (the family's ParamNames, e.g.
	// "sigma") that the optimizer moves on the log scale, so they stay
	// positive.
	LogParams []string `toml:"log_params"`
	// Checkpoint says how often each run saves a checkpoint.
	Checkpoint Checkpoint `toml:"-"`
}

// DefaultCheckpointSeconds is the default of checkpoint_seconds.
const DefaultCheckpointSeconds = 60

// Checkpoint says when a training run saves a checkpoint that -resume
// continues from (keys checkpoint_every and checkpoint_seconds of [train]
// and [model]): after every Every steps (0: not by steps) and after a step
// that ends at least Seconds after the last checkpoint (0: not by time;
// default DefaultCheckpointSeconds). Checkpoints never change results.
type Checkpoint struct {
	Every   int     `toml:"checkpoint_every" range:"0,1000000000"`
	Seconds float64 `toml:"checkpoint_seconds"`
}

// Plot is a plot recipe: how `gradbench plot` renders the results.
type Plot struct {
	Recipe string `toml:"recipe"` // e.g. "variance" (metric against a parameter, one panel per gradient component)
	X      string `toml:"x"`      // the x column, e.g. "obj.k" or "dist.dim"
	Metric string `toml:"metric"` // the y column, e.g. "variance"
	LogX   bool   `toml:"log_x"`
	LogY   bool   `toml:"log_y"`
	// Exact names the source of exact curves overlaid on Monte Carlo
	// points, one of reference.ExactCurves ("" none).
	Exact string `toml:"exact"`
	Title string `toml:"title"`
	// YMin and YMax fix the y range of every panel (0: automatic).
	YMin float64 `toml:"y_min"`
	YMax float64 `toml:"y_max"`
	// YRanges fixes the y ranges of single panels, overriding YMin and
	// YMax there (key y_ranges), sorted by component.
	YRanges []PanelRange `toml:"-"`
	// Params selects which gradient components get a panel (empty: all).
	Params []string `toml:"params"`
}

// PanelRange is the y range of the panel of one gradient component (a
// y_ranges entry of a plot recipe, e.g. sigma = [0.1, 10]). Min or Max 0
// leaves that end automatic.
type PanelRange struct {
	Param    string
	Min, Max float64
}
