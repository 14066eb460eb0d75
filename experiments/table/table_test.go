package table

import (
	"bytes"
	"strings"
	"testing"
)

func sample() *Table {
	t := &Table{Caption: "var_x ± 5%", Header: []string{"name", "value"}, RightAlign: []bool{false, true}}
	t.Append("a_b & c", "1.5 ± 0.2")
	t.Append("σ²", "x,y")
	return t
}

func TestWriteFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    Format
		want []string
	}{
		{Text, []string{"var_x ± 5%", "a_b & c", "1.5 ± 0.2"}},
		{Markdown, []string{"**var_x ± 5%**", "| a_b & c |", "|:-----", "------:|"}},
		{LaTeX, []string{`\caption{var\_x $\pm$ 5\%}`, `\begin{tabular}{lr}`, `\toprule`, `a\_b \& c & 1.5 $\pm$ 0.2 \\`, `$\sigma$$^2$`, `\bottomrule`}},
		{CSV, []string{"name,value\n", "a_b & c,1.5 ± 0.2\n", `σ²,"x,y"`}},
	} {
		var buf bytes.Buffer
		if err := sample().Write(&buf, tc.f); err != nil {
			t.Fatalf("%s: %v", tc.f, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s output lacks %q:\n%s", tc.f, w, buf.String())
			}
		}
	}
	if err := sample().Write(&bytes.Buffer{}, "html"); err == nil {
		t.Error("Write(html): no error")
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, f := range Formats {
		if g, err := ParseFormat(string(f)); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, g, err)
		}
	}
	if _, err := ParseFormat("tex"); err == nil {
		t.Error("ParseFormat(tex): no error")
	}
}
