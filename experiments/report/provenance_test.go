package report

import (
	"reflect"
	"testing"
	"time"

	"github.com/gradbench/gradbench/experiments/store"
)

// TestProvenanceTotals: each kind with two or more folders gets a row of
// its summed wall time; a kind with one folder gets none.
func TestProvenanceTotals(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	var dirs []string
	for i, c := range []struct {
		name, kind string
		wall       time.Duration
	}{{"a", store.KindModel, 90 * time.Minute}, {"b", store.KindSweep, 3 * time.Second}, {"c", store.KindModel, 25*time.Minute + 500*time.Millisecond}} {
		dir := t.TempDir()
		m := store.Meta{Kind: c.kind, Experiment: c.name, Seed: uint64(i), Workers: 2, Start: start, End: start.Add(c.wall)}
		if err := store.SaveMeta(dir, m); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	tab, err := Provenance(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 4 {
		t.Fatalf("%d rows, want 3 folders and 1 total: %q", len(tab.Rows), tab.Rows)
	}
	want := []string{"total: 2 model experiments", "", "", "", "", "", "", "", "1h55m0.5s"}
	if got := tab.Rows[3]; !reflect.DeepEqual(got, want) {
		t.Errorf("total row %q, want %q", got, want)
	}
	if got := tab.Rows[1][8]; got != "3s" {
		t.Errorf("sweep b's wall time %q, want 3s", got)
	}
}
