package train

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
	"github.com/gradbench/gradbench/experiments/optim"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
)

// Objective methods recorded in curves.csv.
const (
	MethodClosed      = string(reference.MethodClosed)
	MethodEnumeration = string(reference.MethodEnumeration)
	MethodMonteCarlo  = string(reference.MethodMonteCarlo)
)

// objectiveMethod returns how E_{p}[f] is measured for the family of p and
// the objective f: in closed form for the normal families and objectives
// with a normal expectation, by enumeration for finite families, and
// otherwise by Monte Carlo.
func objectiveMethod(p dist.Distribution, f objective.Objective) string {
	for _, m := range []reference.Method{reference.MethodClosed, reference.MethodEnumeration} {
		if reference.Applicable(p, f, m) == nil {
			return string(m)
		}
	}
	return MethodMonteCarlo
}

// componentParams returns the single value of every parameter of c.
func componentParams(c spec.Component, what string) (map[string]float64, error) {
	m := make(map[string]float64, len(c.Params))
	for _, g := range c.Params {
		if len(g.Values) != 1 {
			return nil, fmt.Errorf("%s %s: parameter %s has %d values, want exactly one in a training run", what, c.Name, g.Name, len(g.Values))
		}
		m[g.Name] = g.Values[0]
	}
	return m, nil
}

// toySetup is what the runs of a [train] spec share.
type toySetup struct {
	tr     *spec.Train
	p0     dist.Distribution
	f      objective.Objective
	names  []string // θ component names
	logIdx []int    // indices of θ optimised on the log scale
	method string   // objective method
}

// prepareToy validates a [train] spec: the parameters θ of a family moved
// to minimise E_{p(θ)}[f].
//
// The optimizer works on θ itself. A step that leaves the family's valid
// set (σ ≤ 0, a non-finite value) is not clamped: the run stops there and
// its last curve point gives the rejected θ and the family's error. The
// spec's log_params are optimised on the log scale instead, θ_j = exp(u_j),
// with the chain rule ∂/∂u_j = θ_j ∂/∂θ_j applied to the estimate.
func prepareToy(s *spec.Spec) (*Experiment, error) {
	tr := s.Train
	fail := func(format string, args ...any) (*Experiment, error) {
		return nil, fmt.Errorf("train: %s: %s", s.Name, fmt.Sprintf(format, args...))
	}
	dp, err := componentParams(tr.Distribution, "distribution")
	if err != nil {
		return fail("%v", err)
	}
	p0, err := dist.New(tr.Distribution.Name, dp)
	if err != nil {
		return fail("%v", err)
	}
	op, err := componentParams(tr.Objective, "objective")
	if err != nil {
		return fail("%v", err)
	}
	f, err := objective.New(tr.Objective.Name, op)
	if err != nil {
		return fail("%v", err)
	}
	switch {
	case tr.Steps < 1:
		return fail("steps = %d, want ≥ 1", tr.Steps)
	case tr.N < 1:
		return fail("n = %d, want ≥ 1", tr.N)
	case tr.EvalEvery < 1:
		return fail("eval_every = %d, want ≥ 1", tr.EvalEvery)
	case tr.VarianceDraws < 0 || tr.VarianceDraws == 1:
		return fail("variance_draws = %d, want 0 (not measured) or ≥ 2", tr.VarianceDraws)
	}
	if _, err := optim.New(tr.Optimizer, tr.Momentum); err != nil {
		return fail("%v", err)
	}
	if _, err := optim.NewSchedule(tr.Schedule, tr.LearningRate, tr.Steps); err != nil {
		return fail("%v", err)
	}
	st := &toySetup{tr: tr, p0: p0, f: f, names: slices.Clone(p0.ParamNames()), method: objectiveMethod(p0, f)}
	if st.method == MethodMonteCarlo && tr.ObjectiveSamples < 1 {
		return fail("objective_samples = %d: the objective of %s under %s needs Monte Carlo samples", tr.ObjectiveSamples, f.Name(), p0.Name())
	}
	theta := p0.Params(nil)
	for _, name := range tr.LogParams {
		j := slices.Index(st.names, name)
		if j < 0 {
			return fail("log-scale parameter %q: family %s has parameters %s", name, p0.Name(), strings.Join(st.names, ", "))
		}
		if !(theta[j] > 0) {
			return fail("log-scale parameter %s = %v: want > 0", name, theta[j])
		}
		if !slices.Contains(st.logIdx, j) {
			st.logIdx = append(st.logIdx, j)
		}
	}
	ids, err := runs(s.Name, tr.Estimators, tr.Seeds)
	if err != nil {
		return nil, err
	}
	for _, e := range tr.Estimators {
		est, _ := estimators.New(e.Name, e.Options)
		if err := estimators.Check(est.Info(), p0, f, tr.N); err != nil {
			return fail("estimator %s: %v", e.Label, err)
		}
	}
	return &Experiment{Spec: s, Kind: store.KindTrain, Runs: ids, steps: tr.Steps, evalEvery: tr.EvalEvery,
		checkpoint: tr.Checkpoint, newModel: st.newModel,
		summary: fmt.Sprintf("θ of %s, %d estimators × %d seeds × %d steps", p0.Name(), len(tr.Estimators), tr.Seeds, tr.Steps)}, nil
}

// toyModel is the model of a [train] spec: the parameters θ of a family.
type toyModel struct {
	st    *toySetup
	group Group
	p     dist.Distribution
	theta []float64 // θ (after an invalid update: the rejected θ)
	u, g  []float64 // the optimizer's variables and their gradient

	x    []float64
	vg   []float64
	comp []stats.Moments
}

func (st *toySetup) newModel(e spec.Estimator, seed int) (Model, error) {
	opt, err := optim.New(st.tr.Optimizer, st.tr.Momentum)
	if err != nil {
		return nil, err
	}
	sched, err := optim.NewSchedule(st.tr.Schedule, st.tr.LearningRate, st.tr.Steps)
	if err != nil {
		return nil, err
	}
	m := &toyModel{st: st, p: st.p0, theta: st.p0.Params(nil)}
	m.u = slices.Clone(m.theta)
	for _, j := range st.logIdx {
		m.u[j] = math.Log(m.theta[j])
	}
	m.g = make([]float64, len(m.theta))
	m.group = Group{Name: "theta", Params: m.u, Grad: m.g, Optimizer: opt, Schedule: sched}
	return m, nil
}

func (m *toyModel) Groups() []Group { return []Group{m.group} }

func (m *toyModel) Step(est estimators.Estimator, r *Streams) (estimators.Cost, float64, error) {
	c, err := est.Estimate(m.g, m.p, m.st.f, m.st.tr.N, r.Estimator)
	if err != nil {
		return c, math.NaN(), err
	}
	for _, j := range m.st.logIdx {
		m.g[j] *= m.theta[j] // ∂/∂log θ_j = θ_j ∂/∂θ_j
	}
	return c, math.NaN(), nil
}

func (m *toyModel) Update() error {
	copy(m.theta, m.u)
	for _, j := range m.st.logIdx {
		m.theta[j] = math.Exp(m.u[j])
	}
	p, err := m.p.WithParams(m.theta)
	if err != nil {
		return err
	}
	m.p = p
	return nil
}

func (m *toyModel) Theta() []store.KV {
	kv := make([]store.KV, len(m.theta))
	for j, v := range m.theta {
		kv[j] = store.KV{Name: m.st.names[j], Value: v}
	}
	return kv
}

// MarshalBinary returns nil: θ is the group's parameters.
func (m *toyModel) MarshalBinary() ([]byte, error) { return nil, nil }

// UnmarshalBinary accepts only what MarshalBinary wrote.
func (m *toyModel) UnmarshalBinary(b []byte) error {
	if len(b) != 0 {
		return fmt.Errorf("unexpected model state of %d bytes", len(b))
	}
	return nil
}

// Evaluate returns E_p[f] (exact where possible, else Monte Carlo from
// r.Eval) and the mean over components of the variance of draws gradient
// estimates by est, drawn from r.Variance.
func (m *toyModel) Evaluate(est estimators.Estimator, r *Streams) (Evaluation, error) {
	ev := Evaluation{Objective: math.NaN(), ObjectiveSE: math.NaN(), GradVariance: math.NaN(), ObjectiveMethod: m.st.method}
	if m.st.method != MethodMonteCarlo {
		ref, err := reference.Gradient(m.p, m.st.f, reference.Method(m.st.method), reference.Options{})
		if err != nil {
			return ev, fmt.Errorf("the objective: %w", err)
		}
		ev.Objective, ev.ObjectiveSE = ref.Value, 0
	} else {
		if len(m.x) != m.p.Dim() {
			m.x = make([]float64, m.p.Dim())
		}
		var acc stats.Moments
		for range m.st.tr.ObjectiveSamples {
			m.p.Rand(m.x, r.Eval)
			acc.Add(m.st.f.Value(m.x))
		}
		if acc.NonFinite() > 0 {
			return ev, fmt.Errorf("the objective: %d of %d Monte Carlo values of f are not finite", acc.NonFinite(), m.st.tr.ObjectiveSamples)
		}
		ev.Objective, ev.ObjectiveSE = acc.Mean(), acc.SE()
	}
	draws := m.st.tr.VarianceDraws
	if draws == 0 {
		return ev, nil
	}
	k := m.p.NumParams()
	if len(m.vg) != k {
		m.vg, m.comp = make([]float64, k), make([]stats.Moments, k)
	}
	clear(m.comp)
	for range draws {
		if _, err := est.Estimate(m.vg, m.p, m.st.f, m.st.tr.N, r.Variance); err != nil {
			return ev, fmt.Errorf("the gradient variance: %w", err)
		}
		if !allFinite(m.vg) {
			ev.GradNonfinite++
			continue
		}
		stats.AddVec(m.comp, m.vg)
	}
	if draws-ev.GradNonfinite >= 2 {
		s := 0.0
		for i := range m.comp {
			s += m.comp[i].Variance()
		}
		ev.GradVariance = s / float64(k)
	}
	return ev, nil
}
