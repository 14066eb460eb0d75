package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestListEstimator: list -estimator NAME shows the estimator's summary,
// needs by the capability table's names, cost, optional paths and every
// option with its default; an unknown name is a usage error that names the
// known ones.
func TestListEstimator(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runList(&out, &errOut, []string{"-estimator", "delta", "-width", "0"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Estimator delta", "Taylor control variate", "grad f, hessian f, moments", "1 f",
		"batched replications (Replicate)", "restrictions beyond its needs (Supports)",
		"base", "score", "decay", "hessian", "diagonal", "coeff_samples",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list -estimator delta: no %q in\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runList(&out, &errOut, []string{"-estimator", "relax", "-format", "csv"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hidden,int,16", "activation,string,tanh", "tau,float,0.5"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list -estimator relax -format csv: no %q in\n%s", want, out.String())
		}
	}
	err := runList(&out, &errOut, []string{"-estimator", "no-such"})
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "disarm") {
		t.Errorf("list -estimator no-such: %v, want a usage error naming the known estimators", err)
	}
}
