package estimators_test

import (
	"testing"

	"github.com/gradbench/gradbench/estimators/estimatortest"
)

// TestConformance runs the conformance kit on every registered estimator
// with its default options: registering an estimator is enough to have it
// checked here.
func TestConformance(t *testing.T) {
	estimatortest.CheckAll(t)
}

// TestConformanceOptions runs the kit on the non-default variants of the
// built-in estimators.
func TestConformanceOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]string
	}{
		{"delta", map[string]string{"base": "pathwise"}},
		{"delta", map[string]string{"hessian": "full", "coeff_samples": "25"}},
		{"delta", map[string]string{"base": "pathwise", "hessian": "full", "coeff_samples": "25"}},
		{"mvd", map[string]string{"coupled": "false"}},
		{"mvd", map[string]string{"fallback": "score"}},
		{"mvd", map[string]string{"fallback": "score", "coupled": "false"}},
		{"score+ma", map[string]string{"decay": "0"}},
		{"score+optimal", map[string]string{"decay": "0.5"}},
		{"score+const", map[string]string{"b": "3"}},
		{"rebar", map[string]string{"lr": "0"}}, // stateless: not Stateful
		{"relax", map[string]string{"hidden": "2", "tune_tau": "false"}},
		{"pathwise", map[string]string{"sampling": "antithetic"}},
		{"pathwise", map[string]string{"sampling": "rqmc"}},
		{"score", map[string]string{"sampling": "antithetic"}},
		{"score", map[string]string{"sampling": "rqmc"}},
	} {
		t.Run(c.name+"/"+optString(c.opts), func(t *testing.T) {
			estimatortest.CheckOptions(t, c.name, c.opts)
		})
	}
}

func optString(opts map[string]string) string {
	s := ""
	for k, v := range opts {
		s += k + "=" + v
	}
	return s
}
