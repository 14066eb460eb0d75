package sweep_test

import (
	"context"
	"fmt"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/sweep"
)

func ExampleRun() {
	s, err := spec.Parse("example.toml", []byte(`name = "example"
seed = 1
[sweep]
estimators = ["pathwise", "score"]
replications = 10000
[[sweep.distributions]]
name = "normal"
mu = 1
[[sweep.objectives]]
name = "quadratic"
k = 3
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := sweep.Run(context.Background(), s, sweep.Options{}) // Dir "": nothing written
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Rows {
		fmt.Printf("%-8s %-5s reference %4.1f (%s), |bias| < 4 SE: %v\n",
			r.Estimator, r.Param, r.Reference, r.ReferenceMethod, r.Bias*r.Bias < 16*r.SE*r.SE)
	}
	// Output:
	// pathwise mu    reference -4.0 (closed), |bias| < 4 SE: true
	// pathwise sigma reference  2.0 (closed), |bias| < 4 SE: true
	// score    mu    reference -4.0 (closed), |bias| < 4 SE: true
	// score    sigma reference  2.0 (closed), |bias| < 4 SE: true
}
