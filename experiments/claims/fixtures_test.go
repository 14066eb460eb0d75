package claims

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gradbench/gradbench/experiments/store"
)

// cell describes a synthetic sweep cell × component.
type cell struct {
	exp, est, dist, obj string
	k                   float64
	param               string
	ref, bias, sd       float64
	reps                int
	evals               float64
	unbiased            bool
	blocks              int // block statistics: B blocks (0: none)
}

// row turns c into a results row with normal data: kurtosis 3, SE =
// sd/√reps, and B blocks whose means are spread symmetrically around the
// mean by one block standard error and whose variances are sd².
func (c cell) row() store.Row {
	r := store.Row{
		Experiment: c.exp, Estimator: c.est, Unbiased: c.unbiased, Distribution: c.dist, Objective: c.obj,
		Obj: []store.KV{{Name: "k", Value: c.k}}, N: 1, Replications: c.reps, Param: c.param,
		Mean: c.ref + c.bias, Reference: c.ref, ReferenceMethod: "closed", Bias: c.bias,
		Variance: c.sd * c.sd, SE: c.sd / math.Sqrt(float64(c.reps)), Kurtosis: 3,
		Evals: c.evals, EvalsF: c.evals,
	}
	r.MSE = r.Bias*r.Bias + r.Variance
	w := 1.96 * math.Sqrt(2/float64(c.reps))
	r.VarianceLo, r.VarianceHi = r.Variance*math.Exp(-w), r.Variance*math.Exp(w)
	r.VarTimesEvals = r.Variance * r.Evals
	if c.blocks > 0 {
		l := float64(c.reps) / float64(c.blocks)
		for i := range c.blocks {
			off := c.sd / math.Sqrt(l)
			if i%2 == 1 {
				off = -off
			}
			if c.blocks%2 == 1 && i == c.blocks-1 {
				off = 0
			}
			r.BlockMeans = append(r.BlockMeans, r.Mean+off)
			r.BlockVariances = append(r.BlockVariances, r.Variance)
		}
	}
	return r
}

func rowsOf(cs ...cell) []store.Row {
	var out []store.Row
	for _, c := range cs {
		out = append(out, c.row())
	}
	return out
}

// normalZ returns the n normal quantiles Φ⁻¹((i + ½)/n) in an interleaved
// order: a typical sample of standardized biases.
func normalZ(n int) []float64 {
	z := make([]float64, n)
	for i := range n {
		z[(i*37)%n] = distuv.UnitNormal.Quantile((float64(i) + 0.5) / float64(n))
	}
	return z
}

// unbiasedRows returns 2·cells pathwise components (mu and sigma) of
// distinct cells with 10⁵ replications each, sd = |ref| = 2, and the
// standardized biases z (len 2·cells); relBias adds that fraction of the
// reference to every bias.
func unbiasedRows(est string, cells int, z []float64, relBias float64) []store.Row {
	var out []store.Row
	for i := range cells {
		for j, param := range []string{"mu", "sigma"} {
			c := cell{exp: "synthetic", est: est, dist: "normal", obj: "quadratic", k: float64(i), param: param,
				ref: 2, sd: 2, reps: 100000, evals: 1, unbiased: true}
			se := c.sd / math.Sqrt(float64(c.reps))
			c.bias = z[2*i+j]*se + relBias*c.ref
			out = append(out, c.row())
		}
	}
	return out
}

// series is one run of one metric in a synthetic metrics.csv: value(step).
type series struct {
	est    string
	seed   int
	metric string
	value  func(step int) float64
}

// metrics evaluates the series at steps 0, every, 2·every, …, last; each
// step costs evalsPerStep[est] evaluations (1 if absent).
func metrics(name string, every, last int, evalsPerStep map[string]float64, ss []series) []store.Metric {
	var out []store.Metric
	for _, s := range ss {
		per := evalsPerStep[s.est]
		if per == 0 {
			per = 1
		}
		for step := 0; step <= last; step += every {
			out = append(out, store.Metric{Experiment: name, Estimator: s.est, Seed: s.seed, Step: step,
				Evals: per * float64(step), Name: s.metric, Value: s.value(step)})
		}
	}
	return out
}

// curve rises from start to end along 1 − exp(−step/scale), shifted by off.
func curve(start, end, scale, off float64) func(int) float64 {
	return func(step int) float64 {
		return start + (end-start)*(1-math.Exp(-float64(step)/scale)) + off
	}
}

// jitter is a fixed per-seed offset, so that the synthetic seeds differ.
func jitter(seed int) float64 { return []float64{0.3, -0.2, 0.1, -0.4, 0.2}[seed%5] }

func gaussianVAE() []store.Metric {
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		j := jitter(seed)
		ss = append(ss,
			series{"pathwise", seed, "test_iw", curve(-540, -115, 300, j)},
			// Barely moves.
			series{"score", seed, "test_iw", curve(-540, -520, 300, j)},
			// Trains, more slowly.
			series{"score+loo", seed, "test_iw", curve(-540, -125, 600, 2*j)},
		)
	}
	return metrics(ClaimsVAEGaussian, 100, 2000, map[string]float64{"pathwise": 100, "score": 100, "score+loo": 100}, ss)
}

// blrMetrics: mvd's ELBO is pathwise's plus mvdOffset; score's variance is
// 200× pathwise's and score+ma's 30×, except at step 2500 where it is
// scoreMALow×.
func blrMetrics(mvdOffset, scoreMALow float64) []store.Metric {
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		j := 0.05 * jitter(seed)
		ss = append(ss,
			series{"pathwise", seed, "elbo", curve(-400, -67.6, 1000, j)},
			series{"mvd", seed, "elbo", curve(-400, -67.6, 1000, mvdOffset-j)},
			series{"pathwise", seed, "elbo_se", func(int) float64 { return 0.05 }},
			series{"mvd", seed, "elbo_se", func(int) float64 { return 0.05 }},
			series{"pathwise", seed, "var_mu", func(step int) float64 { return 1 + float64(step)/1000 }},
			series{"score", seed, "var_mu", func(step int) float64 { return (200 + 10*j) * (1 + float64(step)/1000) }},
			series{"score+ma", seed, "var_mu", func(step int) float64 {
				if step == 2500 {
					return (scoreMALow + j) * (1 + float64(step)/1000)
				}
				return (30 + j) * (1 + float64(step)/1000)
			}},
		)
	}
	return metrics(ClaimsBLR, 250, 5000, nil, ss)
}

// bernoulliVAE: DisARM's final bounds are ARM's plus disarmGain.
func bernoulliVAE(name string, disarmGain float64) []store.Metric {
	var ss []series
	for seed := 1; seed <= 3; seed++ {
		j := jitter(seed)
		for _, e := range []struct {
			est    string
			end, v float64
			noise  float64
		}{
			{"arm", -120, 5, 0},
			{"disarm", -120 + disarmGain, 3, 0.1},
			{"relax", -118, 2, 0},
			{"gumbel-softmax", -130, 0.5, 0},
		} {
			ss = append(ss,
				series{e.est, seed, "train_elbo", curve(-540, e.end, 300, j+e.noise*float64(seed))},
				series{e.est, seed, "test_iw", curve(-540, e.end+2, 300, j+e.noise*float64(seed))},
				series{e.est, seed, "var_enc", func(int) float64 { return e.v }},
			)
		}
	}
	return metrics(name, 100, 1500, nil, ss)
}

// syntheticResults returns the results folders of the golden test, by
// name: cells for (a)–(e), metrics for (f)–(h).
func syntheticResults() (map[string][]store.Row, map[string][]store.Metric) {
	cells := map[string][]store.Row{}
	add := func(cs ...cell) {
		for _, c := range cs {
			cells[c.exp] = append(cells[c.exp], c.row())
		}
	}
	pw := func(exp, dist, obj string, k float64, param string, ref, sd float64, reps int) cell {
		return cell{exp: exp, est: "pathwise", dist: dist, obj: obj, k: k, param: param, ref: ref, sd: sd, reps: reps, evals: 1, unbiased: true, blocks: 5}
	}
	other := func(c cell, est string, sd, evals float64) cell {
		c.est, c.sd, c.evals = est, sd, evals
		return c
	}
	// claims-continuous: unbiased pathwise; the score function needs 5× the
	// samples on the quadratic of both families.
	for _, d := range []string{"normal", "exponential"} {
		for _, k := range []float64{0, 3} {
			p := pw(ClaimsContinuous, d, "quadratic", k, "mu", 2-k, 2, 100000)
			p.bias = 0.5 * p.sd / math.Sqrt(float64(p.reps)) * (1 - k)
			add(p, other(p, "score", 2*math.Sqrt(5), 1))
		}
	}
	// fig2-quadratic: score 5×; score+optimal below pathwise per sample
	// but charged its baseline's evaluations; mvd at 4 evaluations.
	for _, k := range []float64{-1, 1} {
		p := pw("fig2-quadratic", "normal", "quadratic", k, "mu", 2*(1-k), 2, 100000)
		add(p, other(p, "score", 2*math.Sqrt(5), 1), other(p, "score+optimal", 1.5, 1), other(p, "mvd", 1.5, 4))
	}
	// fig3-cos: the score function wins at k = 5.
	for _, k := range []float64{1, 5} {
		p := pw("fig3-cos", "normal", "cos", k, "mu", -0.5/k, 1, 100000)
		sd := 3.0
		if k == 5 {
			sd = 0.3
		}
		add(p, other(p, "score", sd, 1))
	}
	// fig3-gaussian: the ratio is 2.02, too close to 2 to tell on 1000
	// replications, but clearly above 1.
	p := pw("fig3-gaussian", "normal", "gaussian", 1, "mu", -0.2, 1, 1000)
	add(p, other(p, "score", math.Sqrt(2.02), 1))
	// claims-step: pathwise returns 0; the score function is unbiased.
	for _, k := range []float64{0, 1} {
		for _, param := range []string{"mu", "sigma"} {
			ref := 0.242
			if k == 1 && param == "sigma" {
				ref = 0
			}
			p := pw(ClaimsStep, "normal", "step-ae", k, param, ref, 0, 100000)
			p.bias = -ref
			s := other(p, "score", 0.8, 1)
			s.bias = 0.003 * (1 - k)
			add(p, s)
		}
	}
	// discrete: a toy where the unbiased estimators win at equal
	// evaluations, and one with a zero exact gradient (left out).
	for _, k := range []float64{0.49, 0.499} {
		g := 0.25 * (1 - 2*k)
		base := cell{exp: "discrete-toy-variance", dist: "bernoulli", obj: "quadratic", k: k, param: "logit", ref: g, reps: 100000, blocks: 20}
		add(
			cell{est: "score+loo", sd: 0.005, evals: 2, unbiased: true}.on(base),
			cell{est: "arm", sd: 0.002, evals: 4, unbiased: true}.on(base),
			cell{est: "gumbel-softmax", sd: 0.08, bias: -0.0006, evals: 2}.on(base),
		)
		zero := base
		zero.exp, zero.ref = "discrete-bernoulli3", 0
		add(
			cell{est: "score", sd: 0.1, evals: 4, unbiased: true}.on(zero),
			cell{est: "gumbel-softmax", sd: 0.01, bias: 0.01, evals: 4}.on(zero),
		)
	}
	ms := map[string][]store.Metric{
		ClaimsVAEGaussian:     gaussianVAE(),
		ClaimsBLR:             blrMetrics(0, 30),
		ClaimsVAEBernoulli[0]: bernoulliVAE(ClaimsVAEBernoulli[0], 1),
	}
	return cells, ms
}

// on copies the setting of base into the estimator's cell c.
func (c cell) on(base cell) cell {
	est, sd, bias, evals, unb := c.est, c.sd, c.bias, c.evals, c.unbiased
	c = base
	c.est, c.sd, c.bias, c.evals, c.unbiased = est, sd, bias, evals, unb
	return c
}

// writeResults writes the folders under dir.
func writeResults(t *testing.T, dir string, cells map[string][]store.Row, ms map[string][]store.Metric) {
	t.Helper()
	for name, rows := range cells {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := store.SaveCells(d, rows); err != nil {
			t.Fatal(err)
		}
	}
	for name, m := range ms {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := store.SaveMetrics(d, m); err != nil {
			t.Fatal(err)
		}
	}
}

// one runs a single claim's tests as their own Holm family and returns
// the finished claim.
func one(b *builder) *Claim { return decide([]*builder{b}).Claims[0] }

// wantVerdict checks the verdict's word and that its reason contains each
// of want.
func wantVerdict(t *testing.T, c *Claim, word Word, want ...string) {
	t.Helper()
	if c.Verdict.Word != word {
		t.Errorf("%s verdict %q, want %q\nmeasured: %s", c.Label, c.Verdict, word, c.Measured)
	}
	for _, w := range want {
		if !strings.Contains(c.Verdict.Reason, w) {
			t.Errorf("%s verdict %q lacks %q", c.Label, c.Verdict, w)
		}
	}
}

// must fails the test if s lacks any of want.
func must(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}
