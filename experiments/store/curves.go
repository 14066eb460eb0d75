package store

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/experiments/stats"
)

// StatusOK is the Status of a curve point of a healthy run.
const StatusOK = "ok"

// StoppedPrefix starts the Status of the last point of a run that stopped
// before its last step, followed by the reason.
const StoppedPrefix = "stopped: "

// CurvePoint is one evaluation of one training run (estimator label × seed)
// at one optimizer step: a row of curves.csv.
//
// Objective, ObjectiveSE and GradVariance are NaN where they do not exist:
// on the last point of a stopped run (its parameters were rejected) and,
// for GradVariance, when the variance is not measured.
type CurvePoint struct {
	Experiment string
	Estimator  string // the estimator label in the spec
	Seed       int    // the run index, 0 ≤ Seed < Seeds
	Step       int    // optimizer steps taken so far

	EvalsF    float64 // evaluations of f by the training estimates so far
	EvalsGrad float64 // evaluations of ∇f by the training estimates so far
	Evals     float64 // EvalsF + EvalsGrad
	Seconds   float64 // timing column: seconds spent estimating and stepping so far

	Objective       float64 // E_{p(θ)}[f] at the current θ
	ObjectiveSE     float64 // its standard error, 0 when exact
	ObjectiveMethod string  // "closed", "enumeration" or "montecarlo"; "" when absent

	// GradVariance is the mean over gradient components of the variance of
	// one gradient estimate at the current θ; GradNonfinite counts the
	// measuring draws excluded as NaN or ±Inf.
	GradVariance  float64
	GradNonfinite int

	// Theta is the parameter vector θ, in the family's order, written as
	// columns theta.<name>. On the last point of a stopped run it is the
	// rejected θ.
	Theta []KV

	// Status is StatusOK, or StoppedPrefix followed by the reason the run
	// stopped at this step.
	Status string
}

// Stopped reports whether the point ends a run that stopped early.
func (c *CurvePoint) Stopped() bool { return strings.HasPrefix(c.Status, StoppedPrefix) }

// curveColumns are the columns every curves.csv has, in order; theta.*
// columns follow.
var curveColumns = []string{
	"experiment", "estimator", "seed", "step", "evals_f", "evals_grad", "evals", "seconds",
	"objective", "objective_se", "objective_method", "grad_variance", "grad_nonfinite", "status",
}

// CurveTimingColumns are the columns of curves.csv that vary from run to
// run on the same inputs; everything else is deterministic.
var CurveTimingColumns = []string{"seconds"}

func (c *CurvePoint) fixed() []string {
	f := FormatFloat
	return []string{
		c.Experiment, c.Estimator, strconv.Itoa(c.Seed), strconv.Itoa(c.Step),
		f(c.EvalsF), f(c.EvalsGrad), f(c.Evals), f(c.Seconds),
		f(c.Objective), f(c.ObjectiveSE), c.ObjectiveMethod, f(c.GradVariance),
		strconv.Itoa(c.GradNonfinite), c.Status,
	}
}

// thetaColumns returns the theta names used by points, in order of first
// appearance (the family's order).
func thetaColumns(points []CurvePoint) []string {
	var names []string
	seen := map[string]bool{}
	for i := range points {
		for _, kv := range points[i].Theta {
			if !seen[kv.Name] {
				seen[kv.Name] = true
				names = append(names, kv.Name)
			}
		}
	}
	return names
}

// WriteCurves writes points as CSV to w, one row each in the order given.
// The theta.* columns are the union over points in order of first
// appearance; a point without a parameter leaves its column empty.
func WriteCurves(w io.Writer, points []CurvePoint) error {
	theta := thetaColumns(points)
	header := slices.Clone(curveColumns)
	for _, name := range theta {
		header = append(header, "theta."+name)
	}
	return writeCSV(w, header, len(points), func(i int) []string {
		rec := points[i].fixed()
		for _, name := range theta {
			rec = append(rec, optFloat(lookupKV(points[i].Theta, name)))
		}
		return rec
	})
}

// ReadCurves parses a curves.csv written by WriteCurves.
func ReadCurves(r io.Reader) ([]CurvePoint, error) {
	recs, col, err := readTable(r, "curves", curveColumns, nil)
	if err != nil {
		return nil, err
	}
	header := recs[0]
	points := make([]CurvePoint, 0, len(recs)-1)
	for li, rec := range recs[1:] {
		p := parser{rec: rec, col: col}
		c := CurvePoint{
			Experiment: p.str("experiment"), Estimator: p.str("estimator"),
			Seed: p.int("seed"), Step: p.int("step"),
			EvalsF: p.float("evals_f"), EvalsGrad: p.float("evals_grad"), Evals: p.float("evals"),
			Seconds: p.float("seconds"), Objective: p.float("objective"),
			ObjectiveSE: p.float("objective_se"), ObjectiveMethod: p.str("objective_method"),
			GradVariance: p.float("grad_variance"), GradNonfinite: p.int("grad_nonfinite"),
			Status: p.str("status"),
		}
		for i, h := range header {
			name, ok := strings.CutPrefix(h, "theta.")
			if !ok || i >= len(rec) || rec[i] == "" {
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				p.err = fmt.Errorf("column %s: %q is not a number", h, rec[i])
				break
			}
			c.Theta = append(c.Theta, KV{name, v})
		}
		if p.err != nil {
			return nil, fmt.Errorf("curves file line %d: %v", li+2, p.err)
		}
		points = append(points, c)
	}
	return points, nil
}

// SaveCurves writes points to dir/curves.csv atomically.
func SaveCurves(dir string, points []CurvePoint) error {
	var buf bytes.Buffer
	if err := WriteCurves(&buf, points); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, CurvesFile), buf.Bytes())
}

// LoadCurves reads dir/curves.csv.
func LoadCurves(dir string) ([]CurvePoint, error) {
	f, err := os.Open(filepath.Join(dir, CurvesFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	points, err := ReadCurves(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return points, nil
}

// Band summarises the runs (seeds) of one estimator at one step.
//
// The objective statistics are over the N runs with a finite objective at
// that step. Runs that stopped earlier have no point there: they are
// counted by Stopped, not averaged, so a band whose N falls is visibly
// missing runs. Statistics that need more runs than there are (the
// interval of one run) are NaN.
type Band struct {
	Experiment string
	Estimator  string
	Step       int

	Runs    int // runs (seeds) of this estimator in the data
	N       int // runs with a finite objective at this step
	Stopped int // runs that stopped at or before this step

	Evals   float64 // mean cumulative evaluations over the N runs
	Seconds float64 // mean seconds over the N runs (timing)

	Mean     float64 // mean objective over the N runs
	SE       float64 // standard error of Mean
	Lo, Hi   float64 // 95% Student t interval for the mean objective, Mean ∓ t_{N−1}·SE
	Min, Max float64 // smallest and largest objective among the N runs

	// GradVariance is the mean over the runs with a measured gradient
	// variance; NaN if there are none. GradVarianceMin and GradVarianceMax
	// are its extremes.
	GradVariance, GradVarianceMin, GradVarianceMax float64
}

// Aggregate summarises points by experiment, estimator and step, in order
// of first appearance of each (experiment, estimator) pair and by
// increasing step. Only points whose Status is StatusOK and whose objective
// is finite enter the statistics.
func Aggregate(points []CurvePoint) []Band {
	type runKey struct {
		exp, est string
		seed     int
	}
	type groupKey struct {
		exp, est string
	}
	var groups []groupKey
	seenGroup := map[groupKey]bool{}
	runs := map[groupKey]map[int]bool{}
	stopAt := map[runKey]int{}
	steps := map[groupKey]map[int][]int{} // step → indices of points
	for i := range points {
		c := &points[i]
		g := groupKey{c.Experiment, c.Estimator}
		if !seenGroup[g] {
			seenGroup[g] = true
			groups = append(groups, g)
			runs[g] = map[int]bool{}
			steps[g] = map[int][]int{}
		}
		runs[g][c.Seed] = true
		if c.Stopped() {
			rk := runKey{c.Experiment, c.Estimator, c.Seed}
			if s, ok := stopAt[rk]; !ok || c.Step < s {
				stopAt[rk] = c.Step
			}
		}
		steps[g][c.Step] = append(steps[g][c.Step], i)
	}
	var bands []Band
	for _, g := range groups {
		stepList := make([]int, 0, len(steps[g]))
		for s := range steps[g] {
			stepList = append(stepList, s)
		}
		slices.Sort(stepList)
		for _, step := range stepList {
			b := Band{Experiment: g.exp, Estimator: g.est, Step: step, Runs: len(runs[g])}
			for seed := range runs[g] {
				if s, ok := stopAt[runKey{g.exp, g.est, seed}]; ok && s <= step {
					b.Stopped++
				}
			}
			var obj, evals, secs, gv stats.Moments
			b.Min, b.Max = math.Inf(1), math.Inf(-1)
			b.GradVarianceMin, b.GradVarianceMax = math.Inf(1), math.Inf(-1)
			for _, i := range steps[g][step] {
				c := &points[i]
				if c.Status != StatusOK || math.IsNaN(c.Objective) || math.IsInf(c.Objective, 0) {
					continue
				}
				obj.Add(c.Objective)
				evals.Add(c.Evals)
				secs.Add(c.Seconds)
				b.Min, b.Max = min(b.Min, c.Objective), max(b.Max, c.Objective)
				if !math.IsNaN(c.GradVariance) && !math.IsInf(c.GradVariance, 0) {
					gv.Add(c.GradVariance)
					b.GradVarianceMin = min(b.GradVarianceMin, c.GradVariance)
					b.GradVarianceMax = max(b.GradVarianceMax, c.GradVariance)
				}
			}
			b.N = obj.N()
			b.Mean, b.SE = obj.Mean(), obj.SE()
			b.Lo, b.Hi = stats.MeanCI(obj, 0.95)
			b.Evals, b.Seconds = evals.Mean(), secs.Mean()
			if b.N == 0 {
				b.Min, b.Max = math.NaN(), math.NaN()
			}
			b.GradVariance = gv.Mean()
			if gv.N() == 0 {
				b.GradVarianceMin, b.GradVarianceMax = math.NaN(), math.NaN()
			}
			bands = append(bands, b)
		}
	}
	return bands
}
