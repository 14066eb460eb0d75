// Package store reads and writes results folders: cells.csv (one row per
// sweep cell × gradient component), curves.csv (training runs) and
// meta.json, always atomically (a temporary file renamed into place).
package store

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultResultsDir is the folder, relative to where gradbench runs, that
// holds one results folder per experiment unless told otherwise:
// "gradbench run" writes results/<name>, "gradbench claims" reads there.
const DefaultResultsDir = "results"

// File names inside a results folder.
const (
	CellsFile  = "cells.csv"
	CurvesFile = "curves.csv"
	MetaFile   = "meta.json"
)

// KV is a named parameter value, such as dist.mu = 1.
type KV struct {
	Name  string
	Value float64
}

// Row is one sweep cell × gradient component. Statistics are over the
// finite estimates among Replications; NaN marks a value that does not
// exist (for example the bias of a skipped cell).
type Row struct {
	Experiment   string
	Estimator    string // the label in the spec (usually the registered name)
	Options      string // estimator options, "key=value;…" sorted, or ""
	Unbiased     bool   // whether the estimator declares itself unbiased
	Distribution string
	Objective    string
	Dist         []KV // distribution parameters, column dist.<name>
	Obj          []KV // objective parameters, column obj.<name>
	N            int  // samples per estimate
	Replications int  // estimates attempted
	Param        string

	Mean            float64
	Reference       float64
	ReferenceSE     float64 // 0 for exact references
	ReferenceMethod string  // closed, quadrature, enumeration, montecarlo
	Bias            float64 // Mean − Reference
	Variance        float64 // sample variance of one estimate
	VarianceLo      float64 // 95% confidence interval for Variance
	VarianceHi      float64
	SE              float64 // standard error of Mean
	MSE             float64 // Bias² + Variance
	SNR             float64 // |Mean| / sqrt(Variance)
	Kurtosis        float64 // m4/m2² with population moments (stats.Moments.Kurtosis), for variance tests
	EvalsF          float64 // evaluations of f per estimate
	EvalsGrad       float64 // evaluations of ∇f per estimate
	Evals           float64 // EvalsF + EvalsGrad
	NsPerEstimate   float64 // timing column
	VarTimesEvals   float64
	VarTimesNs      float64 // timing column
	Nonfinite       int     // estimates excluded as NaN or ±Inf
	Skipped         string  // non-empty: the reason the cell was not run
	// BlockVariances are the sample variances of the replication blocks
	// (independent random streams), in block order, for rank tests that
	// stay exact whatever the tails of the estimates; empty when not
	// recorded.
	BlockVariances []float64
	// BlockMeans are the blocks' means, likewise (batch means).
	BlockMeans []float64
}

// fixedColumns are the columns every cells.csv has, in order; dist.* and
// obj.* columns follow.
var fixedColumns = []string{
	"experiment", "estimator", "options", "unbiased", "distribution", "objective",
	"n", "replications", "param", "mean", "reference", "reference_se", "reference_method",
	"bias", "variance", "variance_lo", "variance_hi", "se", "mse", "snr", "kurtosis",
	"evals_f", "evals_grad", "evals", "ns_per_estimate", "var_x_evals", "var_x_ns",
	"nonfinite", "skipped", "block_variances", "block_means",
}

// optionalColumns may be absent from a cells.csv (files written before they
// existed); their fields are then left empty.
var optionalColumns = map[string]bool{"block_variances": true, "block_means": true}

// TimingColumns are the columns that vary from run to run on the same
// inputs; everything else in cells.csv is deterministic.
var TimingColumns = []string{"ns_per_estimate", "var_x_ns"}

// FormatFloat formats v with the shortest representation that parses back
// to v exactly, so that results are bit-for-bit comparable.
func FormatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func (r *Row) fixed() []string {
	f := FormatFloat
	return []string{
		r.Experiment, r.Estimator, r.Options, strconv.FormatBool(r.Unbiased), r.Distribution, r.Objective,
		strconv.Itoa(r.N), strconv.Itoa(r.Replications), r.Param, f(r.Mean), f(r.Reference), f(r.ReferenceSE), r.ReferenceMethod,
		f(r.Bias), f(r.Variance), f(r.VarianceLo), f(r.VarianceHi), f(r.SE), f(r.MSE), f(r.SNR), f(r.Kurtosis),
		f(r.EvalsF), f(r.EvalsGrad), f(r.Evals), f(r.NsPerEstimate), f(r.VarTimesEvals), f(r.VarTimesNs),
		strconv.Itoa(r.Nonfinite), r.Skipped, joinFloats(r.BlockVariances), joinFloats(r.BlockMeans),
	}
}

// paramColumns returns the sorted dist.* and obj.* column names used by rows.
func paramColumns(rows []Row) (distCols, objCols []string) {
	d, o := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		for _, kv := range r.Dist {
			d[kv.Name] = true
		}
		for _, kv := range r.Obj {
			o[kv.Name] = true
		}
	}
	return slices.Sorted(maps.Keys(d)), slices.Sorted(maps.Keys(o))
}

func lookupKV(kvs []KV, name string) (float64, bool) {
	for _, kv := range kvs {
		if kv.Name == name {
			return kv.Value, true
		}
	}
	return 0, false
}

// Get returns the value of parameter name ("dist.mu", "obj.k", or a bare
// name looked up in Dist then Obj) and whether it exists.
func (r *Row) Get(name string) (float64, bool) {
	switch {
	case strings.HasPrefix(name, "dist."):
		return lookupKV(r.Dist, strings.TrimPrefix(name, "dist."))
	case strings.HasPrefix(name, "obj."):
		return lookupKV(r.Obj, strings.TrimPrefix(name, "obj."))
	}
	if v, ok := lookupKV(r.Dist, name); ok {
		return v, true
	}
	return lookupKV(r.Obj, name)
}

// WriteCells writes rows as CSV to w. Parameter columns are the union over
// rows, sorted; a row without a parameter leaves it empty.
func WriteCells(w io.Writer, rows []Row) error {
	distCols, objCols := paramColumns(rows)
	header := slices.Clone(fixedColumns)
	for _, c := range distCols {
		header = append(header, "dist."+c)
	}
	for _, c := range objCols {
		header = append(header, "obj."+c)
	}
	return writeCSV(w, header, len(rows), func(i int) []string {
		rec := rows[i].fixed()
		for _, c := range distCols {
			rec = append(rec, optFloat(lookupKV(rows[i].Dist, c)))
		}
		for _, c := range objCols {
			rec = append(rec, optFloat(lookupKV(rows[i].Obj, c)))
		}
		return rec
	})
}

// writeCSV writes the header and then n records, record(i) for i = 0 …
// n − 1, as CSV to w: the one writer of cells.csv, curves.csv and
// metrics.csv.
func writeCSV(w io.Writer, header []string, n int, record func(i int) []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for i := range n {
		if err := cw.Write(record(i)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func optFloat(v float64, ok bool) string {
	if !ok {
		return ""
	}
	return FormatFloat(v)
}

// readTable reads a CSV results file (kind names it in errors) and returns
// its records, with the header first, and the index of every column. It is
// an error if the file is empty or lacks a column of required that
// optional does not list.
func readTable(r io.Reader, kind string, required []string, optional map[string]bool) ([][]string, map[string]int, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("empty %s file", kind)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, c := range required {
		if _, ok := col[c]; !ok && !optional[c] {
			return nil, nil, fmt.Errorf("%s file lacks column %q", kind, c)
		}
	}
	return recs, col, nil
}

// ReadCells parses a cells.csv written by WriteCells.
func ReadCells(r io.Reader) ([]Row, error) {
	recs, col, err := readTable(r, "cells", fixedColumns, optionalColumns)
	if err != nil {
		return nil, err
	}
	header := recs[0]
	rows := make([]Row, 0, len(recs)-1)
	for li, rec := range recs[1:] {
		p := parser{rec: rec, col: col}
		r := Row{
			Experiment: p.str("experiment"), Estimator: p.str("estimator"), Options: p.str("options"),
			Unbiased: p.bool("unbiased"), Distribution: p.str("distribution"), Objective: p.str("objective"),
			N: p.int("n"), Replications: p.int("replications"), Param: p.str("param"),
			Mean: p.float("mean"), Reference: p.float("reference"), ReferenceSE: p.float("reference_se"),
			ReferenceMethod: p.str("reference_method"), Bias: p.float("bias"), Variance: p.float("variance"),
			VarianceLo: p.float("variance_lo"), VarianceHi: p.float("variance_hi"), SE: p.float("se"),
			MSE: p.float("mse"), SNR: p.float("snr"), Kurtosis: p.float("kurtosis"),
			EvalsF: p.float("evals_f"), EvalsGrad: p.float("evals_grad"), Evals: p.float("evals"),
			NsPerEstimate: p.float("ns_per_estimate"), VarTimesEvals: p.float("var_x_evals"),
			VarTimesNs: p.float("var_x_ns"), Nonfinite: p.int("nonfinite"), Skipped: p.str("skipped"),
			BlockVariances: p.floats("block_variances"), BlockMeans: p.floats("block_means"),
		}
		for i, h := range header {
			if i >= len(rec) || rec[i] == "" {
				continue
			}
			var dst *[]KV
			var name string
			switch {
			case strings.HasPrefix(h, "dist."):
				dst, name = &r.Dist, strings.TrimPrefix(h, "dist.")
			case strings.HasPrefix(h, "obj."):
				dst, name = &r.Obj, strings.TrimPrefix(h, "obj.")
			default:
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				p.err = fmt.Errorf("column %s: %v", h, err)
				break
			}
			*dst = append(*dst, KV{name, v})
		}
		if p.err != nil {
			return nil, fmt.Errorf("cells file line %d: %v", li+2, p.err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

type parser struct {
	rec []string
	col map[string]int
	err error
}

func (p *parser) str(name string) string {
	i, ok := p.col[name]
	if !ok || i >= len(p.rec) {
		return ""
	}
	return p.rec[i]
}

func (p *parser) float(name string) float64 {
	s := p.str(name)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("column %s: %q is not a number", name, s)
	}
	return v
}

// floats parses a ";"-separated list of numbers; "" is nil.
func (p *parser) floats(name string) []float64 {
	s := p.str(name)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ";")
	out := make([]float64, len(parts))
	for i, f := range parts {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil && p.err == nil {
			p.err = fmt.Errorf("column %s: %q is not a number", name, f)
		}
		out[i] = v
	}
	return out
}

// joinFloats formats v as a ";"-separated list of exact numbers.
func joinFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = FormatFloat(f)
	}
	return strings.Join(parts, ";")
}

func (p *parser) int(name string) int {
	s := p.str(name)
	v, err := strconv.Atoi(s)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("column %s: %q is not an integer", name, s)
	}
	return v
}

func (p *parser) bool(name string) bool {
	s := p.str(name)
	v, err := strconv.ParseBool(s)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("column %s: %q is not true or false", name, s)
	}
	return v
}

// LoadCells reads dir/cells.csv.
func LoadCells(dir string) ([]Row, error) {
	f, err := os.Open(filepath.Join(dir, CellsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := ReadCells(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return rows, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder renamed into place, so that readers never see a partial file.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	perr := tmp.Chmod(0o644)
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	for _, e := range []error{perr, werr, serr, cerr} {
		if e != nil {
			os.Remove(name)
			return e
		}
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// SaveCells writes rows to dir/cells.csv atomically.
func SaveCells(dir string, rows []Row) error {
	var buf bytes.Buffer
	if err := WriteCells(&buf, rows); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, CellsFile), buf.Bytes())
}

// NaN is a convenience for statistics that do not exist.
var NaN = math.NaN()
