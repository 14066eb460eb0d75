package spec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const tooLarge = "a spec may have at most 1 MiB (1048576 bytes); data go in files of their own"

// Load reads and parses the spec file at path, as Parse does, and checks
// that a model's data file, resolved against the spec's folder, is a
// regular .csv file it can open (without reading it, so that no error can
// show its contents). A file larger than MaxSpecBytes is refused before
// it is read. Errors name the file relative to the working directory if
// it lies below it. Every error is a *Error.
func Load(path string) (*Spec, error) {
	name := path
	if wd, err := os.Getwd(); err == nil {
		if abs, err := filepath.Abs(path); err == nil {
			if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) {
				name = rel
			}
		}
	}
	data, err := read(path)
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	s, err := parse(path, name, data)
	if err != nil {
		return nil, err
	}
	if m := s.Model; m != nil && m.Data != "" {
		if err := checkData(filepath.Join(filepath.Dir(path), m.Data), m.Data); err != nil {
			return nil, s.errf("model.data", "%q: %v", m.Data, err)
		}
	}
	return s, nil
}

// read reads at most MaxSpecBytes of the file at path.
func read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pathErr(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxSpecBytes {
		return nil, fmt.Errorf("%d bytes: %s", fi.Size(), tooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecBytes+1))
	if err != nil {
		return nil, pathErr(err)
	} else if len(data) > MaxSpecBytes {
		return nil, fmt.Errorf("more than %d bytes: %s", MaxSpecBytes, tooLarge)
	}
	return data, nil
}

// pathErr returns the reason of a file error without the path.
func pathErr(err error) error {
	if pe := (*os.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkData checks that path (data itself, if absolute) is a regular .csv
// file that can be opened for reading.
func checkData(path, data string) error {
	if filepath.IsAbs(data) {
		path = data
	}
	if !strings.EqualFold(filepath.Ext(path), ".csv") {
		return errors.New("want a .csv file (the data of kind blr)")
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("%v (relative to the spec's folder: %s)", pathErr(err), path)
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return pathErr(err)
	}
	return f.Close()
}
