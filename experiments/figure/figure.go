// Package figure renders results as figures with gonum/plot: line plots of
// a metric against a parameter (one panel per gradient component, one
// series per estimator, Monte Carlo points with 95% confidence bands and
// optional exact curves) and training curves (a quantity against the
// optimizer step, with a band over seeds).
//
// Every estimator has one colour and marker in every figure (StyleOf, from
// the Okabe–Ito colour-blind-safe palette). Figures are written as PNG (at
// DPI dots per inch), SVG or PDF; all three are byte-for-byte reproducible
// (the PDF creation date is fixed, from SOURCE_DATE_EPOCH when set).
//
// Log axes cannot show values ≤ 0: such points are dropped, band ends are
// clipped to the axis, and each figure says so in its caption and in its
// Notes.
package figure

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Kind is how a series is drawn.
type Kind int

// The series kinds.
const (
	// Points are Monte Carlo estimates: markers joined by a thin line, with
	// the band Lo..Hi shaded (or drawn as error bars for a single point).
	Points Kind = iota
	// Curve is an exact curve: a solid line without markers or band.
	Curve
	// Mean is a mean over runs: a line with the band Lo..Hi shaded and no
	// markers.
	Mean
)

// Series is one estimator's data in one panel.
type Series struct {
	Label string // estimator label; selects the style
	Kind  Kind
	// X and Y are the points, in increasing X; Lo and Hi, if non-nil, have
	// the same length and bound a band around Y.
	X, Y, Lo, Hi []float64

	// breaks are the indices at which a point was dropped before drawing:
	// lines and bands are not drawn across them.
	breaks []int
}

// segments returns the [start, end) ranges of s between breaks.
func (s Series) segments() [][2]int {
	var out [][2]int
	start := 0
	for _, b := range s.breaks {
		if b > start {
			out = append(out, [2]int{start, b})
		}
		start = b
	}
	if len(s.X) > start {
		out = append(out, [2]int{start, len(s.X)})
	}
	return out
}

// Panel is one plot of a figure.
type Panel struct {
	Title          string
	XLabel, YLabel string
	LogX, LogY     bool
	// YMin and YMax fix the y range when non-zero.
	YMin, YMax float64
	// OffAxis, if not empty, is the one note that reports points outside
	// a fixed y range (instead of a note per series): a panel zoomed in
	// on purpose says why.
	OffAxis string
	Series  []Series
}

// Figure is a row of panels sharing a legend.
type Figure struct {
	// Name is the file name without extension.
	Name  string
	Title string
	// Caption is printed under the panels, followed by the notes.
	Caption string
	Panels  []Panel
	// Notes lists what the data could not show as given (dropped or
	// clipped points); the builders and the renderer add to it.
	Notes []string
}

// Panel size, legend and text sizes.
var (
	PanelWidth  = 4 * vg.Inch
	PanelHeight = 3.2 * vg.Inch
	// DPI is the resolution of PNG output.
	DPI = 200
)

const bandAlpha = 0x40

// MaxDecades is the largest span of an automatic log y axis: points more
// than MaxDecades decades below the largest value are not shown, and a
// note says so. A fixed Panel.YMin overrides it.
var MaxDecades = 8.0

// prepared is a panel made safe to draw: values that cannot be shown
// removed or clipped, and the axis ranges fixed.
type prepared struct {
	Panel
	xmin, xmax, ymin, ymax float64
}

// prepare sanitizes p for drawing and returns notes about what it changed.
func prepare(p Panel) (prepared, []string) {
	var notes []string
	q := prepared{Panel: p}
	q.Series = nil
	okX := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && (!p.LogX || x > 0) }
	okY := func(y float64) bool { return !math.IsNaN(y) && !math.IsInf(y, 0) && (!p.LogY || y > 0) }
	where := func(s Series) string {
		if p.Title != "" {
			return fmt.Sprintf("%s, %s", s.Label, p.Title)
		}
		return s.Label
	}
	// First pass: drop points.
	for _, s := range p.Series {
		var t Series
		t.Label, t.Kind = s.Label, s.Kind
		dropped := 0
		for i := range s.X {
			if !okX(s.X[i]) || !okY(s.Y[i]) {
				dropped++
				if n := len(t.X); len(t.breaks) == 0 || t.breaks[len(t.breaks)-1] != n {
					t.breaks = append(t.breaks, n)
				}
				continue
			}
			t.X = append(t.X, s.X[i])
			t.Y = append(t.Y, s.Y[i])
			if s.Lo != nil {
				t.Lo = append(t.Lo, s.Lo[i])
				t.Hi = append(t.Hi, s.Hi[i])
			}
		}
		if dropped > 0 {
			what := "non-finite"
			if p.LogY || p.LogX {
				what = "non-finite or ≤ 0 (log axis)"
			}
			kind := "points"
			if s.Kind == Curve {
				kind = "exact-curve points"
			}
			notes = append(notes, fmt.Sprintf("%s: %d %s %s not shown", where(s), dropped, kind, what))
		}
		if len(t.X) > 0 {
			q.Series = append(q.Series, t)
		}
	}
	// Axis ranges.
	q.xmin, q.xmax = math.Inf(1), math.Inf(-1)
	q.ymin, q.ymax = math.Inf(1), math.Inf(-1)
	for _, s := range q.Series {
		for i := range s.X {
			q.xmin, q.xmax = math.Min(q.xmin, s.X[i]), math.Max(q.xmax, s.X[i])
			q.ymin, q.ymax = math.Min(q.ymin, s.Y[i]), math.Max(q.ymax, s.Y[i])
			if s.Lo != nil {
				if okY(s.Lo[i]) {
					q.ymin = math.Min(q.ymin, s.Lo[i])
				}
				if okY(s.Hi[i]) {
					q.ymax = math.Max(q.ymax, s.Hi[i])
				}
			}
		}
	}
	if math.IsInf(q.xmin, 0) {
		q.xmin, q.xmax = 1, 10
		q.ymin, q.ymax = 1, 10
	}
	q.xmin, q.xmax = niceRange(q.xmin, q.xmax, p.LogX, false)
	if p.LogY && q.ymax/q.ymin > math.Pow(10, MaxDecades) {
		// Values many decades below the rest (rounding residue of an exact
		// zero, say) would squash the data into a sliver: cut the axis and
		// report the points below it.
		q.ymin = q.ymax / math.Pow(10, MaxDecades)
	}
	q.ymin, q.ymax = niceRange(q.ymin, q.ymax, p.LogY, true)
	if p.YMin != 0 && (!p.LogY || p.YMin > 0) {
		q.ymin = p.YMin
	}
	if p.YMax != 0 && p.YMax > q.ymin {
		q.ymax = p.YMax
	}
	// Second pass: clip bands to the axis range; count points outside it.
	offAxis := 0
	for si := range q.Series {
		s := &q.Series[si]
		clipped, outside := 0, 0
		for i := range s.X {
			off := s.Y[i] < q.ymin || s.Y[i] > q.ymax
			if off {
				outside++
			}
			if s.Lo == nil {
				continue
			}
			lo, hi := s.Lo[i], s.Hi[i]
			// A missing band end (NaN) collapses to the point.
			if math.IsNaN(lo) {
				lo = s.Y[i]
			}
			if math.IsNaN(hi) {
				hi = s.Y[i]
			}
			if off && (!p.LogY || lo > 0) {
				// The band of a point off the axis is left whole: drawing
				// clips it where it crosses the axis, whereas clamping its
				// ends would draw a band where the line is not.
				s.Lo[i], s.Hi[i] = lo, max(hi, lo)
				continue
			}
			if lo < q.ymin {
				if p.LogY && lo <= 0 {
					clipped++
				}
				lo = q.ymin
			}
			if hi > q.ymax {
				hi = q.ymax
			}
			s.Lo[i], s.Hi[i] = lo, max(hi, lo)
		}
		if clipped > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d lower confidence limits ≤ 0 clipped to the axis", where(*s), clipped))
		}
		if outside > 0 && s.Kind != Curve && p.OffAxis != "" {
			offAxis += outside
		} else if outside > 0 && s.Kind != Curve {
			notes = append(notes, fmt.Sprintf("%s: %d points outside the y range [%.3g, %.3g] not shown", where(*s), outside, q.ymin, q.ymax))
		}
	}
	if offAxis > 0 {
		notes = append(notes, p.OffAxis)
	}
	return q, notes
}

// niceRange widens [lo, hi] a little (to whole decades, if decades, on a
// log axis that spans at least one decade) and makes it non-empty.
func niceRange(lo, hi float64, log, decades bool) (float64, float64) {
	if log {
		if lo == hi {
			return lo / 2, hi * 2
		}
		l, h := math.Log10(lo), math.Log10(hi)
		if decades && h-l >= 1 {
			return math.Pow(10, math.Floor(l+1e-9)), math.Pow(10, math.Ceil(h-1e-9))
		}
		pad := (h - l) * 0.04
		return math.Pow(10, l-pad), math.Pow(10, h+pad)
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.1, 1)
		return lo - d, hi + d
	}
	pad := (hi - lo) * 0.04
	return lo - pad, hi + pad
}

// logTicks labels every decade on a log axis, and 2× and 5× as well when
// fewer than three decades are in range; with less than a decade in view
// it labels every 1×–9× tick, or uses linear ticks.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= 0 || lo > hi {
		return nil
	}
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	decades := 0
	for e := e0; e <= e1; e++ {
		if v := math.Pow(10, float64(e)); v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			decades++
		}
	}
	var ticks []plot.Tick
	for e := e0; e <= e1; e++ {
		base := math.Pow(10, float64(e))
		for m := 1; m < 10; m++ {
			v := base * float64(m)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (decades < 3 && (m == 2 || m == 5)) {
				t.Label = tickLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		// Less than a decade in view: label every tick, or fall back to
		// linear ticks when even those are too sparse.
		if len(ticks) < 3 {
			return linTicks{}.Ticks(lo, hi)
		}
		for i := range ticks {
			ticks[i].Label = tickLabel(ticks[i].Value)
		}
	}
	return ticks
}

func tickLabel(v float64) string {
	a := math.Abs(v)
	if a == 0 || (a >= 1e-3 && a < 1e4) {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	e := int(math.Floor(math.Log10(a) + 1e-9))
	m := v / math.Pow(10, float64(e))
	if math.Abs(m-1) < 1e-9 {
		return fmt.Sprintf("1e%d", e)
	}
	// Six significant digits: ticks less than a decade apart differ in
	// the third or fourth digit, which %.3g would round away.
	return strconv.FormatFloat(m, 'g', 6, 64) + "e" + strconv.Itoa(e)
}

// linTicks is gonum's default ticker with compact labels.
type linTicks struct{}

func (linTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = tickLabel(ticks[i].Value)
		}
	}
	return ticks
}

// lineStyle is the style of exact curves and means: solid for the
// built-in estimators, dashed for the others.
func lineStyle(st Style, width vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: st.Color, Width: width, Dashes: st.Dashes}
}

// pointsLine is the thin dashed line joining Monte Carlo points.
func pointsLine(st Style) draw.LineStyle {
	ls := draw.LineStyle{Color: st.Color, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	if st.Dashes != nil {
		ls.Dashes = st.Dashes
	}
	return ls
}

// build makes the gonum plot of a prepared panel.
func (q prepared) build() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = q.Title
	p.Title.TextStyle.Font.Size = 11
	p.X.Label.Text, p.Y.Label.Text = q.XLabel, q.YLabel
	p.X.Label.TextStyle.Font.Size = 11
	p.Y.Label.TextStyle.Font.Size = 11
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = q.xmin, q.xmax, q.ymin, q.ymax
	p.X.Tick.Marker, p.Y.Tick.Marker = linTicks{}, linTicks{}
	if q.LogX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	if q.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = colorGrey(0xdd)
	grid.Horizontal.Color = colorGrey(0xdd)
	grid.Vertical.Dashes, grid.Horizontal.Dashes = nil, nil
	p.Add(grid)
	// Bands first, then lines, then markers, so that no band hides a point.
	for _, s := range q.Series {
		if s.Lo == nil || s.Kind == Curve {
			continue
		}
		for _, seg := range s.segments() {
			if seg[1]-seg[0] < 2 {
				continue
			}
			ring := make(plotter.XYs, 0, 2*(seg[1]-seg[0]))
			for i := seg[0]; i < seg[1]; i++ {
				ring = append(ring, plotter.XY{X: s.X[i], Y: s.Hi[i]})
			}
			for i := seg[1] - 1; i >= seg[0]; i-- {
				ring = append(ring, plotter.XY{X: s.X[i], Y: s.Lo[i]})
			}
			poly, err := plotter.NewPolygon(ring)
			if err != nil {
				return nil, err
			}
			poly.Color = translucent(StyleOf(s.Label).Fill, bandAlpha)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	for _, s := range q.Series {
		st := StyleOf(s.Label)
		xys := make(plotter.XYs, len(s.X))
		for i := range s.X {
			xys[i] = plotter.XY{X: s.X[i], Y: s.Y[i]}
		}
		for _, seg := range s.segments() {
			if seg[1]-seg[0] < 2 {
				continue
			}
			l, err := plotter.NewLine(xys[seg[0]:seg[1]])
			if err != nil {
				return nil, err
			}
			switch s.Kind {
			case Curve, Mean:
				l.LineStyle = lineStyle(st, vg.Points(1.6))
			case Points:
				l.LineStyle = pointsLine(st)
			}
			p.Add(l)
		}
		if s.Kind == Points {
			if s.Lo != nil && len(xys) == 1 {
				eb, err := plotter.NewYErrorBars(errXYs{xys, s.Lo, s.Hi})
				if err != nil {
					return nil, err
				}
				eb.LineStyle = draw.LineStyle{Color: st.Color, Width: vg.Points(1)}
				p.Add(eb)
			}
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: st.Color, Radius: vg.Points(2.6), Shape: st.Glyph}
			p.Add(sc)
		}
	}
	// Add's data ranges may have widened the axes; restore ours.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = q.xmin, q.xmax, q.ymin, q.ymax
	return p, nil
}

type errXYs struct {
	plotter.XYs
	lo, hi []float64
}

func (e errXYs) YError(i int) (float64, float64) { return e.XYs[i].Y - e.lo[i], e.hi[i] - e.XYs[i].Y }

// legendEntries returns the estimator labels of f in order of first
// appearance, with the kinds drawn for each.
func (f *Figure) legendEntries() (labels []string, kinds map[string][]Kind) {
	kinds = map[string][]Kind{}
	for _, p := range f.Panels {
		for _, s := range p.Series {
			if _, ok := kinds[s.Label]; !ok {
				labels = append(labels, s.Label)
			}
			if !slices.Contains(kinds[s.Label], s.Kind) {
				kinds[s.Label] = append(kinds[s.Label], s.Kind)
			}
		}
	}
	return labels, kinds
}

// thumb draws a legend entry's marker and line.
type thumb struct {
	st    Style
	kinds []Kind
}

func (t thumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	solid := slices.Contains(t.kinds, Curve)
	if solid || slices.Contains(t.kinds, Mean) {
		c.StrokeLine2(lineStyle(t.st, vg.Points(1.6)), c.Min.X, y, c.Max.X, y)
	}
	if slices.Contains(t.kinds, Points) {
		if !solid {
			c.StrokeLine2(pointsLine(t.st), c.Min.X, y, c.Max.X, y)
		}
		c.DrawGlyph(draw.GlyphStyle{Color: t.st.Color, Radius: vg.Points(2.6), Shape: t.st.Glyph}, c.Center())
	}
}

func colorGrey(v uint8) color.NRGBA { return color.NRGBA{v, v, v, 0xff} }

func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   Black,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
	}
}

// wrap breaks s into lines of at most width (measured in sty).
func wrap(sty text.Style, s string, width vg.Length) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		line := ""
		for _, w := range words {
			try := w
			if line != "" {
				try = line + " " + w
			}
			if line != "" && sty.Width(try) > width {
				lines = append(lines, line)
				line = w
				continue
			}
			line = try
		}
		lines = append(lines, line)
	}
	return lines
}

// caption returns the caption text: Caption then the notes.
func (f *Figure) caption() string {
	parts := []string{}
	if f.Caption != "" {
		parts = append(parts, f.Caption)
	}
	for _, n := range f.Notes {
		parts = append(parts, "Note: "+n+".")
	}
	return strings.Join(parts, "\n")
}

// Draw prepares the panels (recording notes in f.Notes) and draws the
// figure on c: the panels side by side, the legend to their right and the
// caption below. Size returns the canvas size Draw expects.
func (f *Figure) Draw(c draw.Canvas) error {
	preps, err := f.prepareAll()
	if err != nil {
		return err
	}
	return f.draw(c, preps)
}

func (f *Figure) prepareAll() ([]prepared, error) {
	if len(f.Panels) == 0 {
		return nil, fmt.Errorf("figure %q has no panels", f.Name)
	}
	preps := make([]prepared, len(f.Panels))
	f.Notes = slices.Clip(f.Notes)
	for i, p := range f.Panels {
		var notes []string
		preps[i], notes = prepare(p)
		for _, n := range notes {
			if !slices.Contains(f.Notes, n) {
				f.Notes = append(f.Notes, n)
			}
		}
	}
	return preps, nil
}

var (
	legendFont  = vg.Points(10)
	captionFont = vg.Points(8.5)
	titleFont   = vg.Points(12)
)

func (f *Figure) legend() (plot.Legend, vg.Length) {
	l := plot.NewLegend()
	l.TextStyle = textStyle(legendFont)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(24)
	l.Padding = vg.Points(3)
	labels, kinds := f.legendEntries()
	var w vg.Length
	for _, lab := range labels {
		l.Add(lab, thumb{StyleOf(lab), kinds[lab]})
		w = max(w, l.ThumbnailWidth+l.TextStyle.Width(" "+lab))
	}
	return l, w + vg.Points(12)
}

// Size returns the size of the figure's canvas: the panels side by side,
// the legend to their right, the title above and the caption below. It
// prepares the panels (adding notes), so call it after the last change to
// f.
func (f *Figure) Size() (w, h vg.Length, err error) {
	if _, err := f.prepareAll(); err != nil {
		return 0, 0, err
	}
	return f.size()
}

func (f *Figure) size() (w, h vg.Length, err error) {
	_, lw := f.legend()
	w = vg.Length(len(f.Panels))*PanelWidth + lw
	h = PanelHeight + f.captionHeight(w) + f.titleHeight(w)
	return w, h, nil
}

// titleLines returns the title's lines: its own lines, each wrapped to the
// figure's width w.
func (f *Figure) titleLines(w vg.Length) []string {
	if f.Title == "" {
		return nil
	}
	sty := textStyle(titleFont)
	var lines []string
	for _, l := range strings.Split(f.Title, "\n") {
		lines = append(lines, wrap(sty, l, w-vg.Points(16))...)
	}
	return lines
}

func (f *Figure) titleHeight(w vg.Length) vg.Length {
	lines := f.titleLines(w)
	if len(lines) == 0 {
		return 0
	}
	return vg.Length(len(lines))*textStyle(titleFont).Height("X")*1.15 + vg.Points(6)
}

func (f *Figure) captionHeight(w vg.Length) vg.Length {
	cap := f.caption()
	if cap == "" {
		return 0
	}
	sty := textStyle(captionFont)
	n := len(wrap(sty, cap, w-vg.Points(16)))
	return vg.Length(n)*sty.Height("X")*1.2 + vg.Points(8)
}

func (f *Figure) draw(c draw.Canvas, preps []prepared) error {
	c.SetColor(colorGrey(0xff))
	c.Fill(c.Rectangle.Path())
	w := c.Max.X - c.Min.X
	// Title.
	if lines := f.titleLines(w); len(lines) > 0 {
		sty := textStyle(titleFont)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		lh := sty.Height("X") * 1.15
		for i, l := range lines {
			c.FillText(sty, vg.Point{X: c.Min.X + w/2, Y: c.Max.Y - vg.Points(3) - vg.Length(i)*lh}, l)
		}
		c.Max.Y -= f.titleHeight(w)
	}
	// Caption.
	if capt := f.caption(); capt != "" {
		sty := textStyle(captionFont)
		sty.YAlign = draw.YTop
		lines := wrap(sty, capt, w-vg.Points(16))
		lh := sty.Height("X") * 1.2
		ch := f.captionHeight(w)
		y := c.Min.Y + ch - vg.Points(4)
		for _, line := range lines {
			c.FillText(sty, vg.Point{X: c.Min.X + vg.Points(8), Y: y}, line)
			y -= lh
		}
		c.Min.Y += ch
	}
	// Legend, to the right of the panels, level with the top of the data.
	l, lw := f.legend()
	lc := c
	lc.Min.X = c.Max.X - lw + vg.Points(6)
	lc.Max.Y -= vg.Points(24)
	l.Draw(lc)
	c.Max.X -= lw
	tiles := draw.Tiles{Rows: 1, Cols: len(preps), PadX: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4)}
	for i, q := range preps {
		p, err := q.build()
		if err != nil {
			return err
		}
		p.Draw(tiles.At(c, i, 0))
	}
	return nil
}
