package figure

import (
	"image/color"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgpdf"
)

// pdfCanvas is gonum's PDF canvas with two fixes: translucent colours
// (see SetColor) and text. vgpdf embeds
// fonts with the Windows-1252 code page and writes the bytes of a string
// as they are, so it draws any non-ASCII UTF-8 text wrongly ("∂/∂μ"
// comes out as "âˆ‚/âˆ‚Î¼"). pdfCanvas encodes the runs of a string that
// Windows-1252 has (ASCII, Latin-1, the curly quotes, dashes…) into that
// code page, so they stay text, and draws every other character (∂, μ, σ,
// ≤, −…) as the filled outline of its glyph in the same font, at the
// place the font's metrics give it.
type pdfCanvas struct {
	*vgpdf.Canvas
}

// SetColor sets the colour of what follows. vgpdf takes the colour's
// premultiplied components for the PDF's colour and its alpha for the
// PDF's opacity, so that translucent bands come out darkened (a 25%
// opaque blue as a 25% opaque near-black); pdfCanvas hands it the
// straight components instead.
func (c pdfCanvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	c.Canvas.SetColor(straight(color.NRGBAModel.Convert(clr).(color.NRGBA)))
}

// straight is a colour whose RGBA method returns its components without
// premultiplying them by alpha, which is what vgpdf.Canvas.SetColor wants
// (and only it: it breaks the color.Color contract).
type straight color.NRGBA

func (s straight) RGBA() (r, g, b, a uint32) {
	return uint32(s.R) * 0x101, uint32(s.G) * 0x101, uint32(s.B) * 0x101, uint32(s.A) * 0x101
}

// FillString draws str with its left baseline at pt (see vg.Canvas).
func (c pdfCanvas) FillString(fnt font.Face, pt vg.Point, str string) {
	if fnt.Font.Size == 0 {
		return
	}
	start := 0 // byte offset of the current Windows-1252 run
	var run []byte
	flush := func(end int) {
		if len(run) > 0 {
			at := pt
			at.X += fnt.Width(str[:start])
			c.Canvas.FillString(fnt, at, string(run))
		}
		run = run[:0]
		start = end
	}
	for i, r := range str {
		if b, ok := cp1252(r); ok {
			run = append(run, b)
			continue
		}
		flush(i)
		at := pt
		at.X += fnt.Width(str[:i])
		c.fillGlyph(fnt, at, r)
		start = i + utf8.RuneLen(r)
	}
	flush(len(str))
}

// fillGlyph fills the outline of the glyph of r in fnt with its origin
// at pt; a rune the font lacks is left out.
func (c pdfCanvas) fillGlyph(fnt font.Face, pt vg.Point, r rune) {
	var buf sfnt.Buffer
	idx, err := fnt.Face.GlyphIndex(&buf, r)
	if err != nil || idx == 0 {
		return
	}
	// At ppem = units per em (in 26.6 fixed point), the segments' raw
	// values are in font units.
	upem := fnt.Face.UnitsPerEm()
	segs, err := fnt.Face.LoadGlyph(&buf, idx, fixed.Int26_6(upem), nil)
	if err != nil {
		return
	}
	scale := fnt.Font.Size / vg.Length(upem)
	at := func(p fixed.Point26_6) vg.Point {
		// The segments' y axis points down.
		return vg.Point{X: pt.X + vg.Length(p.X)*scale, Y: pt.Y - vg.Length(p.Y)*scale}
	}
	var path vg.Path
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if len(path) > 0 {
				path.Close()
			}
			path.Move(at(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			path.Line(at(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			path.QuadTo(at(s.Args[0]), at(s.Args[1]))
		case sfnt.SegmentOpCubeTo:
			path.CubeTo(at(s.Args[0]), at(s.Args[1]), at(s.Args[2]))
		}
	}
	if len(path) == 0 {
		return
	}
	path.Close()
	c.Fill(path)
}

// cp1252 returns the Windows-1252 byte of r, if it has one (control
// characters excepted).
func cp1252(r rune) (byte, bool) {
	switch {
	case r >= 0x20 && r < 0x7f, r >= 0xa0 && r <= 0xff:
		return byte(r), true
	}
	if i := strings.IndexRune(cp1252High, r); i >= 0 && r != utf8.RuneError {
		return byte(0x80 + utf8.RuneCountInString(cp1252High[:i])), true
	}
	return 0, false
}

// cp1252High lists the characters of Windows-1252 bytes 0x80 to 0x9f in
// order; U+FFFD marks the five unused bytes.
const cp1252High = "€\ufffd‚ƒ„…†‡ˆ‰Š‹Œ\ufffdŽ\ufffd\ufffd‘’“”•–—˜™š›œ\ufffdžŸ"
