package figure

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gradbench/gradbench/experiments/store"
)

// Formats lists the output formats: "png", "svg" and "pdf".
var Formats = []string{"png", "svg", "pdf"}

// DefaultFormats is the comma-separated list of formats "gradbench plot"
// writes unless told otherwise (-formats): every one of Formats.
const DefaultFormats = "png,svg,pdf"

// ParseFormats parses a comma-separated list of formats such as
// "png,svg"; it returns an error naming an unknown one.
func ParseFormats(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		switch f {
		case "png", "svg", "pdf":
		default:
			return nil, fmt.Errorf("unknown figure format %q (want png, svg or pdf)", f)
		}
		if !contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no figure format given (want png, svg or pdf)")
	}
	return out, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var pdfDate sync.Once

// CreationDate returns the date written into PDF files: the time in
// SOURCE_DATE_EPOCH (seconds since 1970) when that is set and valid, else
// 2000-01-01 UTC, so that PDF output is reproducible.
func CreationDate() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(v, 0).UTC()
		}
	}
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
}

// canvas returns a canvas writer of the format and size.
func canvas(format string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}, nil
	case "svg":
		return vgsvg.New(w, h), nil
	case "pdf":
		pdfDate.Do(func() {
			fpdf.SetDefaultCreationDate(CreationDate())
			fpdf.SetDefaultModificationDate(CreationDate())
			fpdf.SetDefaultCatalogSort(true)
		})
		return pdfCanvas{vgpdf.New(w, h)}, nil
	}
	return nil, fmt.Errorf("unknown figure format %q (want png, svg or pdf)", format)
}

// WriteTo renders f to w in format ("png", "svg" or "pdf"). It records in
// f.Notes what the panels could not show.
func (f *Figure) WriteTo(w io.Writer, format string) error {
	preps, err := f.prepareAll()
	if err != nil {
		return err
	}
	width, height := f.size(preps)
	c, err := canvas(format, width, height)
	if err != nil {
		return err
	}
	if err := f.draw(draw.New(c), preps); err != nil {
		return err
	}
	_, err = c.WriteTo(w)
	return err
}

// Save writes f to dir/f.Name.<format> for each format, atomically, and
// returns the paths written.
func (f *Figure) Save(dir string, formats []string) ([]string, error) {
	if f.Name == "" {
		return nil, fmt.Errorf("figure has no name")
	}
	var paths []string
	for _, format := range formats {
		var buf bytes.Buffer
		if err := f.WriteTo(&buf, format); err != nil {
			return paths, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		path := filepath.Join(dir, f.Name+"."+format)
		if err := store.WriteFileAtomic(path, buf.Bytes()); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
