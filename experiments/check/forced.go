package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gradbench/gradbench/experiments/store"
)

// ForcedFile is the name of the file, beside cells.csv and meta.json in a
// baseline folder, that records why the folder was written although Audit
// refused some of its cells ("gradbench baseline -force REASON"). A
// baseline written without refusals has none.
const ForcedFile = "forced.json"

// DefaultBaselineDir is the committed baseline that "gradbench check"
// compares with and "gradbench baseline" writes unless told otherwise
// (-baseline): results/baseline, one folder per regression suite.
var DefaultBaselineDir = filepath.Join(store.DefaultResultsDir, "baseline")

// Forced is the content of ForcedFile.
type Forced struct {
	Reason    string    `json:"reason"`     // the -force reason, as given
	Written   time.Time `json:"written"`    // when the baseline was written
	Source    string    `json:"source"`     // the results folder it was copied from
	Alpha     float64   `json:"alpha"`      // the audit's family-wise rate
	BiasSE    float64   `json:"bias_se"`    // and bias threshold in standard errors
	BiasTests int       `json:"bias_tests"` // the size of the audit's Holm family
	// Refused lists the cells of this folder that Audit refused.
	Refused []ForcedCell `json:"refused"`
}

// ForcedCell is one refused row: its key (Key), verdict and note.
type ForcedCell struct {
	Cell    string `json:"cell"`
	Verdict Status `json:"verdict"`
	Note    string `json:"note"`
}

// WriteForced writes f to dir/ForcedFile atomically.
func WriteForced(dir string, f *Forced) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return store.WriteFileAtomic(filepath.Join(dir, ForcedFile), append(data, '\n'))
}

// LoadForced reads dir/ForcedFile; it returns nil and no error if there is
// none.
func LoadForced(dir string) (*Forced, error) {
	data, err := os.ReadFile(filepath.Join(dir, ForcedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f Forced
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ForcedFile), err)
	}
	return &f, nil
}

// RemoveForced removes dir/ForcedFile if there is one.
func RemoveForced(dir string) error {
	if err := os.Remove(filepath.Join(dir, ForcedFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
