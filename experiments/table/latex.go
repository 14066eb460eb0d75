package table

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The LaTeX layout. A table that fits the page (Page, DefaultPage) is one
// booktabs tabular in a table float. One that is too wide is made to fit, in
// this order, until it does:
//
//  1. hoisting: the text (left-aligned) columns that hold one value in every
//     row move into the caption ("every row: name = value"), keeping at
//     least one of the leading key columns;
//  2. transposing, when the table has fewer rows than value columns (the
//     value columns become the rows, the rows' key cells the header);
//  3. merging the key columns, when they leave no room for even the widest
//     value column, into one wrapped "setting" column whose cells read
//     "header = value, …" (empty cells left out);
//  4. splitting the value columns into groups of about equal size, each a
//     tabular of its own with the key columns repeated.
//
// The output needs the booktabs, array and longtable packages.
// The key columns are Table.KeyColumns, by default the leading left-aligned
// ones (the first column when every column is left-aligned); the value
// columns are the others. A table
// whose estimated height exceeds longFraction of the text height, or with
// LongTable set, is a longtable (one per group of columns), whose rows break
// across pages under a repeated header. Tables with LaTeXColumns keep their
// columns as given: only the longtable rule applies to them.

// longFraction is the fraction of \textheight above which a table is set as
// a longtable instead of a float.
const longFraction = 0.8

// latexPart is one tabular of a table's LaTeX output.
type latexPart struct {
	header []string
	rows   [][]string
	right  []bool
	spec   string // column specification; computed from right when empty
	// keySpec is the specification of a merged key column (mergeKeys) set
	// as a paragraph; empty otherwise.
	keySpec string
}

func (p *latexPart) colSpec() string {
	if p.spec != "" {
		return p.spec
	}
	b := make([]byte, len(p.header))
	for i := range b {
		b[i] = 'l'
		if i < len(p.right) && p.right[i] {
			b[i] = 'r'
		}
	}
	return string(b)
}

// colWidths returns the estimated natural width of each column, in points:
// the widest of its cells, at the page's font size.
func (p *latexPart) colWidths(pg Page) []float64 {
	w := make([]float64, len(p.header))
	for _, r := range append([][]string{p.header}, p.rows...) {
		for i, c := range r {
			if i < len(w) {
				w[i] = math.Max(w[i], textWidthEm(c)*pg.FontSize)
			}
		}
	}
	return w
}

// width returns the estimated width of the tabular, in points.
func (p *latexPart) width(pg Page) float64 {
	w := 0.0
	for _, c := range p.colWidths(pg) {
		w += c + 2*tabcolsep
	}
	return w
}

// height returns the estimated height of the tabular, in points: a
// baseline per line of the header and rows (cells of fixed-width p columns
// wrap), and the three booktabs rules.
func (p *latexPart) height(pg Page) float64 {
	fixed := fixedWidths(p.spec, pg)
	lines := 0
	for _, r := range append([][]string{p.header}, p.rows...) {
		h := 1
		for i, c := range r {
			if i < len(fixed) && fixed[i] > 0 {
				// Ragged wrapping at word boundaries wastes about a tenth
				// of each line.
				h = max(h, int(math.Ceil(1.1*textWidthEm(c)*pg.FontSize/fixed[i])))
			}
		}
		lines += h
	}
	return float64(lines)*1.2*pg.FontSize + 3*0.5*pg.FontSize
}

// fixedWidths parses a tabular column specification and returns, per
// column, its width in points on pg for p, m and b columns and 0 for the
// others (l, c, r, X, …). It returns nil for a specification it does not
// follow.
func fixedWidths(spec string, pg Page) []float64 {
	if spec == "" {
		return nil
	}
	var w []float64
	for i := 0; i < len(spec); i++ {
		switch c := spec[i]; c {
		case ' ', '|':
		case '>', '<', '@', '!':
			if _, n := braced(spec[i+1:]); n > 0 {
				i += n
			} else {
				return nil
			}
		case 'p', 'm', 'b':
			arg, n := braced(spec[i+1:])
			if n == 0 {
				return nil
			}
			w = append(w, parseLength(arg, pg))
			i += n
		default:
			if c < 'A' || c > 'z' {
				return nil
			}
			w = append(w, 0)
		}
	}
	return w
}

// braced returns the content of the brace group s starts with (nested
// braces allowed) and the number of bytes it spans, or 0.
func braced(s string) (string, int) {
	if len(s) == 0 || s[0] != '{' {
		return "", 0
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[1:i], i + 1
			}
		}
	}
	return "", 0
}

// parseLength converts a TeX length such as "3.2cm" or "0.3\linewidth" to
// points on pg; 0 for lengths it does not know.
func parseLength(s string, pg Page) float64 {
	units := map[string]float64{"pt": 1, "cm": 72.27 / 2.54, "mm": 72.27 / 25.4, "in": 72.27, "bp": 72.27 / 72, "em": pg.FontSize,
		`\linewidth`: pg.TextWidth, `\textwidth`: pg.TextWidth, `\columnwidth`: pg.TextWidth}
	s = strings.TrimSpace(s)
	for u, f := range units {
		if v, ok := strings.CutSuffix(s, u); ok {
			if v = strings.TrimSpace(v); v == "" {
				return f
			}
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				return x * f
			}
		}
	}
	return 0
}

// latexLayout decides how t is set on pg: its caption (with any hoisted
// constants), its tabulars, and whether they are longtables.
func (t *Table) latexLayout(pg Page) (caption string, parts []latexPart, long bool) {
	caption = t.Caption
	full := latexPart{header: t.Header, rows: t.Rows, right: t.RightAlign, spec: t.LaTeXColumns}
	parts = []latexPart{full}
	if t.LaTeXColumns == "" && full.width(pg) > pg.TextWidth && len(t.Header) > 1 {
		caption, parts = t.fit(pg)
	}
	h := 0.0
	for _, p := range parts {
		h += p.height(pg) + pg.FontSize
	}
	if caption != "" {
		h += math.Ceil(textWidthEm(caption)*pg.FontSize/pg.TextWidth)*1.2*pg.FontSize + pg.FontSize
	}
	return caption, parts, t.LongTable || h > longFraction*pg.TextHeight
}

// fit makes a table that is too wide for pg fit it: see the layout rules
// above.
func (t *Table) fit(pg Page) (string, []latexPart) {
	n := len(t.Header)
	right := func(i int) bool { return i < len(t.RightAlign) && t.RightAlign[i] }
	nkey := t.KeyColumns
	if nkey <= 0 || nkey >= n {
		nkey = 0
		for nkey < n && !right(nkey) {
			nkey++
		}
		if nkey == n || nkey == 0 {
			nkey = 1
		}
	}

	// 1. Hoist constant text columns into the caption.
	var keep, keys []int
	var consts []string
	for i := range n {
		v, constant := t.constant(i)
		isKey := i < nkey
		lastKey := i == nkey-1 && len(keys) == 0
		if right(i) || !constant || len(t.Rows) < 2 || lastKey {
			keep = append(keep, i)
			if isKey {
				keys = append(keys, len(keep)-1)
			}
			continue
		}
		if v != "" {
			consts = append(consts, t.Header[i]+" = "+v)
		}
	}
	caption := t.Caption
	if len(consts) > 0 {
		if caption != "" {
			caption += "; "
		}
		caption += "every row: " + strings.Join(consts, ", ")
	}
	reduced := t.project(keep)
	nk := len(keys) // the key columns lead: keys = 0..nk-1
	values := len(keep) - nk
	if values == 0 || reduced.width(pg) <= pg.TextWidth {
		return caption, []latexPart{reduced}
	}

	// 2. Transpose a table with fewer rows than value columns.
	if len(t.Rows) < values {
		tr := transpose(reduced, nk)
		if tr.width(pg) <= pg.TextWidth {
			return caption, []latexPart{tr}
		}
	}

	ws := reduced.colWidths(pg)
	keyW, valuesW, widest := 0.0, 0.0, 0.0
	for i, w := range ws {
		if i < nk {
			keyW += w + 2*tabcolsep
		} else {
			valuesW += w + 2*tabcolsep
			widest = max(widest, w+2*tabcolsep)
		}
	}

	// 3. Merge key columns that leave no room for a value column.
	if nk > 1 && keyW+widest > pg.TextWidth {
		reduced, keyW = mergeKeys(reduced, nk, pg, valuesW)
		nk = 1
		ws = append([]float64{keyW - 2*tabcolsep}, ws[len(keys):]...)
	}

	// 4. Split the value columns into groups.
	fits := func(from, to int) bool { // value columns [from, to)
		w := keyW
		for i := nk + from; i < nk+to; i++ {
			w += ws[i] + 2*tabcolsep
		}
		return w <= pg.TextWidth
	}
	// The fewest groups a greedy split needs, then groups of equal count if
	// they fit, else the greedy split.
	var greedy [][2]int
	for from := 0; from < values; {
		to := from + 1
		for to < values && fits(from, to+1) {
			to++
		}
		greedy = append(greedy, [2]int{from, to})
		from = to
	}
	groups := greedy
	g := len(greedy)
	even := make([][2]int, 0, g)
	ok := true
	for k := range g {
		from, to := k*values/g, (k+1)*values/g
		ok = ok && fits(from, to)
		even = append(even, [2]int{from, to})
	}
	if ok {
		groups = even
	}
	parts := make([]latexPart, 0, len(groups))
	for _, gr := range groups {
		cols := make([]int, 0, nk+gr[1]-gr[0])
		for i := range nk {
			cols = append(cols, i)
		}
		for i := nk + gr[0]; i < nk+gr[1]; i++ {
			cols = append(cols, i)
		}
		part := reduced.project(cols)
		if reduced.spec != "" { // a merged key column keeps its width
			part.spec = reduced.keySpec + part.colSpec()[1:]
		}
		parts = append(parts, part)
	}
	return caption, parts
}

// mergeKeys replaces the nk key columns of p by one "setting" column whose
// cells join the non-empty key cells as "header = value". The column is as
// wide as its longest cell if the value columns (valuesW wide in all) leave
// room for it, else a ragged-right paragraph column of the room left, but
// at least 40% of the text width. It returns the new part and the width of
// the setting column, tabcolsep included.
func mergeKeys(p latexPart, nk int, pg Page, valuesW float64) (latexPart, float64) {
	m := latexPart{header: append([]string{"setting"}, p.header[nk:]...), right: append([]bool{false}, p.right[nk:]...)}
	natural := textWidthEm(m.header[0]) * pg.FontSize
	for _, r := range p.rows {
		var kv []string
		for i := range nk {
			if r[i] != "" {
				kv = append(kv, p.header[i]+" = "+r[i])
			}
		}
		cell := strings.Join(kv, ", ")
		natural = max(natural, textWidthEm(cell)*pg.FontSize)
		m.rows = append(m.rows, append([]string{cell}, r[nk:]...))
	}
	if natural+2*tabcolsep+valuesW <= pg.TextWidth {
		return m, natural + 2*tabcolsep
	}
	w := max(pg.TextWidth-valuesW-2*tabcolsep, 0.4*pg.TextWidth)
	w = math.Floor(min(w, natural))
	m.keySpec = fmt.Sprintf(">{\\raggedright\\arraybackslash}p{%gpt}", w)
	m.spec = m.keySpec + m.colSpec()[1:]
	return m, w + 2*tabcolsep
}

// constant reports whether column i holds the same value in every row, and
// that value.
func (t *Table) constant(i int) (string, bool) {
	cell := func(r []string) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	if len(t.Rows) == 0 {
		return "", false
	}
	v := cell(t.Rows[0])
	for _, r := range t.Rows[1:] {
		if cell(r) != v {
			return "", false
		}
	}
	return v, true
}

// project returns the columns cols of t, in that order.
func (t *Table) project(cols []int) latexPart {
	p := latexPart{header: make([]string, len(cols)), right: make([]bool, len(cols))}
	for j, i := range cols {
		p.header[j] = t.Header[i]
		p.right[j] = i < len(t.RightAlign) && t.RightAlign[i]
	}
	for _, r := range t.Rows {
		row := make([]string, len(cols))
		for j, i := range cols {
			if i < len(r) {
				row[j] = r[i]
			}
		}
		p.rows = append(p.rows, row)
	}
	return p
}

// project returns the columns cols of p, in that order.
func (p latexPart) project(cols []int) latexPart {
	t := Table{Header: p.header, Rows: p.rows, RightAlign: p.right}
	return t.project(cols)
}

// transpose turns p's value columns (those after the nk key columns) into
// rows: the header is the key headers, then each row's key cells, joined by
// ", "; each row is a value column's header, then its cells.
func transpose(p latexPart, nk int) latexPart {
	join := func(r []string) string { return strings.Join(r[:nk], ", ") }
	allRight := true
	for _, r := range p.right[nk:] {
		allRight = allRight && r
	}
	tr := latexPart{header: []string{join(p.header)}, right: []bool{false}}
	for _, r := range p.rows {
		tr.header = append(tr.header, join(r))
		tr.right = append(tr.right, allRight)
	}
	for j := nk; j < len(p.header); j++ {
		row := []string{p.header[j]}
		for _, r := range p.rows {
			row = append(row, r[j])
		}
		tr.rows = append(tr.rows, row)
	}
	return tr
}

func (t *Table) writeLaTeX(w io.Writer) error {
	pg := DefaultPage
	if t.Page != nil {
		pg = *t.Page
	}
	caption, parts, long := t.latexLayout(pg)
	var b strings.Builder
	row := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString(" & ")
			}
			b.WriteString(EscapeLaTeX(c))
		}
		b.WriteString(" \\\\\n")
	}
	if long {
		// One longtable per group of columns; the first carries the
		// caption and label, the others and every page after the first
		// say what they continue.
		b.WriteString("\\begingroup\n\\small\n")
		for k, p := range parts {
			if k == 1 {
				// The later parts continue the first's table: keep
				// longtable from stepping the table counter (and
				// hyperref from anchoring it again), within this group.
				b.WriteString("\\expandafter\\let\\expandafter\\refstepcounter\\csname @gobble\\endcsname\n")
			}
			if k > 0 {
				b.WriteString("\\medskip\n")
			}
			fmt.Fprintf(&b, "\\begin{longtable}{%s}\n", p.colSpec())
			switch {
			case k == 0 && caption != "":
				fmt.Fprintf(&b, "\\caption{%s}", EscapeLaTeX(caption))
				if t.LaTeXLabel != "" {
					fmt.Fprintf(&b, "\\label{%s}", t.LaTeXLabel)
				}
				b.WriteString("\\\\\n")
			case k > 0:
				fmt.Fprintf(&b, "\\caption*{\\tablename~\\thetable, continued}\\\\\n")
			}
			b.WriteString("\\toprule\n")
			row(p.header)
			b.WriteString("\\midrule\n\\endfirsthead\n")
			fmt.Fprintf(&b, "\\multicolumn{%d}{l}{\\emph{\\tablename~\\thetable, continued}}\\\\\n\\toprule\n", len(p.header))
			row(p.header)
			b.WriteString("\\midrule\n\\endhead\n\\bottomrule\n\\endfoot\n")
			for _, r := range p.rows {
				row(r)
			}
			b.WriteString("\\end{longtable}\n")
		}
		b.WriteString("\\endgroup\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("\\begin{table}[htbp]\n\\centering\n\\small\n")
	if caption != "" {
		fmt.Fprintf(&b, "\\caption{%s}\n", EscapeLaTeX(caption))
	}
	if t.LaTeXLabel != "" {
		fmt.Fprintf(&b, "\\label{%s}\n", t.LaTeXLabel)
	}
	for k, p := range parts {
		if k > 0 {
			b.WriteString("\\par\\medskip\n")
		}
		fmt.Fprintf(&b, "\\begin{tabular}{%s}\n\\toprule\n", p.colSpec())
		row(p.header)
		b.WriteString("\\midrule\n")
		for _, r := range p.rows {
			row(r)
		}
		b.WriteString("\\bottomrule\n\\end{tabular}\n")
	}
	b.WriteString("\\end{table}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
