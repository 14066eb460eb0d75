package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// MetricsFile is the name of a training experiment's per-metric results
// file (one row per run, evaluation step and metric).
const MetricsFile = "metrics.csv"

// Metric is one measured quantity of one training run at one step, a row of
// metrics.csv.
type Metric struct {
	Experiment string
	Estimator  string // the estimator's label in the spec
	Seed       int
	Step       int
	Evals      float64 // evaluations of f and ∇f so far
	Name       string  // e.g. "elbo", "accuracy", "var_mu", "train_elbo", "test_iw"
	Value      float64
}

var metricColumns = []string{"experiment", "estimator", "seed", "step", "evals", "metric", "value"}

// WriteMetrics writes metrics as CSV to w, one row each in the order given.
func WriteMetrics(w io.Writer, metrics []Metric) error {
	return writeCSV(w, metricColumns, len(metrics), func(i int) []string {
		m := &metrics[i]
		return []string{m.Experiment, m.Estimator, strconv.Itoa(m.Seed), strconv.Itoa(m.Step),
			FormatFloat(m.Evals), m.Name, FormatFloat(m.Value)}
	})
}

// ReadMetrics parses a metrics.csv written by WriteMetrics. Columns are
// found by their header names, in any order; extra columns are ignored.
func ReadMetrics(r io.Reader) ([]Metric, error) {
	recs, col, err := readTable(r, "metrics", metricColumns, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Metric, 0, len(recs)-1)
	for li, rec := range recs[1:] {
		p := parser{rec: rec, col: col}
		m := Metric{Experiment: p.str("experiment"), Estimator: p.str("estimator"), Seed: p.int("seed"),
			Step: p.int("step"), Evals: p.float("evals"), Name: p.str("metric"), Value: p.float("value")}
		if p.err != nil {
			return nil, fmt.Errorf("metrics file line %d: %v", li+2, p.err)
		}
		out = append(out, m)
	}
	return out, nil
}

// SaveMetrics writes metrics to dir/metrics.csv atomically.
func SaveMetrics(dir string, metrics []Metric) error {
	var buf bytes.Buffer
	if err := WriteMetrics(&buf, metrics); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, MetricsFile), buf.Bytes())
}

// LoadMetrics reads dir/metrics.csv.
func LoadMetrics(dir string) ([]Metric, error) {
	f, err := os.Open(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ms, err := ReadMetrics(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return ms, nil
}
