package spec_test

import (
	"fmt"
	"strings"

	"github.com/gradbench/gradbench/experiments/spec"
)

func ExampleParse() {
	src := `name = "example"
seed = 1

[sweep]
estimators = ["score", { name = "mvd", label = "mvd-uncoupled", options = { coupled = false } }]
replications = 1000

[[sweep.distributions]]
name = "normal"
sigma = { logspace = [0.1, 10, 3] }

[[sweep.objectives]]
name = "quadratic"
k = [-1, 1]
`
	s, err := spec.Parse("example.toml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range s.Sweep.Cells()[:3] {
		fmt.Println(c.Index, c.Key)
	}
	fmt.Println(s.Sweep.NumCells(), "cells")

	bad := strings.Replace(src, "{ logspace = [0.1, 10, 3] }", "[1, 0]", 1)
	_, err = spec.Parse("bad.toml", []byte(bad))
	fmt.Println(err)
	// Output:
	// 0 estimator=score|dist=normal(mu=0,sigma=0.1)|obj=quadratic(k=-1)|n=1
	// 1 estimator=mvd-uncoupled|dist=normal(mu=0,sigma=0.1)|obj=quadratic(k=-1)|n=1
	// 2 estimator=score|dist=normal(mu=0,sigma=0.1)|obj=quadratic(k=1)|n=1
	// 12 cells
	// bad.toml:10: sweep.distributions[0].sigma: invalid parameter: normal sigma = 0, want a finite number > 0
}
