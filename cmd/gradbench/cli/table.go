package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/store"
	"github.com/gradbench/gradbench/experiments/table"
)

func init() {
	register(&command{
		name:    "table",
		args:    "[-format text|markdown|latex|csv] [-layout full|summary|estimators|slopes|probes|metrics] [-metrics NAMES] [-published EST=V,...] [-baseline EST] [-by COLS] [-cost] RESULTS",
		summary: "print the table of a results folder (training results: the objective at the last step)",
		run:     runTable,
	})
}

// defaultLayout is the layout of "gradbench table" unless told otherwise
// (-layout): every statistic of every cell.
const defaultLayout = "full"

func runTable(stdout, stderr io.Writer, args []string) error {
	c := commands["table"]
	fset := newFlagSet(c.name, c.args, c.summary, stderr)
	format := fset.String("format", string(table.DefaultFormat), "output `format`: text, markdown, latex or csv")
	layout := fset.String("layout", defaultLayout, "`layout`: full (every statistic of every cell; the last step of training runs), summary (variance per estimator side by side), estimators (a sweep's totals per estimator and n over every cell and component: Σ bias², Σ variance, Σ MSE, Σ variance × evaluations), slopes (a sweep over several n: the slope of log RMSE against log n per estimator, component and cell, with its 95% interval), probes (a model experiment's estimators compared at shared parameters) or metrics (a model experiment's metrics at the last step, mean over seeds with 95% intervals)")
	metricNames := fset.String("metrics", "", "`names` of the metrics of -layout metrics, comma-separated, in order (default: every metric recorded)")
	publishedFlag := fset.String("published", "", "`values` reported elsewhere for the first metric of -layout metrics, as estimator=value pairs separated by commas: adds them and the difference")
	baseline := fset.String("baseline", "", "summary layout: the `estimator` label whose variance the others are divided by")
	by := fset.String("by", "", "summary layout: comma-separated grouping `columns` (default "+strings.Join(report.DefaultBy, ",")+")")
	cost := fset.Bool("cost", false, "summary layout: report variance × evaluations per estimate (cost-normalised variance)")
	if help, err := parseFlags(fset, args); help || err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return usagef("table takes one results folder, got %d arguments", fset.NArg())
	}
	f, err := table.ParseFormat(*format)
	if err != nil {
		return &UsageError{Err: err}
	}
	if !slices.Contains([]string{"full", "summary", "estimators", "slopes", "probes", "metrics"}, *layout) {
		return usagef("unknown layout %q (want full, summary, estimators, slopes, probes or metrics)", *layout)
	}
	if (*metricNames != "" || *publishedFlag != "") && *layout != "metrics" {
		return usagef("-metrics and -published apply to -layout metrics")
	}
	var published map[string]float64
	if *publishedFlag != "" {
		published = map[string]float64{}
		for _, kv := range strings.Split(*publishedFlag, ",") {
			k, v, ok := strings.Cut(kv, "=")
			x, err := strconv.ParseFloat(v, 64)
			if !ok || k == "" || err != nil {
				return usagef("-published: %q is not estimator=number", kv)
			}
			published[k] = x
		}
	}
	if (*layout == "full" || *layout == "estimators" || *layout == "slopes") && (*baseline != "" || *by != "" || *cost) {
		return usagef("-baseline, -by and -cost apply to -layout summary")
	}
	dir := fset.Arg(0)
	if err := resultsFolderCheck(dir); err != nil {
		return err
	}
	if !haveFile(filepath.Join(dir, store.MetaFile)) {
		return usagef("%s has no %s (not a results folder?)", dir, store.MetaFile)
	}
	kind, err := store.KindOf(dir)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("%s: %w", filepath.Join(dir, store.MetaFile), err)}
	}
	if *layout == "metrics" {
		if kind != store.KindModel {
			return usagef("%s holds a %s experiment: -layout metrics applies to model experiments", dir, kind)
		}
		ms, err := loadMetricRows(dir)
		if err != nil {
			return err
		}
		var names []string
		if *metricNames != "" {
			names = strings.Split(*metricNames, ",")
			for _, n := range names {
				if !slices.ContainsFunc(ms, func(m store.Metric) bool { return m.Name == n }) {
					return usagef("-metrics: %s records no metric %q", dir, n)
				}
			}
		}
		return report.FinalMetrics(ms, names, published).Write(stdout, f)
	}
	if *layout == "probes" {
		if kind != store.KindModel {
			return usagef("%s holds a %s experiment: -layout probes applies to model experiments with probe_draws", dir, kind)
		}
		ms, err := loadMetricRows(dir)
		if err != nil {
			return err
		}
		if !report.HasProbes(ms) {
			return usagef("%s has no probes (its spec sets no probe_draws)", dir)
		}
		return report.Probes(ms).Write(stdout, f)
	}
	if kind == store.KindTrain || kind == store.KindModel {
		if *layout != "full" {
			return usagef("%s holds training curves: -layout summary applies to sweeps", dir)
		}
		pts, err := loadCurvePoints(dir)
		if err != nil {
			return err
		}
		return report.Final(pts).Write(stdout, f)
	}
	if !haveFile(filepath.Join(dir, store.CellsFile)) {
		return usagef("%s has no %s (the sweep did not finish?)", dir, store.CellsFile)
	}
	rows, err := store.LoadCells(dir)
	if err != nil {
		return &UsageError{Err: err}
	}
	if len(rows) == 0 {
		return usagef("%s: no rows", filepath.Join(dir, store.CellsFile))
	}
	t := report.Full(rows)
	if *layout == "estimators" {
		t = report.Estimators(rows)
	}
	if *layout == "slopes" {
		t = report.Slopes(rows)
	}
	if *layout == "summary" {
		var cols []string
		if *by != "" {
			cols = strings.Split(*by, ",")
		}
		t, err = report.Summary(rows, report.SummaryOptions{By: cols, Baseline: *baseline, CostNormalised: *cost})
		if err != nil {
			return &UsageError{Err: err}
		}
	}
	return t.Write(stdout, f)
}

// loadCurvePoints returns the points of dir/curves.csv; a missing or
// malformed file, or one without points, is a *UsageError (bad input,
// status 2), as for cells.csv.
func loadCurvePoints(dir string) ([]store.CurvePoint, error) {
	pts, err := store.LoadCurves(dir)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if len(pts) == 0 {
		return nil, usagef("%s: no rows", filepath.Join(dir, store.CurvesFile))
	}
	return pts, nil
}

// loadMetricRows returns the rows of dir/metrics.csv; a missing or
// malformed file, or one without rows, is a *UsageError (status 2).
func loadMetricRows(dir string) ([]store.Metric, error) {
	ms, err := store.LoadMetrics(dir)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if len(ms) == 0 {
		return nil, usagef("%s: no rows", filepath.Join(dir, store.MetricsFile))
	}
	return ms, nil
}

// resultsFolderCheck returns a usage error if dir is not an existing folder.
func resultsFolderCheck(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return usagef("results folder %s does not exist", dir)
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return usagef("%s is not a results folder", dir)
	}
	return nil
}

func haveFile(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
