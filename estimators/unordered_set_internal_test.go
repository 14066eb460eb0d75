package estimators

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/estimators/reference"
)

// setProb returns the probability of drawing the set s (indices into p)
// without replacement from the distribution p restricted to the outcomes
// not in out, renormalised, by summing the Plackett–Luce probabilities of
// every order of s. Each normaliser is summed over the outcomes still
// available (positive terms, no cancellation).
func setProb(p []float64, s []int, out []int) float64 {
	avail := make([]bool, len(p))
	for i := range avail {
		avail[i] = true
	}
	for _, o := range out {
		avail[o] = false
	}
	var rec func(rest []int) float64
	rec = func(rest []int) float64 {
		if len(rest) == 0 {
			return 1
		}
		norm := 0.0
		for i, a := range avail {
			if a {
				norm += p[i]
			}
		}
		t := 0.0
		for i, r := range rest {
			others := make([]int, 0, len(rest)-1)
			others = append(others, rest[:i]...)
			others = append(others, rest[i+1:]...)
			avail[r] = false
			t += p[r] / norm * rec(others)
			avail[r] = true
		}
		return t
	}
	return rec(s)
}

// without returns s without the elements of drop.
func without(s []int, drop ...int) []int {
	var r []int
	for _, v := range s {
		keep := true
		for _, d := range drop {
			keep = keep && v != d
		}
		if keep {
			r = append(r, v)
		}
	}
	return r
}

// TestUnorderedSetRatios compares the quadrature ratios p(s)R(S, s) and
// p(s')R^{D∖s}(S, s') with sums over every order of the set (Plackett–Luce),
// for sets of 1 to 5 outcomes of distributions with probabilities from
// about e⁻²⁴ to 0.9 (remaining masses p(D∖S) down to 10⁻⁶). The check is
// deterministic: relative error ≤ 1e-12.
func TestUnorderedSetRatios(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := NewUnorderedSet(true)
	for trial := range 40 {
		M := 6 + trial%3
		p := make([]float64, M)
		s := 0.0
		for i := range p {
			p[i] = math.Exp(6 * (rng.Float64() - 1) * float64(1+trial%4))
			s += p[i]
		}
		for i := range p {
			p[i] /= s
		}
		k := 1 + trial%5
		S := rng.Perm(M)[:k]
		probs := make([]float64, k)
		rest := 0.0
		for i := range M {
			in := false
			for j, v := range S {
				if v == i {
					probs[j], in = p[i], true
				}
			}
			if !in {
				rest += p[i]
			}
		}
		e.ratios(probs, rest)
		pS := setProb(p, S, nil)
		for a, sa := range S {
			want := p[sa] * setProb(p, without(S, sa), []int{sa}) / pS
			if got := e.w1[a]; math.Abs(got-want) > 1e-12*want {
				t.Errorf("trial %d (k = %d, p(D∖S) = %.3g): w1[%d] = %.15g, want %.15g (rel. error %.2g)", trial, k, rest, a, got, want, (got-want)/want)
			}
			for b, sb := range S {
				if b == a {
					continue
				}
				want := p[sb] * setProb(p, without(S, sa, sb), []int{sa, sb}) / setProb(p, without(S, sa), []int{sa})
				if got := e.w2[a*k+b]; math.Abs(got-want) > 1e-12*want {
					t.Errorf("trial %d (k = %d): w2[%d,%d] = %.15g, want %.15g", trial, k, a, b, got, want)
				}
			}
		}
	}
}

// TestUnorderedSetExactMean averages the estimate over every set S of k
// outcomes of a categorical with 6 classes, weighted by p(S) (summed over
// orders), and compares it with the enumerated gradient: the estimator is
// unbiased up to its quadrature error, with and without the baseline.
// Deterministic: relative error ≤ 1e-10.
func TestUnorderedSetExactMean(t *testing.T) {
	logits := []float64{0.3, -1.2, 2, 0, -0.4, 1}
	c, err := dist.NewCategorical(logits)
	if err != nil {
		t.Fatal(err)
	}
	f, err := objective.NewSquareTable(6, 2.3)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := reference.Gradient(c, f, reference.MethodEnumeration, reference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, 6)
	x := make([]float64, 1)
	for i := range p {
		p[i] = c.Outcome(x, i)
	}
	for _, baseline := range []bool{true, false} {
		e := NewUnorderedSet(baseline)
		for k := 1; k <= 6; k++ {
			if baseline && k < 2 {
				continue
			}
			mean := make([]float64, 6)
			g := make([]float64, 6)
			var subsets func(start int, S []int)
			subsets = func(start int, S []int) {
				if len(S) == k {
					probs := make([]float64, k)
					rest := 1.0
					for j, s := range S {
						probs[j] = p[s]
					}
					if k < 6 {
						rest = 0
						for _, o := range without([]int{0, 1, 2, 3, 4, 5}, S...) {
							rest += p[o]
						}
					} else {
						rest = 0
					}
					e.fromSet(g, c, f, S, probs, rest)
					pS := setProb(p, S, nil)
					for j := range g {
						mean[j] += pS * g[j]
					}
					return
				}
				for i := start; i < 6; i++ {
					subsets(i+1, append(S, i))
				}
			}
			subsets(0, nil)
			for j := range mean {
				if d := math.Abs(mean[j] - ref.Grad[j]); d > 1e-10*math.Max(1, math.Abs(ref.Grad[j])) {
					t.Errorf("baseline %v, k = %d: E[estimate][%d] = %.15g, exact %.15g", baseline, k, j, mean[j], ref.Grad[j])
				}
			}
		}
	}
}
