// Package optim has the optimizers (SGD with momentum, Adam) and the
// learning-rate schedules of training runs. Optimizers minimise; their state
// can be saved and restored exactly, for checkpoints.
package optim

import (
	"fmt"
	"math"
	"strings"
)

// Optimizer moves parameters against gradient estimates, minimising.
//
// An Optimizer keeps state (momentum, moment estimates) sized on its first
// Step; it is not safe for concurrent use.
type Optimizer interface {
	// Step updates x in place from the gradient estimate g with learning
	// rate lr. It panics if len(g) != len(x) or if the length changes
	// between calls without a Reset.
	Step(x, g []float64, lr float64)
	// Reset returns the optimizer to its initial state.
	Reset()
	// State returns a copy of the optimizer's state, for a checkpoint.
	State() State
	// SetState restores a state returned by State of the same kind of
	// optimizer; it returns an error for a state of another shape.
	SetState(State) error
}

// State is what an Optimizer keeps between steps: the step count
// and up to two vectors (SGD's velocity; Adam's first and second moments),
// nil before the first step.
type State struct {
	T    int
	M, V []float64
}

// Optimizers are the names New knows.
var Optimizers = []string{"sgd", "adam"}

// New returns the named optimizer: "sgd" (with the given momentum,
// 0 for plain SGD) or "adam" (whose momentum must be 0: Adam has its own
// moment estimates). It returns an error for an unknown name or a momentum
// outside [0, 1).
func New(name string, momentum float64) (Optimizer, error) {
	if !(momentum >= 0 && momentum < 1) {
		return nil, fmt.Errorf("momentum %v: want a number in [0, 1)", momentum)
	}
	switch name {
	case "sgd":
		return &SGD{Momentum: momentum}, nil
	case "adam":
		if momentum != 0 {
			return nil, fmt.Errorf("momentum %v: applies to sgd only (adam uses its own β1 = %v)", momentum, AdamBeta1)
		}
		return NewAdam(), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (known: %s)", name, strings.Join(Optimizers, ", "))
}

// SGD is stochastic gradient descent with optional heavy-ball momentum:
//
//	v ← Momentum·v + g,  x ← x − lr·v,
//
// with v = 0 initially, so that Momentum = 0 is plain SGD, x ← x − lr·g.
type SGD struct {
	Momentum float64 // in [0, 1)
	v        []float64
}

// Step updates x in place. It panics if len(g) != len(x).
func (o *SGD) Step(x, g []float64, lr float64) {
	checkStep(x, g)
	if o.Momentum == 0 {
		for i, gi := range g {
			x[i] -= lr * gi
		}
		return
	}
	if o.v == nil {
		o.v = make([]float64, len(x))
	}
	if len(o.v) != len(x) {
		panic("optim: SGD.Step: parameter length changed without Reset")
	}
	for i, gi := range g {
		o.v[i] = o.Momentum*o.v[i] + gi
		x[i] -= lr * o.v[i]
	}
}

// Reset clears the momentum.
func (o *SGD) Reset() { o.v = nil }

// State returns a copy of the velocity (as M).
func (o *SGD) State() State { return State{M: clone(o.v)} }

// SetState restores a state returned by State.
func (o *SGD) SetState(s State) error {
	if s.T != 0 || s.V != nil {
		return fmt.Errorf("optim: SGD.SetState: not an SGD state")
	}
	o.v = clone(s.M)
	return nil
}

// clone returns a copy of v, nil for nil.
func clone(v []float64) []float64 {
	if v == nil {
		return nil
	}
	return append([]float64(nil), v...)
}

// The Adam constants of Kingma and Ba (2015), used by NewAdam.
const (
	AdamBeta1   = 0.9
	AdamBeta2   = 0.999
	AdamEpsilon = 1e-8
)

// Adam is the optimizer of Kingma and Ba (2015): with t the number of steps
// taken including this one,
//
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
//	x ← x − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β1ᵗ),  v̂ = v/(1−β2ᵗ).
//
// Its steps are about lr in size whatever the scale of g, which makes it
// robust to the very different gradient variances of the estimators.
type Adam struct {
	Beta1, Beta2, Epsilon float64
	m, v                  []float64
	t                     int
}

// NewAdam returns Adam with β1 = 0.9, β2 = 0.999 and ε = 1e-8.
func NewAdam() *Adam { return &Adam{Beta1: AdamBeta1, Beta2: AdamBeta2, Epsilon: AdamEpsilon} }

// Step updates x in place. It panics if len(g) != len(x).
func (o *Adam) Step(x, g []float64, lr float64) {
	checkStep(x, g)
	if o.m == nil {
		o.m, o.v = make([]float64, len(x)), make([]float64, len(x))
	}
	if len(o.m) != len(x) {
		panic("optim: Adam.Step: parameter length changed without Reset")
	}
	o.t++
	c1 := 1 - math.Pow(o.Beta1, float64(o.t))
	c2 := 1 - math.Pow(o.Beta2, float64(o.t))
	n := 0
	if !adamPortable {
		n = adamVector(x, g, o.m, o.v, &[8]float64{o.Beta1, 1 - o.Beta1, o.Beta2, 1 - o.Beta2, c1, c2, lr, o.Epsilon})
	}
	for i := n; i < len(g); i++ {
		gi := g[i]
		o.m[i] = o.Beta1*o.m[i] + (1-o.Beta1)*gi
		o.v[i] = o.Beta2*o.v[i] + (1-o.Beta2)*gi*gi
		x[i] -= lr * (o.m[i] / c1) / (math.Sqrt(o.v[i]/c2) + o.Epsilon)
	}
}

// adamPortable makes Adam.Step take its scalar loop alone (set by tests
// that compare the vector kernel with it).
var adamPortable bool

// Reset clears the moment estimates and the step count.
func (o *Adam) Reset() { o.m, o.v, o.t = nil, nil, 0 }

// State returns a copy of the moment estimates and the step count.
func (o *Adam) State() State { return State{T: o.t, M: clone(o.m), V: clone(o.v)} }

// SetState restores a state returned by State.
func (o *Adam) SetState(s State) error {
	if s.T < 0 || len(s.M) != len(s.V) || (s.T == 0) != (s.M == nil) {
		return fmt.Errorf("optim: Adam.SetState: not an Adam state")
	}
	o.t, o.m, o.v = s.T, clone(s.M), clone(s.V)
	return nil
}

func checkStep(x, g []float64) {
	if len(x) != len(g) {
		panic(fmt.Sprintf("optim: optimizer step: len(g) = %d, len(x) = %d", len(g), len(x)))
	}
}

// Schedules are the names NewSchedule knows.
var Schedules = []string{"constant", "cosine", "quarter-cosine", "inverse-sqrt"}

// Schedule returns the learning rate of step t, for 0 ≤ t < the number of
// steps it was made for.
type Schedule func(t int) float64

// NewSchedule returns the named learning-rate schedule for a run of steps
// steps with base rate lr:
//
//	"constant":      lr
//	"cosine":        lr·(1 + cos(π t/steps))/2, from lr at t = 0 down to 0 at
//	                 t = steps, the end of the run (the last step, t = steps−1,
//	                 has a small positive rate, so no step is wasted)
//	"quarter-cosine": lr·cos(π t/(2·steps)), from lr at t = 0 down to 0 at
//	                 t = steps (mc_gradients' cosine_learning_rate_decay)
//	"inverse-sqrt":  lr/√(t+1)
//
// It returns an error for an unknown name, lr not finite and > 0, or
// steps < 1.
func NewSchedule(name string, lr float64, steps int) (Schedule, error) {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("learning rate %v: want a finite number > 0", lr)
	}
	if steps < 1 {
		return nil, fmt.Errorf("steps %d: want ≥ 1", steps)
	}
	switch name {
	case "constant":
		return func(int) float64 { return lr }, nil
	case "cosine":
		return func(t int) float64 { return lr * (1 + math.Cos(math.Pi*float64(t)/float64(steps))) / 2 }, nil
	case "quarter-cosine":
		return func(t int) float64 { return lr * math.Cos(math.Pi/2*float64(t)/float64(steps)) }, nil
	case "inverse-sqrt":
		return func(t int) float64 { return lr / math.Sqrt(float64(t+1)) }, nil
	}
	return nil, fmt.Errorf("unknown schedule %q (known: %s)", name, strings.Join(Schedules, ", "))
}
