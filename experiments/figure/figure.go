// Package figure renders results as figures with gonum/plot: line plots of
// a metric against a parameter (one panel per gradient component, one
// series per estimator, Monte Carlo points with 95% confidence bands and
// optional exact curves) and training curves (a quantity against the
// optimizer step, with a band over seeds).
//
// Every built-in estimator has one colour, marker and dashes in every
// figure, from the Okabe–Ito colour-blind-safe palette; other labels get
// styles that no two labels of a figure share (Styles). The legend lists
// the estimators some panel draws. Figures are written as PNG (at DPI dots
// per inch), SVG or PDF; all three are byte-for-byte reproducible (the PDF
// creation date is fixed, from SOURCE_DATE_EPOCH when set), and PDF text
// keeps every character (∂, μ, σ…) that vgpdf alone would garble.
//
// Log axes cannot show values ≤ 0: zeros (and their rounding residue, see
// ZeroTolerance) are marked on the x axis, negative and non-finite points
// are dropped, band ends are clipped to the axis. What a panel could not
// show as given is noted under that panel (PanelNotes); the caption says
// what the markers mean and carries the figure's own Notes.
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
	// zeros are the x values of points that are 0 on a log y axis, drawn
	// as markers on the x axis; curveZeros are the indices of an exact
	// curve's zeros, drawn below the axis.
	zeros      []float64
	curveZeros []int
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
	// Notes are the builder's notes on this panel; they are drawn under
	// it, followed by what the renderer could not show.
	Notes []string
}

// Figure is a row of panels sharing a legend.
type Figure struct {
	// Name is the file name without extension.
	Name  string
	Title string
	// Caption is printed under the panels, followed by the notes.
	Caption string
	Panels  []Panel
	// Notes lists what the figure as a whole could not show as given (runs
	// that stopped, say). Notes on one panel (dropped or clipped points,
	// zeros, points off the axis) are the panel's: see Panel.Notes,
	// PanelNotes and AllNotes.
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

// ZeroTolerance decides which values a log y axis shows as zeros: 0
// itself, and values whose magnitude is at most ZeroTolerance times the
// largest magnitude in the panel. Those are rounding residue of an exact
// 0 (a variance computed in double precision from estimates that are all
// equal comes out near 1e-32 of their square, not 0). Zeros of Monte
// Carlo points and means are drawn as their series' marker on the x axis;
// an exact curve falls to the bottom of the axis at its zeros.
var ZeroTolerance = 1e-24

// zeroCaption explains the markers drawn on the x axis for zeros; the
// caption carries it when a panel has such markers.
func zeroCaption() string {
	return fmt.Sprintf("Markers on the x axis of a log panel: values that are 0 (or at most %g × the panel's largest value: the rounding residue of 0), which a log axis cannot show.", ZeroTolerance)
}

// prepared is a panel made safe to draw: values that cannot be shown
// removed or clipped, and the axis ranges fixed.
type prepared struct {
	Panel
	xmin, xmax, ymin, ymax float64
	// notes says what the panel could not show as given; they are drawn
	// under the panel.
	notes []string
	// visible[i] tells whether Series[i] draws anything inside the axes:
	// a point or a line inside the y range, or a zero marker.
	visible []bool
}

// pluralize returns "1 point" or "3 points".
func pluralize(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// prepare sanitizes p for drawing and returns it with notes about what it
// changed.
func prepare(p Panel) prepared {
	var notes []string
	q := prepared{Panel: p}
	q.Series = nil
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	okX := func(x float64) bool { return finite(x) && (!p.LogX || x > 0) }
	okY := func(y float64) bool { return finite(y) && (!p.LogY || y > 0) }
	// The panel's scale, for telling the residue of a zero from a value.
	scale := 0.0
	for _, s := range p.Series {
		for i, y := range s.Y {
			if finite(y) && okX(s.X[i]) {
				scale = max(scale, math.Abs(y))
			}
		}
	}
	isZero := func(y float64) bool { return p.LogY && finite(y) && math.Abs(y) <= ZeroTolerance*scale }
	// First pass: drop points, and set zeros aside.
	for _, s := range p.Series {
		var t Series
		t.Label, t.Kind = s.Label, s.Kind
		dropped, zeros := 0, 0
		brk := func() {
			if n := len(t.X); len(t.breaks) == 0 || t.breaks[len(t.breaks)-1] != n {
				t.breaks = append(t.breaks, n)
			}
		}
		for i := range s.X {
			zero := okX(s.X[i]) && isZero(s.Y[i])
			switch {
			case zero && s.Kind == Curve:
				// An exact zero: the curve falls off the bottom of the
				// axis there (its value is set once the range is known).
				t.curveZeros = append(t.curveZeros, len(t.X))
			case zero:
				zeros++
				t.zeros = append(t.zeros, s.X[i])
				brk()
				continue
			case !okX(s.X[i]) || !okY(s.Y[i]):
				dropped++
				brk()
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
			switch {
			case p.LogX && p.LogY:
				what = "non-finite, negative or at x ≤ 0 (log axes)"
			case p.LogY:
				what = "non-finite or negative (log axis)"
			case p.LogX:
				what = "non-finite or at x ≤ 0 (log axis)"
			}
			kind := pluralize(dropped, "point", "points")
			if s.Kind == Curve {
				kind = pluralize(dropped, "exact-curve point", "exact-curve points")
			}
			notes = append(notes, fmt.Sprintf("%s: %s %s not shown", s.Label, kind, what))
		}
		if zeros > 0 {
			notes = append(notes, fmt.Sprintf("%s: %s equal to 0, marked on the x axis", s.Label, pluralize(zeros, "point", "points")))
		}
		if len(t.X) > 0 || len(t.zeros) > 0 {
			q.Series = append(q.Series, t)
		}
	}
	// Axis ranges, from the points that are not zeros.
	q.xmin, q.xmax = math.Inf(1), math.Inf(-1)
	q.ymin, q.ymax = math.Inf(1), math.Inf(-1)
	for _, s := range q.Series {
		for _, x := range s.zeros {
			q.xmin, q.xmax = math.Min(q.xmin, x), math.Max(q.xmax, x)
		}
		for i := range s.X {
			q.xmin, q.xmax = math.Min(q.xmin, s.X[i]), math.Max(q.xmax, s.X[i])
			if slices.Contains(s.curveZeros, i) {
				continue
			}
			q.ymin, q.ymax = math.Min(q.ymin, s.Y[i]), math.Max(q.ymax, s.Y[i])
			if s.Lo != nil {
				if okY(s.Lo[i]) && !isZero(s.Lo[i]) {
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
	}
	if math.IsInf(q.ymin, 0) {
		q.ymin, q.ymax = 1, 10
	}
	q.xmin, q.xmax = niceRange(q.xmin, q.xmax, p.LogX, false)
	if p.LogY && q.ymax/q.ymin > math.Pow(10, MaxDecades) {
		// Values many decades below the rest would squash the data into a
		// sliver: cut the axis and report the points below it.
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
	q.visible = make([]bool, len(q.Series))
	for si := range q.Series {
		s := &q.Series[si]
		for _, i := range s.curveZeros {
			s.Y[i] = q.ymin * 1e-3 // below the axis: the line runs off its bottom
		}
		clipped, outside := 0, 0
		for i := range s.X {
			off := s.Y[i] < q.ymin || s.Y[i] > q.ymax
			if off && !slices.Contains(s.curveZeros, i) {
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
				if p.LogY && (lo <= 0 || isZero(lo)) {
					clipped++
				}
				lo = q.ymin
			}
			if hi > q.ymax {
				hi = q.ymax
			}
			s.Lo[i], s.Hi[i] = lo, max(hi, lo)
		}
		q.visible[si] = q.draws(*s)
		if clipped > 0 {
			what := pluralize(clipped, "lower confidence limit", "lower confidence limits")
			if s.Kind == Mean {
				what = pluralize(clipped, "lower band end", "lower band ends")
			}
			notes = append(notes, fmt.Sprintf("%s: %s ≤ 0 clipped to the axis", s.Label, what))
		}
		if outside > 0 && s.Kind != Curve && p.OffAxis != "" {
			offAxis += outside
		} else if outside > 0 && s.Kind != Curve {
			notes = append(notes, fmt.Sprintf("%s: %s outside the y range [%.3g, %.3g] not shown", s.Label, pluralize(outside, "point", "points"), q.ymin, q.ymax))
		}
	}
	if offAxis > 0 {
		notes = append(notes, p.OffAxis)
	}
	q.notes = append(slices.Clip(p.Notes), notes...)
	return q
}

// draws reports whether s, prepared for q, draws anything inside the axes:
// a zero marker, a point in range, or a line crossing the range.
func (q prepared) draws(s Series) bool {
	if len(s.zeros) > 0 {
		return true
	}
	tol := 1e-9 * (q.ymax - q.ymin)
	lo, hi := q.ymin-tol, q.ymax+tol
	if q.LogY {
		lo, hi = q.ymin*(1-1e-9), q.ymax*(1+1e-9)
	}
	for _, seg := range s.segments() {
		for i := seg[0]; i < seg[1]; i++ {
			y := s.Y[i]
			if y >= lo && y <= hi {
				return true
			}
			// A line from below the range to above it crosses it.
			if i > seg[0] {
				a := s.Y[i-1]
				if a < lo && y > hi || a > hi && y < lo {
					return true
				}
			}
		}
	}
	return false
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

// axes makes the gonum plot of a prepared panel without its data: title,
// axis ranges, ticks and grid.
func (q prepared) axes() *plot.Plot {
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
	return p
}

// build makes the gonum plot of a prepared panel, drawing each series in
// its style from styles.
func (q prepared) build(styles map[string]Style) (*plot.Plot, error) {
	p := q.axes()
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
			poly.Color = translucent(styles[s.Label].Fill, bandAlpha)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	for _, s := range q.Series {
		st := styles[s.Label]
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
		if s.Kind == Points && len(xys) > 0 {
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
			sc.GlyphStyle = glyphStyle(st)
			p.Add(sc)
		}
	}
	// Add's data ranges may have widened the axes; restore ours.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = q.xmin, q.xmax, q.ymin, q.ymax
	return p, nil
}

func glyphStyle(st Style) draw.GlyphStyle {
	return draw.GlyphStyle{Color: st.Color, Radius: vg.Points(2.6), Shape: st.Glyph}
}

// drawZeros draws the zero markers of q on the x axis line of the panel
// p, drawn on tile: each series' marker at the x of each of its zeros.
func (q prepared) drawZeros(tile draw.Canvas, p *plot.Plot, styles map[string]Style) {
	data := p.DataCanvas(tile)
	// The axis line lies the axis padding below the data area of a plot
	// without glyphs (whose data area is not raised to make room for them).
	bare := q.axes().DataCanvas(tile)
	y := bare.Min.Y - p.X.Padding
	for _, s := range q.Series {
		gs := glyphStyle(styles[s.Label])
		for _, x := range s.zeros {
			pt := vg.Point{X: data.X(p.X.Norm(x)), Y: y}
			// A white disc first, so that the axis line does not run
			// through a hollow marker.
			tile.DrawGlyph(draw.GlyphStyle{Color: colorGrey(0xff), Radius: gs.Radius, Shape: draw.CircleGlyph{}}, pt)
			tile.DrawGlyph(gs, pt)
		}
	}
}

type errXYs struct {
	plotter.XYs
	lo, hi []float64
}

func (e errXYs) YError(i int) (float64, float64) { return e.XYs[i].Y - e.lo[i], e.hi[i] - e.XYs[i].Y }

// labels returns the estimator labels of f in order of first appearance.
func (f *Figure) labels() []string {
	var labels []string
	for _, p := range f.Panels {
		for _, s := range p.Series {
			if !slices.Contains(labels, s.Label) {
				labels = append(labels, s.Label)
			}
		}
	}
	return labels
}

// legendEntries returns the labels of the series that preps draw, in order
// of first appearance in f, with what is drawn of each: its kinds, and
// whether it has zero markers. A series drawn in no panel has no entry.
func (f *Figure) legendEntries(preps []prepared) (labels []string, kinds map[string][]Kind, zeros map[string]bool) {
	kinds, zeros = map[string][]Kind{}, map[string]bool{}
	drawn := map[string]bool{}
	for _, q := range preps {
		for i, s := range q.Series {
			if !q.visible[i] {
				continue
			}
			drawn[s.Label] = true
			if len(s.X) > 0 && !slices.Contains(kinds[s.Label], s.Kind) {
				kinds[s.Label] = append(kinds[s.Label], s.Kind)
			}
			if len(s.zeros) > 0 {
				zeros[s.Label] = true
			}
		}
	}
	for _, lab := range f.labels() {
		if drawn[lab] {
			labels = append(labels, lab)
		}
	}
	return labels, kinds, zeros
}

// thumb draws a legend entry's marker and line.
type thumb struct {
	st    Style
	kinds []Kind
	zeros bool // the series has zero markers: show its marker
}

func (t thumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	solid := slices.Contains(t.kinds, Curve)
	if solid || slices.Contains(t.kinds, Mean) {
		c.StrokeLine2(lineStyle(t.st, vg.Points(1.6)), c.Min.X, y, c.Max.X, y)
	}
	points := slices.Contains(t.kinds, Points)
	if points && !solid {
		c.StrokeLine2(pointsLine(t.st), c.Min.X, y, c.Max.X, y)
	}
	if points || t.zeros {
		c.DrawGlyph(glyphStyle(t.st), c.Center())
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

// caption returns the caption text: Caption, the explanation of zero
// markers if a panel has them, then the figure's notes (those of single
// panels are drawn under their panels).
func (f *Figure) caption(preps []prepared) string {
	parts := []string{}
	if f.Caption != "" {
		parts = append(parts, f.Caption)
	}
	zeros := false
	for _, q := range preps {
		for _, s := range q.Series {
			zeros = zeros || len(s.zeros) > 0
		}
	}
	if zeros {
		if len(parts) > 0 {
			parts[0] += " " + zeroCaption()
		} else {
			parts = append(parts, zeroCaption())
		}
	}
	for _, n := range f.figureNotes() {
		parts = append(parts, "Note: "+n+".")
	}
	return strings.Join(parts, "\n")
}

// figureNotes returns f.Notes and, if the figure has more labels than
// distinct styles, a note that styles repeat.
func (f *Figure) figureNotes() []string {
	if _, repeats := Styles(f.labels()); repeats {
		return append(slices.Clip(f.Notes), fmt.Sprintf("%d estimators are more than the distinct styles: some share colour, marker and dashes", len(f.labels())))
	}
	return f.Notes
}

// PanelNotes returns, for each panel of f, what it could not show as
// given (points dropped, off the axis or marked as zeros, bands clipped).
// These are drawn under their panel; Notes holds the figure's own notes.
func (f *Figure) PanelNotes() ([][]string, error) {
	preps, err := f.prepareAll()
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(preps))
	for i, q := range preps {
		out[i] = q.notes
	}
	return out, nil
}

// AllNotes returns the figure's notes followed by those of its panels,
// each prefixed by the panel's title ("panel 2" for an untitled one).
func (f *Figure) AllNotes() ([]string, error) {
	pn, err := f.PanelNotes()
	if err != nil {
		return nil, err
	}
	out := slices.Clone(f.figureNotes())
	for i, notes := range pn {
		name := f.Panels[i].Title
		if name == "" {
			name = fmt.Sprintf("panel %d", i+1)
		}
		for _, n := range notes {
			out = append(out, name+": "+n)
		}
	}
	return out, nil
}

// Draw draws the figure on c: the panels side by side, each with its notes
// under it, the legend to their right, the title above and the caption
// below. Size returns the canvas size Draw expects.
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
	for i, p := range f.Panels {
		preps[i] = prepare(p)
	}
	return preps, nil
}

var (
	legendFont  = vg.Points(10)
	captionFont = vg.Points(8.5)
	titleFont   = vg.Points(12)
)

func (f *Figure) legend(preps []prepared) (plot.Legend, vg.Length) {
	l := plot.NewLegend()
	l.TextStyle = textStyle(legendFont)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(24)
	l.Padding = vg.Points(3)
	labels, kinds, zeros := f.legendEntries(preps)
	styles := f.Styles()
	var w vg.Length
	for _, lab := range labels {
		l.Add(lab, thumb{styles[lab], kinds[lab], zeros[lab]})
		w = max(w, l.ThumbnailWidth+l.TextStyle.Width(" "+lab))
	}
	return l, w + vg.Points(12)
}

// Styles returns the style of every estimator label in f: distinct
// within the figure (see Styles).
func (f *Figure) Styles() map[string]Style {
	st, _ := Styles(f.labels())
	return st
}

// Size returns the size of the figure's canvas: the panels side by side
// with their notes under them, the legend to their right, the title above
// and the caption below.
func (f *Figure) Size() (w, h vg.Length, err error) {
	preps, err := f.prepareAll()
	if err != nil {
		return 0, 0, err
	}
	w, h = f.size(preps)
	return w, h, nil
}

func (f *Figure) size(preps []prepared) (w, h vg.Length) {
	_, lw := f.legend(preps)
	w = vg.Length(len(f.Panels))*PanelWidth + lw
	h = PanelHeight + f.panelNotesHeight(preps) + f.captionHeight(w, preps) + f.titleHeight(w)
	return w, h
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

func (f *Figure) captionHeight(w vg.Length, preps []prepared) vg.Length {
	cap := f.caption(preps)
	if cap == "" {
		return 0
	}
	sty := textStyle(captionFont)
	n := len(wrap(sty, cap, w-vg.Points(16)))
	return vg.Length(n)*sty.Height("X")*1.2 + vg.Points(8)
}

// panelNoteWidth is the width a panel's notes are wrapped to.
func panelNoteWidth() vg.Length { return PanelWidth - vg.Points(24) }

// panelNoteLines returns the lines of q's notes, wrapped to the panel.
func panelNoteLines(q prepared) []string {
	sty := textStyle(captionFont)
	var lines []string
	for _, n := range q.notes {
		lines = append(lines, wrap(sty, "Note: "+n+".", panelNoteWidth())...)
	}
	return lines
}

// panelNotesHeight is the height of the row of panel notes: that of the
// panel with the most lines.
func (f *Figure) panelNotesHeight(preps []prepared) vg.Length {
	n := 0
	for _, q := range preps {
		n = max(n, len(panelNoteLines(q)))
	}
	if n == 0 {
		return 0
	}
	return vg.Length(n)*textStyle(captionFont).Height("X")*1.2 + vg.Points(6)
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
	if capt := f.caption(preps); capt != "" {
		sty := textStyle(captionFont)
		sty.YAlign = draw.YTop
		lines := wrap(sty, capt, w-vg.Points(16))
		lh := sty.Height("X") * 1.2
		ch := f.captionHeight(w, preps)
		y := c.Min.Y + ch - vg.Points(4)
		for _, line := range lines {
			c.FillText(sty, vg.Point{X: c.Min.X + vg.Points(8), Y: y}, line)
			y -= lh
		}
		c.Min.Y += ch
	}
	// Legend, to the right of the panels, level with the top of the data.
	l, lw := f.legend(preps)
	lc := c
	lc.Min.X = c.Max.X - lw + vg.Points(6)
	lc.Max.Y -= vg.Points(24)
	l.Draw(lc)
	c.Max.X -= lw
	// The panels, with the row of their notes under them.
	nh := f.panelNotesHeight(preps)
	notes := c
	notes.Max.Y = c.Min.Y + nh
	c.Min.Y += nh
	styles := f.Styles()
	tiles := draw.Tiles{Rows: 1, Cols: len(preps), PadX: vg.Points(6), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4)}
	for i, q := range preps {
		p, err := q.build(styles)
		if err != nil {
			return err
		}
		tile := tiles.At(c, i, 0)
		p.Draw(tile)
		q.drawZeros(tile, p, styles)
		if lines := panelNoteLines(q); len(lines) > 0 {
			sty := textStyle(captionFont)
			sty.YAlign = draw.YTop
			lh := sty.Height("X") * 1.2
			x := tile.Min.X + vg.Points(8)
			y := notes.Max.Y - vg.Points(2)
			for _, line := range lines {
				notes.FillText(sty, vg.Point{X: x, Y: y}, line)
				y -= lh
			}
		}
	}
	return nil
}
