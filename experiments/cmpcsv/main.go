// Command cmpcsv compares two results CSV files (cells.csv or curves.csv)
// cell by cell, ignoring the timing columns, and exits 1 with the first
// differences if they differ. experiments/verify-reproduce.sh uses it.
package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"slices"

	"github.com/gradbench/gradbench/experiments/store"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cmpcsv OLD.csv NEW.csv")
		os.Exit(2)
	}
	a, err := read(os.Args[1])
	if err == nil {
		var b [][]string
		if b, err = read(os.Args[2]); err == nil {
			if diffs := compare(a, b); len(diffs) > 0 {
				for _, d := range diffs {
					fmt.Fprintf(os.Stderr, "%s: %s\n", os.Args[2], d)
				}
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintln(os.Stderr, "cmpcsv:", err)
	os.Exit(2)
}

func read(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(f).ReadAll()
}

// compare returns up to 10 differences outside the timing columns.
func compare(a, b [][]string) []string {
	if len(a) == 0 || len(b) == 0 || !slices.Equal(a[0], b[0]) {
		return []string{"different headers"}
	}
	if len(a) != len(b) {
		return []string{fmt.Sprintf("%d rows, want %d", len(b)-1, len(a)-1)}
	}
	timing := append(slices.Clone(store.TimingColumns), store.CurveTimingColumns...)
	var diffs []string
	for i := 1; i < len(a) && len(diffs) < 10; i++ {
		for j, h := range a[0] {
			if slices.Contains(timing, h) || a[i][j] == b[i][j] {
				continue
			}
			diffs = append(diffs, fmt.Sprintf("line %d column %s: %q, want %q", i+1, h, b[i][j], a[i][j]))
		}
	}
	return diffs
}
