package figure

import (
	"hash/fnv"
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The Okabe–Ito colour-blind-safe palette (Okabe and Ito, 2008).
var (
	Black         = color.NRGBA{0x00, 0x00, 0x00, 0xff}
	Orange        = color.NRGBA{0xe6, 0x9f, 0x00, 0xff}
	SkyBlue       = color.NRGBA{0x56, 0xb4, 0xe9, 0xff}
	BluishGreen   = color.NRGBA{0x00, 0x9e, 0x73, 0xff}
	Yellow        = color.NRGBA{0xf0, 0xe4, 0x42, 0xff}
	Blue          = color.NRGBA{0x00, 0x72, 0xb2, 0xff}
	Vermillion    = color.NRGBA{0xd5, 0x5e, 0x00, 0xff}
	ReddishPurple = color.NRGBA{0xcc, 0x79, 0xa7, 0xff}
)

// Palette is the Okabe–Ito palette in its usual order.
var Palette = []color.NRGBA{Black, Orange, SkyBlue, BluishGreen, Yellow, Blue, Vermillion, ReddishPurple}

// darkYellow is the Okabe–Ito yellow darkened for lines and markers, which
// would otherwise be hard to see on white; its bands keep the palette's
// yellow.
var darkYellow = color.NRGBA{0xb8, 0xa9, 0x00, 0xff}

// Style is how one estimator is drawn in every figure.
type Style struct {
	Color  color.NRGBA // lines and markers
	Fill   color.NRGBA // confidence bands (drawn translucent)
	Glyph  draw.GlyphDrawer
	Dashes []vg.Length // nil: solid
}

var builtinStyles = map[string]Style{
	"score":         {Color: Vermillion, Fill: Vermillion, Glyph: draw.CircleGlyph{}},
	"score+ma":      {Color: Orange, Fill: Orange, Glyph: draw.TriangleGlyph{}},
	"score+loo":     {Color: ReddishPurple, Fill: ReddishPurple, Glyph: draw.PyramidGlyph{}},
	"score+optimal": {Color: SkyBlue, Fill: SkyBlue, Glyph: draw.SquareGlyph{}},
	"score+const":   {Color: Black, Fill: Black, Glyph: draw.PlusGlyph{}},
	"delta":         {Color: darkYellow, Fill: Yellow, Glyph: draw.CrossGlyph{}},
	// The delta method about a pathwise base: delta's colour, dashed.
	"delta+pathwise": {Color: darkYellow, Fill: Yellow, Glyph: draw.PyramidGlyph{}, Dashes: []vg.Length{vg.Points(4), vg.Points(2)}},
	"pathwise":       {Color: BluishGreen, Fill: BluishGreen, Glyph: draw.BoxGlyph{}},
	"mvd":            {Color: Blue, Fill: Blue, Glyph: draw.RingGlyph{}},
	// Discrete-variable estimators: the palette again, with other markers
	// and dashed lines.
	"arm":            {Color: Orange, Fill: Orange, Glyph: draw.CircleGlyph{}, Dashes: []vg.Length{vg.Points(4), vg.Points(2)}},
	"disarm":         {Color: BluishGreen, Fill: BluishGreen, Glyph: draw.TriangleGlyph{}, Dashes: []vg.Length{vg.Points(4), vg.Points(2)}},
	"rebar":          {Color: Blue, Fill: Blue, Glyph: draw.PyramidGlyph{}, Dashes: []vg.Length{vg.Points(4), vg.Points(2)}},
	"relax":          {Color: ReddishPurple, Fill: ReddishPurple, Glyph: draw.SquareGlyph{}, Dashes: []vg.Length{vg.Points(4), vg.Points(2)}},
	"gumbel-softmax": {Color: SkyBlue, Fill: SkyBlue, Glyph: draw.CircleGlyph{}, Dashes: []vg.Length{vg.Points(1), vg.Points(2)}},
	"st-gumbel":      {Color: Vermillion, Fill: Vermillion, Glyph: draw.BoxGlyph{}, Dashes: []vg.Length{vg.Points(1), vg.Points(2)}},
	"st":             {Color: Black, Fill: Black, Glyph: draw.TriangleGlyph{}, Dashes: []vg.Length{vg.Points(1), vg.Points(2)}},
	"muprop":         {Color: darkYellow, Fill: Yellow, Glyph: draw.RingGlyph{}, Dashes: []vg.Length{vg.Points(1), vg.Points(2)}},
}

var fallbackGlyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.BoxGlyph{},
	draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.PlusGlyph{}, draw.CrossGlyph{},
}

var fallbackDashes = [][]vg.Length{
	{vg.Points(4), vg.Points(2)},
	{vg.Points(1), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(1), vg.Points(2)},
}

// StyleOf returns the style of the estimator labelled label. The built-in
// estimators have fixed styles (solid lines for the continuous ones, dashed
// for the discrete ones); any other label gets a dashed style chosen by a
// hash of the label, so that it is the same in every figure and every run.
func StyleOf(label string) Style {
	if s, ok := builtinStyles[label]; ok {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(label))
	v := h.Sum32()
	c := Palette[v%uint32(len(Palette))]
	g := int(v>>8) % len(fallbackGlyphs)
	// Never reuse a built-in estimator's colour and marker together.
	for range fallbackGlyphs {
		if !builtinPair(c, fallbackGlyphs[g]) {
			break
		}
		g = (g + 1) % len(fallbackGlyphs)
	}
	st := Style{Color: c, Fill: c, Glyph: fallbackGlyphs[g], Dashes: fallbackDashes[(v>>16)%uint32(len(fallbackDashes))]}
	if c == Yellow {
		st.Color = darkYellow
	}
	return st
}

func builtinPair(c color.NRGBA, g draw.GlyphDrawer) bool {
	for _, b := range builtinStyles {
		if b.Fill == c && b.Glyph == g {
			return true
		}
	}
	return false
}

// translucent returns c with alpha a (0..255), for bands.
func translucent(c color.NRGBA, a uint8) color.NRGBA {
	c.A = a
	return c
}
