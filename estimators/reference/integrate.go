package reference

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/integrate/quad"
)

// glOrder is the number of Gauss–Legendre nodes per panel.
const glOrder = 20

// Panel counts of the adaptive rules: refinement starts at minPanels uniform
// panels and doubles up to maxPanels.
const (
	minPanels = 64
	maxPanels = 1 << 16
)

// glX and glW are the Gauss–Legendre nodes and weights on [−1, 1].
var glX, glW = func() ([]float64, []float64) {
	x, w := make([]float64, glOrder), make([]float64, glOrder)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return x, w
}()

// errNoConvergence is returned when doubling the panels up to maxPanels does
// not meet the tolerance.
var errNoConvergence = errors.New("quadrature did not converge")

// integrand writes the values of its components at t into v.
type integrand func(v []float64, t float64)

// panelSum adds to val and abs the Gauss–Legendre sums of h and |h| over the
// panels [edges[i], edges[i+1]]. v is scratch of the components' length.
func panelSum(val, abs, v []float64, h integrand, edges []float64) {
	for i := 1; i < len(edges); i++ {
		a, b := edges[i-1], edges[i]
		half, mid := (b-a)/2, (a+b)/2
		for k, x := range glX {
			w := glW[k] * half
			h(v, mid+half*x)
			for j, y := range v {
				val[j] += w * y
				abs[j] += w * math.Abs(y)
			}
		}
	}
}

// adaptive integrates the k components of h over the panels edges(n),
// doubling n from minPanels until every component changes by at most
// tol·∫|h_j| + atol. It returns the integrals, the integrals of the
// absolute values and the last change (an error estimate). It returns an
// error if a component is not finite or the rule does not converge.
func adaptive(k int, h integrand, edges func(n int) []float64, tol, atol float64) (val, abs, errEst []float64, err error) {
	v := make([]float64, k)
	prev, prevAbs := make([]float64, k), make([]float64, k)
	val, abs, errEst = make([]float64, k), make([]float64, k), make([]float64, k)
	panelSum(prev, prevAbs, v, h, edges(minPanels))
	for n := 2 * minPanels; n <= maxPanels; n *= 2 {
		clear(val)
		clear(abs)
		panelSum(val, abs, v, h, edges(n))
		ok := true
		for j := range val {
			if math.IsNaN(val[j]) || math.IsInf(val[j], 0) {
				return nil, nil, nil, fmt.Errorf("integral of component %d is %v", j, val[j])
			}
			errEst[j] = math.Abs(val[j] - prev[j])
			if errEst[j] > tol*abs[j]+atol {
				ok = false
			}
		}
		if ok {
			return val, abs, errEst, nil
		}
		if n*2 > maxPanels {
			worst, wj := 0.0, 0
			for j := range val {
				if r := errEst[j] / (abs[j] + 1e-300); r > worst {
					worst, wj = r, j
				}
			}
			return nil, nil, nil, fmt.Errorf("%w with %d panels: component %d changed by %.3g of its absolute integral %.6g (tolerance %g)",
				errNoConvergence, maxPanels, wj, worst, abs[wj], tol)
		}
		copy(prev, val)
	}
	panic("unreachable")
}

// uniformEdges returns n uniform panels on [lo, hi] with extra edges at the
// points of breaks that lie strictly inside.
func uniformEdges(lo, hi float64, n int, breaks []float64) []float64 {
	e := make([]float64, 0, n+1+len(breaks))
	for i := 0; i <= n; i++ {
		e = append(e, lo+(hi-lo)*float64(i)/float64(n))
	}
	return addEdges(e, lo, hi, breaks)
}

// addEdges appends the points of extra strictly inside (lo, hi) to e, sorts
// it and removes duplicates.
func addEdges(e []float64, lo, hi float64, extra []float64) []float64 {
	for _, b := range extra {
		if b > lo && b < hi {
			e = append(e, b)
		}
	}
	slices.Sort(e)
	out := e[:1]
	for _, x := range e[1:] {
		if x > out[len(out)-1] {
			out = append(out, x)
		}
	}
	out[len(out)-1] = hi
	return out
}
