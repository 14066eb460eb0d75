package train_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/train"
)

// ExampleCurves trains N(μ, σ²) from (0, 1) to minimise E[(x − 3)²] with
// the pathwise estimator and Adam, σ on the log scale, and prints the mean
// objective over three seeds at a few steps.
func ExampleCurves() {
	one := func(name string, v float64) spec.Grid { return spec.Grid{Name: name, Values: []float64{v}} }
	s := &spec.Spec{Name: "example", Seed: 1, Train: &spec.Train{
		Estimators:   []spec.Estimator{{Name: "pathwise", Label: "pathwise"}},
		Distribution: spec.Component{Name: "normal", Params: []spec.Grid{one("mu", 0), one("sigma", 1)}},
		Objective:    spec.Component{Name: "quadratic", Params: []spec.Grid{one("k", 3)}},
		Optimizer:    "adam", LearningRate: 0.1, Schedule: "cosine",
		Steps: 300, N: 8, EvalEvery: 100, Seeds: 3, LogParams: []string{"sigma"},
	}}
	points, err := train.Curves(context.Background(), s, train.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range store.Aggregate(points) {
		fmt.Printf("step %3d: E[f] %.3f over %d seeds\n", b.Step, b.Mean, b.N)
	}
	// Output:
	// step   0: E[f] 10.000 over 3 seeds
	// step 100: E[f] 0.024 over 3 seeds
	// step 200: E[f] 0.014 over 3 seeds
	// step 300: E[f] 0.013 over 3 seeds
}

// ExampleRun runs a training experiment into a folder, then asks to
// resume it: the folder is complete, so nothing runs. Killed or cancelled
// runs would continue from their checkpoints instead.
func ExampleRun() {
	one := func(name string, v float64) spec.Grid { return spec.Grid{Name: name, Values: []float64{v}} }
	s := &spec.Spec{Name: "example", Seed: 1, SHA256: "example", Train: &spec.Train{
		Estimators:   []spec.Estimator{{Name: "pathwise", Label: "pathwise"}, {Name: "score", Label: "score"}},
		Distribution: spec.Component{Name: "normal", Params: []spec.Grid{one("mu", 0), one("sigma", 1)}},
		Objective:    spec.Component{Name: "quadratic", Params: []spec.Grid{one("k", 3)}},
		Optimizer:    "adam", LearningRate: 0.1, Schedule: "cosine",
		Steps: 100, N: 8, EvalEvery: 50, Seeds: 2, LogParams: []string{"sigma"},
	}}
	x, err := train.Prepare(s)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	res, err := train.Run(context.Background(), x, train.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d runs, %d steps\n", res.Runs, res.Steps)
	res, err = train.Run(context.Background(), x, train.Options{Dir: dir, Resume: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary(x))
	points, err := store.LoadCurves(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d curve points\n", len(points))
	// Output:
	// 4 runs, 400 steps
	// example: finished already
	// 12 curve points
}
