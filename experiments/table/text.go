package table

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// MaxWrapLines is the most lines WriteText lets a wrapped row grow to;
// a table that would need more is written in the vertical layout instead.
const MaxWrapLines = 4

// TextWidth returns the width of t's text rendering at its natural width
// (Write with Text), in terminal columns: every column as wide as its
// widest cell line, one space of padding on each side and a border between
// and around the columns. The caption is not counted.
func (t *Table) TextWidth() int {
	w := len(t.Header) + 1
	for _, c := range columnWidths(t.Header, t.Rows) {
		w += c + 2
	}
	return w
}

// WriteText renders t as terminal text no wider than width columns (as
// tablewriter counts them; width ≤ 0: no limit). A table that fits is
// written as Write(w, Text) writes it. Otherwise its cells are wrapped at
// spaces, each column given at least its longest word and the rest of the
// width where it saves the most lines; if that cannot fit, or would make a
// row taller than MaxWrapLines lines, the table is written vertically: one block per
// row, one "header  value" line per cell, values wrapped, blocks separated
// by blank lines. The caption is wrapped too. Words wider than the width
// are broken, so lines exceed width only when it is narrower than the
// longest header plus 12.
func (t *Table) WriteText(w io.Writer, width int) error {
	if width <= 0 || t.TextWidth() <= width {
		return t.writeTablewriter(w, Text, t.Rows, t.Header)
	}
	if header, rows, ok := t.wrapped(width); ok {
		c := *t
		c.Caption = strings.Join(wrapCell(t.Caption, width), "\n")
		return c.writeTablewriter(w, Text, rows, header)
	}
	return t.writeVertical(w, width)
}

// wrapped returns t's header and rows with their cells wrapped to fit
// width, or false if they cannot fit in at most MaxWrapLines lines a row.
func (t *Table) wrapped(width int) (header []string, rows [][]string, ok bool) {
	n := len(t.Header)
	avail := width - (n + 1) - 2*n
	maxW := columnWidths(t.Header, t.Rows)
	minW := make([]int, n)
	for _, r := range append([][]string{t.Header}, t.Rows...) {
		for i, c := range r {
			if i < n {
				for _, word := range strings.Fields(c) {
					minW[i] = max(minW[i], twwidth.Width(word))
				}
			}
		}
	}
	sumMin, sumMax := 0, 0
	for i := range n {
		sumMin += minW[i]
		sumMax += maxW[i]
	}
	if sumMin > avail || sumMax <= sumMin {
		return nil, nil, false
	}
	// Start every column at its minimum and widen, one step at a time, the
	// column whose widening saves the most lines per character (to the
	// next width at which it saves any); then share what is left in
	// proportion to how far each column is below its natural width.
	cols := slices.Clone(minW)
	all := append([][]string{t.Header}, t.Rows...)
	height := func(cols []int) int {
		h := 0
		for _, r := range all {
			rh := 1
			for i, c := range r {
				if i < n {
					rh = max(rh, len(wrapCell(c, cols[i])))
				}
			}
			h += rh
		}
		return h
	}
	slack := avail - sumMin
	cur := height(cols)
	for slack > 0 {
		best, bestD, bestGain := -1, 0, 0.0
		for i := range n {
			for d := 1; d <= slack && cols[i]+d <= maxW[i]; d++ {
				cols[i] += d
				h := height(cols)
				cols[i] -= d
				if h < cur {
					if g := float64(cur-h) / float64(d); g > bestGain {
						best, bestD, bestGain = i, d, g
					}
					break
				}
			}
		}
		if best < 0 {
			break
		}
		cols[best] += bestD
		slack -= bestD
		cur = height(cols)
	}
	for slack > 0 {
		best := -1
		for i := range n {
			if cols[i] < maxW[i] && (best < 0 || maxW[i]-cols[i] > maxW[best]-cols[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		cols[best]++
		slack--
	}
	wrapRow := func(r []string) ([]string, bool) {
		out := make([]string, len(r))
		for i, c := range r {
			cw := avail
			if i < n {
				cw = cols[i]
			}
			lines := wrapCell(c, cw)
			if len(lines) > MaxWrapLines {
				return nil, false
			}
			out[i] = strings.Join(lines, "\n")
		}
		return out, true
	}
	if header, ok = wrapRow(t.Header); !ok {
		return nil, nil, false
	}
	for _, r := range t.Rows {
		wr, ok := wrapRow(r)
		if !ok {
			return nil, nil, false
		}
		rows = append(rows, wr)
	}
	return header, rows, true
}

// writeVertical writes t one row per block: a line per cell, the header
// padded to the longest, then the value wrapped to the rest of width.
func (t *Table) writeVertical(w io.Writer, width int) error {
	var b strings.Builder
	if t.Caption != "" {
		for _, l := range wrapCell(t.Caption, width) {
			b.WriteString(l + "\n")
		}
	}
	label := 0
	for _, h := range t.Header {
		label = max(label, twwidth.Width(h))
	}
	vw := max(width-label-2, 10)
	for k, r := range t.Rows {
		if k > 0 || t.Caption != "" {
			b.WriteString("\n")
		}
		for i, h := range t.Header {
			v := ""
			if i < len(r) {
				v = r[i]
			}
			lines := wrapCell(v, vw)
			if len(lines) == 0 {
				lines = []string{""}
			}
			for j, l := range lines {
				lab := ""
				if j == 0 {
					lab = h
				}
				line := lab + strings.Repeat(" ", label-twwidth.Width(lab)+2) + l
				b.WriteString(strings.TrimRight(line, " ") + "\n")
			}
		}
	}
	_, err := fmt.Fprint(w, b.String())
	return err
}

// columnWidths returns the display width of the widest line of each
// column's cells, the header included.
func columnWidths(header []string, rows [][]string) []int {
	w := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			if i >= len(w) {
				break
			}
			for _, l := range strings.Split(c, "\n") {
				w[i] = max(w[i], twwidth.Width(l))
			}
		}
	}
	return w
}

// wrapCell breaks s into lines of at most width display columns, at
// spaces where it can and inside words wider than width; the line breaks
// already in s are kept. An empty s gives no lines.
func wrapCell(s string, width int) []string {
	if s == "" {
		return nil
	}
	width = max(width, 1)
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line, lw := "", 0
		flush := func() {
			lines = append(lines, line)
			line, lw = "", 0
		}
		words := strings.Fields(para)
		if len(words) == 0 {
			flush()
		}
		for _, word := range words {
			ww := twwidth.Width(word)
			switch {
			case lw > 0 && lw+1+ww <= width:
				line += " " + word
				lw += 1 + ww
				continue
			case lw > 0:
				flush()
			}
			for ww > width { // break a word wider than the line
				head, hw := "", 0
				for _, r := range word {
					rw := twwidth.Width(string(r))
					if hw+rw > width && hw > 0 {
						break
					}
					head += string(r)
					hw += rw
				}
				lines = append(lines, head)
				word = word[len(head):]
				ww = twwidth.Width(word)
			}
			line, lw = word, ww
		}
		if lw > 0 {
			flush()
		}
	}
	return lines
}
