// Command gradbench benchmarks Monte Carlo gradient estimators: it lists the
// estimators, runs experiment specs, renders tables and plots, and checks
// variance against a committed baseline. Run "gradbench help" for usage.
package main

import "github.com/gradbench/gradbench/cmd/gradbench/cli"

func main() { cli.Main() }
