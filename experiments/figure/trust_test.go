package figure

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/gradbench/gradbench/experiments/spec"
)

// zeroPanel is a log panel with a fixed y range whose "mvd" series has an
// exact zero's rounding residue (2.5e-32, as in the paper's Fig. 2 at
// k = μ) at x = 2 and a genuinely small value below the range at x = 4.
func zeroPanel() Panel {
	return Panel{Title: "∂/∂μ", LogY: true, YMin: 0.1, YMax: 1000, Series: []Series{
		{Label: "score", X: []float64{1, 2, 3, 4}, Y: []float64{500, 20, 90, 40}, Lo: []float64{490, 19, 88, 39}, Hi: []float64{510, 21, 92, 41}},
		{Label: "mvd", X: []float64{1, 2, 3, 4}, Y: []float64{17, 2.5e-32, 4, 0.004}, Lo: []float64{16, 2.4e-32, 3.9, 0.0039}, Hi: []float64{18, 2.6e-32, 4.1, 0.0041}},
	}}
}

// TestZeroMarked: on a log axis an exact zero (0, or its rounding residue
// far below the panel's values, or a tiny negative residue) is marked on
// the x axis and noted as a zero, not reported as outside the y range; a
// small but genuine value below a fixed range still is.
func TestZeroMarked(t *testing.T) {
	t.Parallel()
	for _, zero := range []float64{0, 2.5e-32, -1e-33} {
		p := zeroPanel()
		p.Series[1].Y[1] = zero
		q := prepare(p)
		mvd := q.Series[1]
		if !slices.Equal(mvd.zeros, []float64{2}) {
			t.Errorf("zero %g: zeros at %v, want [2]", zero, mvd.zeros)
		}
		want := []string{"mvd: 1 point equal to 0, marked on the x axis", "mvd: 1 point outside the y range [0.1, 1e+03] not shown"}
		if !slices.Equal(q.notes, want) {
			t.Errorf("zero %g: notes %q, want %q", zero, q.notes, want)
		}
	}
	// Away from a log axis, 0 is an ordinary value.
	p := zeroPanel()
	p.LogY, p.YMin, p.YMax = false, 0, 0
	if q := prepare(p); len(q.Series[1].zeros) != 0 || len(q.notes) != 0 {
		t.Errorf("linear axis: zeros %v, notes %q", q.Series[1].zeros, q.notes)
	}
	// An automatic axis is not stretched down to the residue.
	p = zeroPanel()
	p.YMin, p.YMax = 0, 0
	if q := prepare(p); q.ymin < 1e-3 {
		t.Errorf("automatic axis reaches %g for a zero's residue", q.ymin)
	}
}

// TestZeroMarkerDrawn renders the zero panel and finds mvd's colour on
// the x axis line: below every point of the data area.
func TestZeroMarkerDrawn(t *testing.T) {
	t.Parallel()
	lowest := func(p Panel) int {
		f := &Figure{Name: "z", Panels: []Panel{p}}
		img, err := png.Decode(bytes.NewReader(render(t, f, "png")))
		if err != nil {
			t.Fatal(err)
		}
		return lowestPixel(img, StyleOf("mvd").Color)
	}
	with := zeroPanel()
	without := zeroPanel()
	without.Series[1].Y[1] = 1 // a point at the bottom of the range instead
	a, b := lowest(with), lowest(without)
	// The axis line is 5 pt (about 14 px at 200 dpi) below the data area.
	if a < b+10 {
		t.Errorf("lowest mvd pixel row %d with the zero marker, %d without: the marker is not on the x axis", a, b)
	}
}

// lowestPixel returns the largest row of img with a pixel of colour c.
func lowestPixel(img image.Image, c color.NRGBA) int {
	low := -1
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == c {
				low = y
			}
		}
	}
	return low
}

// TestStylesDistinct gives figures of 1 to 200 labels (with and without
// built-in estimators among them) and requires distinct colour × marker ×
// dashes for every label as long as there are enough combinations,
// distinct colours while the palette lasts and distinct colour × marker
// pairs while those last.
func TestStylesDistinct(t *testing.T) {
	t.Parallel()
	builtins := []string{"score", "pathwise", "mvd", "rebar", "relax", "gumbel-softmax"}
	for _, withBuiltins := range []bool{false, true} {
		for _, n := range []int{1, 2, 3, 5, 7, 8, 9, 12, 20, 30, 46, 47, 48, 60, 100, 140, 141, 142, 200} {
			var labels []string
			if withBuiltins {
				labels = append(labels, builtins...)
			}
			for i := range n {
				labels = append(labels, fmt.Sprintf("est-%d", i))
			}
			styles, repeats := Styles(labels)
			type key struct {
				c      color.NRGBA
				g      draw.GlyphDrawer
				dashes string
			}
			seen := map[key]string{}
			colours := map[color.NRGBA]bool{}
			pairs := map[[2]any]bool{}
			dup := false
			for _, lab := range labels {
				st := styles[lab]
				k := key{st.Fill, st.Glyph, fmt.Sprint(st.Dashes)}
				if other, ok := seen[k]; ok {
					dup = true
					if !repeats {
						t.Fatalf("%d labels (builtins %v): %s and %s share %v", len(labels), withBuiltins, lab, other, k)
					}
				}
				seen[k] = lab
				if _, builtin := builtinStyles[lab]; !builtin && builtinPair(st.Fill, st.Glyph) {
					t.Fatalf("%s has a built-in estimator's colour and marker", lab)
				}
				colours[st.Fill] = true
				pairs[[2]any{st.Fill, st.Glyph}] = true
			}
			if repeats != dup {
				t.Errorf("%d labels: repeats = %v, duplicates = %v", len(labels), repeats, dup)
			}
			// The built-ins here have 5 colours; each other label takes a
			// new one while any is left.
			builtinColours := 0
			if withBuiltins {
				builtinColours = 5
			}
			if want := min(builtinColours+n, len(Palette)); len(colours) < want {
				t.Errorf("%d labels: %d colours, want %d", len(labels), len(colours), want)
			}
			free := len(Palette)*len(fallbackGlyphs) - len(builtinStyles) // pairs no built-in holds
			if want := min(n, free); len(pairs) < want {
				t.Errorf("%d labels: %d colour × marker pairs, want ≥ %d", len(labels), len(pairs), want)
			}
			if capacity := free * len(fallbackDashes); n <= capacity && repeats {
				t.Errorf("%d labels: styles repeat with combinations to spare", len(labels))
			} else if n > capacity && !repeats {
				t.Errorf("%d labels: more than %d combinations, no repeats reported", len(labels), capacity)
			}
		}
	}
	// A label alone keeps its hashed style; and the styles of a figure's
	// labels depend only on the labels before them.
	a, _ := Styles([]string{"x", "y"})
	b, _ := Styles([]string{"x", "y", "z"})
	if fmt.Sprint(a["x"]) != fmt.Sprint(StyleOf("x")) || fmt.Sprint(a["y"]) != fmt.Sprint(b["y"]) {
		t.Errorf("styles not stable: %v %v", a, b)
	}
}

// TestManySeriesFigure renders a figure of more estimators than the
// palette has colours (the categorical toy's 11 and then some) and checks
// that it says nothing about repeated styles.
func TestManySeriesFigure(t *testing.T) {
	t.Parallel()
	p := Panel{Title: "∂/∂logit", LogY: true}
	for i := range 14 {
		p.Series = append(p.Series, Series{Label: fmt.Sprintf("gs-%d", i), X: []float64{1, 2}, Y: []float64{1 + float64(i), 2 + float64(i)}})
	}
	f := &Figure{Name: "many", Panels: []Panel{p}}
	render(t, f, "svg")
	if all, _ := f.AllNotes(); len(all) != 0 {
		t.Errorf("notes %q", all)
	}
}

// TestLegendOnlyDrawn: a series with nothing inside the axes (all its
// points off a fixed range) has no legend entry; one whose only values are
// zeros is drawn (on the x axis) and has an entry with its marker.
func TestLegendOnlyDrawn(t *testing.T) {
	t.Parallel()
	f := &Figure{Name: "legend", Panels: []Panel{{LogY: true, YMin: 1, YMax: 100, Series: []Series{
		{Label: "score", X: []float64{1, 2}, Y: []float64{10, 20}},
		{Label: "off", X: []float64{1, 2}, Y: []float64{1e4, 1e5}},
		{Label: "below", X: []float64{1, 2}, Y: []float64{0.1, 0.2}},
		{Label: "muprop", X: []float64{1, 2}, Y: []float64{0, 1e-31}},
		// A line from below the range to above it crosses it: drawn.
		{Label: "across", Kind: Mean, X: []float64{1, 2}, Y: []float64{0.01, 1e4}},
	}}}}
	labels, _, zeros := f.legendEntries(mustPrepare(t, f))
	if want := []string{"score", "muprop", "across"}; !slices.Equal(labels, want) {
		t.Errorf("legend %q, want %q", labels, want)
	}
	if !zeros["muprop"] || zeros["score"] {
		t.Errorf("zero markers in the legend: %v", zeros)
	}
	pn, _ := f.PanelNotes()
	for _, w := range []string{"off: 2 points outside the y range [1, 100] not shown", "muprop: 2 points equal to 0, marked on the x axis"} {
		if !slices.Contains(pn[0], w) {
			t.Errorf("notes %q lack %q", pn[0], w)
		}
	}
}

// TestPanelNotesPlacement records the drawing of a two-panel figure and
// checks that each panel's note is drawn under that panel (in its column,
// below its axes) and not in the caption, and that the figure's own note
// is in the caption.
func TestPanelNotesPlacement(t *testing.T) {
	t.Parallel()
	f := &Figure{Name: "notes", Caption: "The caption.", Notes: []string{"a figure note"}, Panels: []Panel{
		{Title: "left", LogY: true, Series: []Series{{Label: "score", X: []float64{1, 2}, Y: []float64{1, 2}}}},
		{Title: "right", LogY: true, Series: []Series{{Label: "mvd", X: []float64{1, 2, 3}, Y: []float64{1, 2, -1}}}},
	}}
	w, h, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder.Canvas
	if err := f.Draw(draw.NewCanvas(&rec, w, h)); err != nil {
		t.Fatal(err)
	}
	note := "Note: mvd: 1 point non-finite or negative (log axis) not shown."
	var at []vg.Point
	var caption []string
	for _, a := range rec.Actions {
		if fs, ok := a.(*recorder.FillString); ok {
			if fs.String == note {
				at = append(at, fs.Point)
			}
			caption = append(caption, fs.String)
		}
	}
	if len(at) != 1 {
		t.Fatalf("note drawn %d times; strings drawn:\n%s", len(at), strings.Join(caption, "\n"))
	}
	// The right panel's column starts past the left panel's width.
	if at[0].X < PanelWidth || at[0].X > 2*PanelWidth {
		t.Errorf("note at x = %v, want under the right panel (%v to %v)", at[0].X, PanelWidth, 2*PanelWidth)
	}
	if at[0].Y > h-PanelHeight {
		t.Errorf("note at y = %v, want below the panels (%v)", at[0].Y, h-PanelHeight)
	}
	capt := f.caption(mustPrepare(t, f))
	if strings.Contains(capt, "mvd") || !strings.Contains(capt, "Note: a figure note.") {
		t.Errorf("caption %q", capt)
	}
	if all, _ := f.AllNotes(); !slices.Equal(all, []string{"a figure note", "right: mvd: 1 point non-finite or negative (log axis) not shown"}) {
		t.Errorf("AllNotes %q", all)
	}
}

// TestPlurals: counts of one are singular in every note.
func TestPlurals(t *testing.T) {
	t.Parallel()
	f := &Figure{Name: "one", Panels: []Panel{{Title: "p", LogY: true, YMin: 1, YMax: 10, Series: []Series{
		{Label: "a", X: []float64{1, 2, 3, 4, 5}, Y: []float64{2, 100, -1, 0, 3}, Lo: []float64{-1, 90, -2, 0, 2}, Hi: []float64{3, 110, 0, 0, 4}},
		{Label: "b", Kind: Curve, X: []float64{1, 2}, Y: []float64{2, -3}},
		{Label: "c", Kind: Mean, X: []float64{1, 2}, Y: []float64{2, 3}, Lo: []float64{0, 2}, Hi: []float64{3, 4}},
	}}}}
	pn, err := f.PanelNotes()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a: 1 point non-finite or negative (log axis) not shown",
		"a: 1 point equal to 0, marked on the x axis",
		"b: 1 exact-curve point non-finite or negative (log axis) not shown",
		"a: 1 lower confidence limit ≤ 0 clipped to the axis",
		"a: 1 point outside the y range [1, 10] not shown",
		"c: 1 lower band end ≤ 0 clipped to the axis",
	}
	if !slices.Equal(pn[0], want) {
		t.Errorf("notes:\n%s\nwant\n%s", strings.Join(pn[0], "\n"), strings.Join(want, "\n"))
	}
	if got := pluralize(1, "run", "runs") + ", " + pluralize(0, "run", "runs") + ", " + pluralize(2, "run", "runs"); got != "1 run, 0 runs, 2 runs" {
		t.Errorf("pluralize: %q", got)
	}
}

// TestLinesYRanges: a recipe's per-panel y ranges fix those panels' ranges
// and leave the others to y_min and y_max; a range for a component without
// a panel is an error.
func TestLinesYRanges(t *testing.T) {
	t.Parallel()
	rec := spec.Plot{X: "obj.k", LogY: true, YMin: 0.005, YMax: 10, YRanges: []spec.PanelRange{{Param: "sigma", Min: 0.1, Max: 10}}}
	figs, err := Lines("r", synthRows(1), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := [][2]float64{}
	for _, p := range figs[0].Panels {
		got = append(got, [2]float64{p.YMin, p.YMax})
	}
	if !slices.Equal(got, [][2]float64{{0.005, 10}, {0.1, 10}}) {
		t.Errorf("panel ranges %v", got)
	}
	preps := mustPrepare(t, figs[0])
	if preps[1].ymin != 0.1 || preps[0].ymin != 0.005 {
		t.Errorf("drawn ranges %g, %g", preps[0].ymin, preps[1].ymin)
	}
	rec.YRanges = []spec.PanelRange{{Param: "tau", Min: 1, Max: 2}}
	if _, err := Lines("r", synthRows(1), rec, nil); err == nil || !strings.Contains(err.Error(), `"tau"`) {
		t.Errorf("range for a missing panel: %v", err)
	}
}

// TestSymbolIndexed: indexed components get their symbol too.
func TestSymbolIndexed(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"mu": "μ", "mu[0]": "μ[0]", "sigma[12]": "σ[12]", "logit[3]": "logit[3]", "x[": "x["} {
		if got := Symbol(in); got != want {
			t.Errorf("Symbol(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPDFText renders a figure with ∂, μ, σ, ² and − in its text and a
// translucent band to PDF and checks its colour and the text the PDF shows: Windows-1252 bytes (vgpdf's encoding) for
// the characters that code page has, and nothing of the UTF-8 bytes that
// vgpdf would otherwise write as text (the characters it lacks are drawn as
// outlines).
func TestPDFText(t *testing.T) {
	t.Parallel()
	f := &Figure{Name: "pdf", Title: "f(x) = (x − k)², x ~ N(1, 1)", Panels: []Panel{
		{Title: "∂/∂μ", YLabel: "Var[∂/∂σ]", LogY: true, Series: []Series{{Label: "pathwise", X: []float64{1, 2}, Y: []float64{1, 2}, Lo: []float64{0.9, 1.8}, Hi: []float64{1.1, 2.2}}}},
	}}
	var shown bytes.Buffer
	var pages []byte
	tj := regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)
	unescape := strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`)
	data := render(t, f, "pdf")
	for _, chunk := range bytes.Split(data, []byte(">>\nstream\n"))[1:] {
		end := bytes.Index(chunk, []byte("\nendstream"))
		if end < 0 {
			continue
		}
		r, err := zlib.NewReader(bytes.NewReader(chunk[:end]))
		if err != nil {
			continue
		}
		content, err := io.ReadAll(r)
		if err != nil && len(content) == 0 {
			continue
		}
		if !bytes.Contains(content, []byte("BT ")) {
			continue // not a page's content
		}
		pages = append(pages, content...)
		for _, m := range tj.FindAllSubmatch(content, -1) {
			shown.WriteString(unescape.Replace(string(m[1])))
			shown.WriteByte('|')
		}
	}
	s := shown.String()
	if !strings.Contains(s, "f(x) = (x ") || !strings.Contains(s, "k)\xb2, x ~ N(1, 1)") {
		t.Errorf("title not shown as Windows-1252 text: %q", s)
	}
	for _, utf8 := range []string{"∂", "μ", "σ", "²", "−"} {
		if strings.Contains(s, utf8) {
			t.Errorf("PDF text shows the UTF-8 bytes of %s: %q", utf8, s)
		}
	}
	if !strings.Contains(s, "Var[") || !strings.Contains(s, "]") {
		t.Errorf("y label text missing: %q", s)
	}
	// The translucent band has pathwise's colour (0x009e73), not that
	// colour premultiplied by the band's alpha (0x40), which vgpdf would
	// write.
	if !bytes.Contains(pages, []byte("0.000 0.620 0.451 rg")) || bytes.Contains(pages, []byte("0.000 0.153 0.110 rg")) {
		t.Errorf("the band's fill colour is not pathwise's straight colour")
	}
}

// TestCP1252 checks the code page table against a few known bytes.
func TestCP1252(t *testing.T) {
	t.Parallel()
	for r, want := range map[rune]int{'A': 'A', '€': 0x80, '–': 0x96, '—': 0x97, 'Ÿ': 0x9f, '²': 0xb2, 'µ': 0xb5, '×': 0xd7, 'ÿ': 0xff} {
		if b, ok := cp1252(r); !ok || int(b) != want {
			t.Errorf("cp1252(%q) = %#x, %v; want %#x", r, b, ok, want)
		}
	}
	for _, r := range []rune{'∂', 'μ', 'σ', '−', '≤', '\ufffd', '\n', 0x81} {
		if _, ok := cp1252(r); ok {
			t.Errorf("cp1252(%q) accepted", r)
		}
	}
}
