package table

import "unicode/utf8"

// Page is the text block LaTeX tables must fit, and the size of their font.
// The LaTeX output estimates each cell's width from the font's metrics, and
// splits, transposes or breaks tables that would not fit (see Table.Write).
type Page struct {
	// TextWidth and TextHeight are \textwidth and \textheight, in points.
	TextWidth, TextHeight float64
	// FontSize is the size of the table font (\small), in points.
	FontSize float64
}

// DefaultPage is the page of paper/paper.tex: an 11pt article on US letter
// paper with 2.5cm margins (\textwidth 472.03pt, \textheight 650.43pt), whose
// tables are set in \small, 10pt.
var DefaultPage = Page{TextWidth: 472.03, TextHeight: 650.43, FontSize: 10}

// tabcolsep is LaTeX's default \tabcolsep, in points: the space on each side
// of every column.
const tabcolsep = 6

// asciiWidths are the advance widths, in ems, of the printable ASCII
// characters in Latin Modern Roman 10pt, T1 encoding (ec-lmr10.tfm; the same
// as Computer Modern's), from ' ' (the interword space) to '~'. Kerning is
// ignored, which overestimates widths slightly.
var asciiWidths = [95]float64{
	0.3333, 0.2778, 0.3738, 0.8333, 0.5000, 0.8333, 0.7778, 0.2778, //  !"#$%&'
	0.3889, 0.3889, 0.5000, 0.7778, 0.2778, 0.3333, 0.2778, 0.5000, // ()*+,-./
	0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, // 01234567
	0.5000, 0.5000, 0.2778, 0.2778, 0.7778, 0.7778, 0.7778, 0.4722, // 89:;<=>?
	0.7778, 0.7500, 0.7083, 0.7222, 0.7639, 0.6805, 0.6528, 0.7847, // @ABCDEFG
	0.7500, 0.3611, 0.5139, 0.7778, 0.6250, 0.9167, 0.7500, 0.7778, // HIJKLMNO
	0.6805, 0.7778, 0.7361, 0.5555, 0.7222, 0.7500, 0.7500, 1.0278, // PQRSTUVW
	0.7500, 0.7500, 0.6111, 0.2778, 0.5000, 0.2778, 0.5555, 0.7500, // XYZ[\]^_
	0.2778, 0.5000, 0.5555, 0.4445, 0.5555, 0.4445, 0.3055, 0.5000, // `abcdefg
	0.5555, 0.2778, 0.3055, 0.5278, 0.2778, 0.8333, 0.5555, 0.5000, // hijklmno
	0.5555, 0.5278, 0.3917, 0.3945, 0.3889, 0.5555, 0.5278, 0.7222, // pqrstuvw
	0.5278, 0.5278, 0.4445, 0.5000, 0.2778, 0.5000, 0.5555, //         xyz{|}~
}

// symbolWidths are the widths, in ems, of the non-ASCII characters the
// LaTeX output knows (EscapeLaTeX and paper.tex's \newunicodechar list):
// math symbols from cmsy10/cmmi10, superscripts at 70%.
var symbolWidths = map[rune]float64{
	'±': 0.7778, '×': 0.7778, '≤': 0.7778, '≥': 0.7778, '≈': 0.7778,
	'∞': 1.0, '∇': 0.8333, '√': 0.8333, '∂': 0.5687,
	'σ': 0.5715, 'μ': 0.6024, 'θ': 0.4691, 'τ': 0.4367, 'φ': 0.5961,
	'η': 0.4965, 'α': 0.6403, 'β': 0.5659, 'λ': 0.5833, 'Σ': 0.7222,
	'−': 0.3333, '–': 0.5, '—': 1.0, '²': 0.35, '⁴': 0.35, '½': 0.5,
}

// unknownWidth is the width assumed for any other character, in ems: a
// quad, wider than nearly every glyph.
const unknownWidth = 1.0

// textWidthEm estimates the width of s, set as text in Latin Modern Roman,
// in ems.
func textWidthEm(s string) float64 {
	w := 0.0
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		s = s[n:]
		switch {
		case r >= ' ' && r <= '~':
			w += asciiWidths[r-' ']
		case symbolWidths[r] > 0:
			w += symbolWidths[r]
		case r == '\n' || r == '\t':
			w += asciiWidths[0]
		default:
			w += unknownWidth
		}
	}
	return w
}
