package figure

import (
	"strings"
	"testing"
)

func TestModelFigure(t *testing.T) {
	src := "experiment,estimator,seed,step,evals,metric,value\n" +
		"e,a,0,0,0,elbo,-10\ne,a,1,0,0,elbo,-12\ne,a,0,10,100,elbo,-5\ne,a,1,10,120,elbo,-7\n" +
		"e,a,0,10,100,var_mu,0\ne,a,0,0,0,var_mu,4\n"
	ms, err := ReadModelMetrics(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ModelFigure("x", "t", ms, []MetricPanel{{Metric: "elbo", ByEvals: true}, {Metric: "var_mu", LogY: true}})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Panels[0].Series[0]
	if len(s.X) != 2 || s.X[1] != 110 || s.Y[1] != -6 || s.Lo[1] != -7 || s.Hi[1] != -5 {
		t.Fatalf("series %+v", s)
	}
	if v := f.Panels[1].Series[0]; len(v.X) != 1 || !strings.Contains(f.Caption, "left out") {
		t.Fatalf("log panel %+v, caption %q", v, f.Caption)
	}
	if _, err := ModelFigure("x", "t", ms, []MetricPanel{{Metric: "nope"}}); err == nil {
		t.Fatal("missing metric accepted")
	}
	if _, err := ReadModelMetrics(strings.NewReader("a,b\n")); err == nil {
		t.Fatal("bad header accepted")
	}
}
