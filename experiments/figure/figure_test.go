package figure

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// synthRows returns a k sweep of the quadratic objective under N(1, 1) with
// made-up but plausible variances: pathwise's μ variance is 4/n whatever k,
// the score function's grows like (k−1)⁴, and the coupled measure-valued
// estimator's σ variance is exactly 0 at k = 1 (with a zero lower limit),
// as on the log axis of the paper's Figure 2.
func synthRows(n int) []store.Row {
	var rows []store.Row
	for i := 0; i <= 12; i++ {
		k := -3 + 0.5*float64(i)
		for _, est := range []string{"score", "score+optimal", "pathwise", "mvd", "my-estimator"} {
			for pi, param := range []string{"mu", "sigma"} {
				v := synthVar(est, param, k) / float64(n)
				r := store.Row{
					Experiment: "test", Estimator: est, Distribution: "normal", Objective: "quadratic",
					Dist: []store.KV{{Name: "mu", Value: 1}, {Name: "sigma", Value: 1}},
					Obj:  []store.KV{{Name: "k", Value: k}},
					N:    n, Replications: 1000, Param: param,
					Variance: v, VarianceLo: v * 0.9, VarianceHi: v * 1.12,
					Evals: float64(n), ReferenceMethod: "closed",
				}
				if est == "mvd" && pi == 1 && k == 1 {
					r.VarianceLo = 0
				}
				r.VarTimesEvals = r.Variance * r.Evals
				rows = append(rows, r)
			}
		}
	}
	return rows
}

func synthVar(est, param string, k float64) float64 {
	d := k - 1
	switch est {
	case "score":
		return 2 + 6*d*d + d*d*d*d
	case "score+optimal":
		return 2 + 2*d*d
	case "pathwise":
		if param == "mu" {
			return 4
		}
		return 8 + 4*d*d/4
	case "mvd":
		if param == "sigma" {
			return d * d * 0.8
		}
		return 1 + 0.5*d*d
	}
	return 3 + math.Abs(d)
}

func synthExact(r store.Row) (float64, error) {
	if r.Estimator == "my-estimator" {
		return 0, ErrNoExact
	}
	k, _ := r.Get("obj.k")
	return synthVar(r.Estimator, r.Param, k) / float64(r.N), nil
}

var outDir = os.Getenv("FIGURE_TEST_OUT") // set to keep the test images

func dir(t *testing.T) string {
	if outDir != "" {
		return outDir
	}
	return t.TempDir()
}

func TestLinesRender(t *testing.T) {
	t.Parallel()
	rec := spec.Plot{Recipe: "variance", X: "obj.k", Metric: "variance", LogY: true, Exact: "test"}
	figs, err := Lines("quadratic", synthRows(1), rec, synthExact)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 1 {
		t.Fatalf("got %d figures, want 1", len(figs))
	}
	f := figs[0]
	if len(f.Panels) != 2 || f.Panels[0].Title != "∂/∂μ" || f.Panels[1].YLabel != "Var[∂/∂σ]" {
		t.Fatalf("panels: %+v", f.Panels)
	}
	d := dir(t)
	paths, err := f.Save(d, Formats)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("wrote %v", paths)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || st.Size() < 1000 {
			t.Fatalf("%s: %v, %v", p, st, err)
		}
	}
	data, _ := os.ReadFile(filepath.Join(d, "quadratic.png"))
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Two 4-inch panels plus a legend at 200 dpi.
	if w := img.Bounds().Dx(); w < 1600 {
		t.Errorf("PNG width %d px, want ≥ 1600 (200 dpi)", w)
	}
	// The zero variance of mvd's σ component at k = 1 is marked on the x
	// axis of the σ panel, and its note is that panel's; the exact curve
	// falls to the axis there without a note.
	pn, err := f.PanelNotes()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pn[1], []string{"mvd: 1 point equal to 0, marked on the x axis"}) || len(pn[0]) != 0 {
		t.Errorf("panel notes %q, want the zero in the σ panel only", pn)
	}
	if all, _ := f.AllNotes(); !slices.Contains(all, "∂/∂σ: mvd: 1 point equal to 0, marked on the x axis") {
		t.Errorf("AllNotes %q", all)
	}
	if !strings.Contains(f.caption(mustPrepare(t, f)), zeroCaption()) {
		t.Errorf("caption %q does not explain the zero markers", f.Caption)
	}
}

func mustPrepare(t *testing.T, f *Figure) []prepared {
	t.Helper()
	preps, err := f.prepareAll()
	if err != nil {
		t.Fatal(err)
	}
	return preps
}

func render(t *testing.T, f *Figure, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.WriteTo(&buf, format); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReproducible renders the same figure twice (from fresh Figure values)
// in each format and requires identical bytes.
func TestReproducible(t *testing.T) {
	t.Parallel()
	rec := spec.Plot{X: "obj.k", LogY: true, Exact: "test"}
	for _, format := range Formats {
		var out [2][]byte
		for i := range out {
			figs, err := Lines("q", synthRows(4), rec, synthExact)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = render(t, figs[0], format)
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("%s output differs between two renderings (%d and %d bytes)", format, len(out[0]), len(out[1]))
		}
	}
}

// TestLogAxisNonPositive draws panels whose values are all zero or
// negative, or whose bands reach zero, on log axes: gonum panics on such
// values, so they must be dropped or clipped and reported.
func TestLogAxisNonPositive(t *testing.T) {
	t.Parallel()
	f := &Figure{Name: "zeros", Panels: []Panel{
		{Title: "all zero", LogX: true, LogY: true, Series: []Series{
			{Label: "mvd", X: []float64{0, 1, 10}, Y: []float64{0, 0, -1}, Lo: []float64{0, 0, -2}, Hi: []float64{0, 1, 0}},
		}},
		{Title: "lo zero", LogY: true, Series: []Series{
			{Label: "score", X: []float64{1, 2, 3}, Y: []float64{1, 2, math.NaN()}, Lo: []float64{0, -1, 0}, Hi: []float64{2, 3, 4}},
			{Label: "pathwise", Kind: Curve, X: []float64{1, 2, 3}, Y: []float64{0, 1, math.Inf(1)}},
		}},
		{Title: "empty", LogY: true},
	}}
	for _, format := range Formats {
		if len(render(t, f, format)) == 0 {
			t.Fatalf("%s: empty output", format)
		}
	}
	want := [][]string{
		{"mvd: 2 points non-finite, negative or at x ≤ 0 (log axes) not shown", "mvd: 1 point equal to 0, marked on the x axis"},
		{"score: 1 point non-finite or negative (log axis) not shown", "pathwise: 1 exact-curve point non-finite or negative (log axis) not shown",
			"score: 2 lower confidence limits ≤ 0 clipped to the axis"},
		nil,
	}
	pn, err := f.PanelNotes()
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !slices.Equal(pn[i], want[i]) {
			t.Errorf("panel %d notes:\n%s\nwant\n%s", i, strings.Join(pn[i], "\n"), strings.Join(want[i], "\n"))
		}
	}
}

func TestStyleOf(t *testing.T) {
	t.Parallel()
	seen := map[color.NRGBA]string{}
	for _, name := range []string{"score", "score+ma", "score+loo", "score+optimal", "score+const", "delta", "pathwise", "mvd"} {
		st := StyleOf(name)
		if other, dup := seen[st.Color]; dup {
			t.Errorf("%s and %s share colour %v", name, other, st.Color)
		}
		seen[st.Color] = name
		if st.Dashes != nil {
			t.Errorf("%s: built-in styles are solid", name)
		}
	}
	a, b := StyleOf("my-estimator"), StyleOf("my-estimator")
	if a.Color != b.Color || a.Glyph != b.Glyph || a.Dashes == nil {
		t.Errorf("fallback style not deterministic or not dashed: %+v %+v", a, b)
	}
}

func TestParseFormats(t *testing.T) {
	t.Parallel()
	got, err := ParseFormats("png, svg,png")
	if err != nil || !slices.Equal(got, []string{"png", "svg"}) {
		t.Errorf("ParseFormats = %v, %v", got, err)
	}
	for _, bad := range []string{"", "jpg", "png,gif"} {
		if _, err := ParseFormats(bad); err == nil {
			t.Errorf("ParseFormats(%q): no error", bad)
		}
	}
}

func TestFallbackAvoidsBuiltins(t *testing.T) {
	t.Parallel()
	for _, lab := range []string{"score-copy", "my-estimator", "a", "b", "c", "d", "e", "f", "g", "h", "rebar-2", "relax-nn"} {
		st := StyleOf(lab)
		if builtinPair(st.Fill, st.Glyph) {
			t.Errorf("%s has a built-in colour and marker: %+v", lab, st)
		}
	}
}

func TestLinesSkippedAndFacets(t *testing.T) {
	t.Parallel()
	rows := append(synthRows(1), synthRows(10)...)
	rows = append(rows, store.Row{Experiment: "test", Estimator: "score+loo", Distribution: "normal", Objective: "quadratic",
		Dist: []store.KV{{Name: "mu", Value: 1}, {Name: "sigma", Value: 1}}, Obj: []store.KV{{Name: "k", Value: 0}},
		N: 1, Skipped: "needs n ≥ 2"})
	figs, err := Lines("q", rows, spec.Plot{X: "obj.k", LogY: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 2 || figs[0].Name != "q-n1" || figs[1].Name != "q-n10" {
		t.Fatalf("figures %d: %v", len(figs), figs)
	}
	if !strings.Contains(figs[0].Caption, "score+loo (needs n ≥ 2): 1") {
		t.Errorf("caption %q", figs[0].Caption)
	}
	for _, bad := range []spec.Plot{{X: "obj.k", Metric: "nope"}, {X: "obj.nope"}, {Recipe: "pie", X: "obj.k"}, {X: "obj.k", Metric: "snr", Exact: "x"}} {
		if _, err := Lines("q", rows, bad, nil); err == nil {
			t.Errorf("Lines(%+v): no error", bad)
		}
	}
}

func TestBuiltinStylesDistinct(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for name, st := range builtinStyles {
		key := fmt.Sprintf("%v/%T", st.Color, st.Glyph)
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share colour and marker", name, other)
		}
		seen[key] = name
	}
}
