package claims

import (
	"fmt"
	"math"
	"strings"

	"github.com/gradbench/gradbench/experiments/report"
	"github.com/gradbench/gradbench/experiments/stats"
)

// Alpha is the family-wise error rate of the claims table: Holm's
// procedure over every test of every claim keeps the probability of any
// false rejection, and so of any false "supported" or "not supported",
// at or below Alpha.
const Alpha = 0.05

// Word is one of the three verdict words.
type Word string

// The verdict words, the only ones a claim's verdict uses.
const (
	// Supported: a test rejected its null hypothesis in the direction of
	// the claim (for an equality, an equivalence test within its stated
	// margin), and no test rejected against it.
	Supported Word = "supported"
	// NotSupported: a test rejected its null hypothesis in the direction
	// against the claim.
	NotSupported Word = "not supported"
	// Inconclusive: no test decided; the verdict's reason says why (too
	// few seeds, no data, a degenerate problem, or a test that did not
	// reject after the Holm correction).
	Inconclusive Word = "inconclusive"
)

// Verdict is a verdict word and, for Inconclusive always and otherwise
// when it adds something, the reason.
type Verdict struct {
	Word   Word
	Reason string
}

// String returns "word" or "word: reason".
func (v Verdict) String() string {
	if v.Reason == "" {
		return string(v.Word)
	}
	return string(v.Word) + ": " + v.Reason
}

// Side says what rejecting a test's null hypothesis means for its claim.
type Side int

// The sides of a test.
const (
	// For: a rejection supports the claim.
	For Side = iota + 1
	// Against: a rejection is evidence against the claim.
	Against
)

// Test is one hypothesis test of the claims table. Every test enters one
// Holm family (Holm sets Adjusted and Rejected).
type Test struct {
	// Claim is the claim's label, e.g. "(a)".
	Claim string
	// Question is what the test decides, e.g. "normal × cos".
	Question string
	// H0 is the null hypothesis.
	H0 string
	// Method names the test and its statistic.
	Method string
	// P is the p-value; NaN is never rejected but counts in the family.
	P float64
	// Side is what a rejection means. A two-sided question (see
	// twoSided) takes the side of the smaller one-sided p-value.
	Side Side

	// Adjusted is the Holm-adjusted p-value.
	Adjusted float64
	// Rejected reports whether Holm rejects H0 at family-wise Alpha.
	Rejected bool
}

// Outcome is the verdict word the test gives on its own: the word of its
// side if it was rejected, Inconclusive otherwise.
func (t *Test) Outcome() Word {
	switch {
	case !t.Rejected:
		return Inconclusive
	case t.Side == For:
		return Supported
	default:
		return NotSupported
	}
}

// decision is the test's outcome as a word: the verdict word if it was
// rejected, "not rejected" otherwise.
func (t *Test) decision() string {
	if t.Rejected {
		return string(t.Outcome())
	}
	return "not rejected"
}

// result describes the test's outcome in a few words: the verdict word if
// it was rejected ("not rejected" otherwise), the p-value and the
// Holm-adjusted p-value.
func (t *Test) result() string {
	return fmt.Sprintf("%s (p %s, Holm %s)", t.decision(), pText(t.P), pText(t.Adjusted))
}

// twoSided returns the p-value and side of a question with three outcomes
// (for, against, undecided) from the one-sided p-values of the evidence for
// and against the claim: twice the smaller one, capped at 1, on the side of
// the smaller. Each side is then tested at half the level Holm gives the
// question, so the question's error rate is at most that level whatever
// the truth.
func twoSided(pFor, pAgainst float64) (float64, Side) {
	switch {
	case math.IsNaN(pFor) && math.IsNaN(pAgainst):
		return math.NaN(), For
	case math.IsNaN(pAgainst) || pFor <= pAgainst:
		return math.Min(1, 2*pFor), For
	default:
		return math.Min(1, 2*pAgainst), Against
	}
}

// holm applies Holm's step-down procedure at Alpha to tests, setting
// Adjusted and Rejected.
func holm(tests []*Test) {
	p := make([]float64, len(tests))
	for i, t := range tests {
		p[i] = t.P
	}
	adj := stats.HolmAdjust(p)
	rej := stats.Holm(p, Alpha)
	for i, t := range tests {
		t.Adjusted, t.Rejected = adj[i], rej[i]
	}
}

// pText formats a p-value: two significant digits, "< 1e-12" below that.
func pText(p float64) string {
	switch {
	case math.IsNaN(p):
		return report.NA
	case p < 1e-12:
		return "< 1e-12"
	}
	return report.Sig(p, 2)
}

// part is one labelled outcome that a claim's verdict combines.
type part struct {
	label  string
	word   Word
	reason string // why, for Inconclusive
}

// every combines the outcomes of a claim that holds only if it holds in
// every part (a claim stated without qualification, over several problems):
// supported if every part is, not supported if any part is not,
// inconclusive otherwise. The reason lists the parts that decided; what is
// the singular noun for a part.
func every(parts []part, what string) Verdict {
	if len(parts) == 0 {
		return Verdict{Inconclusive, "no data"}
	}
	by := map[Word][]string{}
	for _, p := range parts {
		l := p.label
		if p.word == Inconclusive && p.reason != "" {
			l += " (" + p.reason + ")"
		}
		by[p.word] = append(by[p.word], l)
	}
	count := func(w Word) string {
		if len(parts) == 1 {
			return "" // the one part's label says it
		}
		return fmt.Sprintf("%d of %s: ", len(by[w]), countOf(len(parts), what))
	}
	switch {
	case len(by[NotSupported]) > 0:
		r := "not supported in " + count(NotSupported) + strings.Join(by[NotSupported], ", ")
		if n := len(by[Supported]); n > 0 {
			r += fmt.Sprintf("; supported in %d", n)
		}
		if n := len(by[Inconclusive]); n > 0 {
			r += fmt.Sprintf("; inconclusive in %d", n)
		}
		return Verdict{NotSupported, r}
	case len(by[Inconclusive]) > 0:
		r := "inconclusive in " + count(Inconclusive) + strings.Join(by[Inconclusive], ", ")
		if n := len(by[Supported]); n > 0 {
			r += fmt.Sprintf("; supported in %d", n)
		}
		return Verdict{Inconclusive, r}
	}
	switch len(parts) {
	case 1:
		return Verdict{Supported, ""}
	case 2:
		return Verdict{Supported, "in both " + plural(what)}
	}
	return Verdict{Supported, "in all " + countOf(len(parts), what)}
}

// plural returns the plural of a noun: "families", "cells".
func plural(noun string) string {
	if strings.HasSuffix(noun, "y") {
		return strings.TrimSuffix(noun, "y") + "ies"
	}
	return noun + "s"
}

// countOf returns "1 cell" or "n cells".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %s", n, plural(noun))
}
