// Command gradbench-example is the gradbench tool with one more estimator,
// pathwise+antithetic, registered by an out-of-tree style package: the whole
// tool, with the estimator in every listing and spec, from a three-line main.
package main

import (
	_ "github.com/gradbench/gradbench/cmd/gradbench-example/antithetic"
	"github.com/gradbench/gradbench/cmd/gradbench/cli"
)

func main() { cli.Main() }
