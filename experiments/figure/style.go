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

// StyleOf returns the style of the estimator labelled label when it is
// the only label of its figure. The built-in estimators have fixed styles
// (solid lines for the continuous ones, dashed for the discrete ones); any
// other label gets a dashed style chosen by a hash of the label, so that
// it is the same in every figure where it does not clash with another
// label (see Styles).
func StyleOf(label string) Style {
	st, _ := Styles([]string{label})
	return st[label]
}

// styleKey identifies a style: its palette colour, marker and dashes.
type styleKey struct {
	color color.NRGBA
	glyph draw.GlyphDrawer
	dash  int // index into fallbackDashes, -1 for a built-in's own
}

// Styles returns a style for each of labels, the labels of one figure, so
// that no two labels of the figure share a combination of colour, marker
// and dashes, however many there are. Built-in estimators keep their fixed
// styles. Each other label starts from the combination its hash picks and
// takes the first combination, in a fixed order, that
//
//  1. has a colour no other label of the figure has, and
//  2. failing that, a colour and marker no other label has, and
//  3. failing that, a colour, marker and dashes no other label has,
//
// never a built-in estimator's colour and marker together. A label's
// style depends only on the labels before it, so figures with the same
// labels draw them alike. There are (len(Palette) × len(fallbackGlyphs) −
// len(builtinStyles)) × len(fallbackDashes) = 141 such combinations; past
// them styles repeat, and repeats is true.
func Styles(labels []string) (styles map[string]Style, repeats bool) {
	styles = map[string]Style{}
	usedColor := map[color.NRGBA]bool{}
	type pair struct {
		c color.NRGBA
		g draw.GlyphDrawer
	}
	usedPair := map[pair]bool{}
	used := map[styleKey]bool{}
	for _, lab := range labels {
		if st, ok := builtinStyles[lab]; ok {
			styles[lab] = st
			usedColor[st.Fill] = true
			usedPair[pair{st.Fill, st.Glyph}] = true
		}
	}
	nc, ng, nd := len(Palette), len(fallbackGlyphs), len(fallbackDashes)
	for _, lab := range labels {
		if _, ok := styles[lab]; ok {
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(lab))
		v := h.Sum32()
		c0, g0, d0 := int(v%uint32(nc)), int(v>>8)%ng, int(v>>16)%nd
		// The candidates, from the hashed one: colours first, then
		// markers, then dashes.
		var cands []styleKey
		for dd := range nd {
			for dg := range ng {
				for dc := range nc {
					cands = append(cands, styleKey{Palette[(c0+dc)%nc], fallbackGlyphs[(g0+dg)%ng], (d0 + dd) % nd})
				}
			}
		}
		ok := func(k styleKey) bool { return !builtinPair(k.color, k.glyph) && !used[k] }
		var pick *styleKey
		for _, rule := range []func(styleKey) bool{
			func(k styleKey) bool { return ok(k) && !usedColor[k.color] },
			func(k styleKey) bool { return ok(k) && !usedPair[pair{k.color, k.glyph}] },
			ok,
		} {
			for i := range cands {
				if rule(cands[i]) {
					pick = &cands[i]
					break
				}
			}
			if pick != nil {
				break
			}
		}
		if pick == nil {
			// Every combination is taken: reuse one, still not a
			// built-in estimator's.
			repeats = true
			for i := range cands {
				if !builtinPair(cands[i].color, cands[i].glyph) {
					pick = &cands[i]
					break
				}
			}
		}
		used[*pick] = true
		usedColor[pick.color] = true
		usedPair[pair{pick.color, pick.glyph}] = true
		st := Style{Color: pick.color, Fill: pick.color, Glyph: pick.glyph, Dashes: fallbackDashes[pick.dash]}
		if pick.color == Yellow {
			st.Color = darkYellow
		}
		styles[lab] = st
	}
	return styles, repeats
}

// builtinPairs holds the colour and marker of every built-in style.
var builtinPairs = func() map[[2]any]bool {
	m := map[[2]any]bool{}
	for _, b := range builtinStyles {
		m[[2]any{b.Fill, b.Glyph}] = true
	}
	return m
}()

// builtinPair reports whether a built-in estimator is drawn in colour c
// (its band colour, the palette's) with marker g.
func builtinPair(c color.NRGBA, g draw.GlyphDrawer) bool { return builtinPairs[[2]any{c, g}] }

// translucent returns c with alpha a (0..255), for bands.
func translucent(c color.NRGBA, a uint8) color.NRGBA {
	c.A = a
	return c
}
