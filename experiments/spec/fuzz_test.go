package spec

import (
	"errors"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec/spectest"
)

// FuzzParse checks that Parse never panics and that every error it returns
// is a *Error naming the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(spectest.Good))
	f.Add([]byte(spectest.Base))
	f.Add([]byte(spectest.TrainWith("")))
	f.Add([]byte(spectest.ModelWith("")))
	for _, tc := range spectest.BadSpecs {
		f.Add([]byte(tc.Src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.toml", data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.File != "fuzz.toml" {
				t.Fatalf("error %T %v is not a *Error naming the file", err, err)
			}
			return
		}
		if n := btoi(s.Sweep != nil) + btoi(s.Train != nil) + btoi(s.Model != nil); n != 1 {
			t.Fatalf("parsed spec has %d of sweep, train and model", n)
		}
		if s.Sweep != nil {
			if n := s.Sweep.NumCells(); n > 0 {
				s.Sweep.Cell(0)
				s.Sweep.Cell(n - 1)
			}
		}
		for name := range s.Profiles {
			s.ApplyProfile(name)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
