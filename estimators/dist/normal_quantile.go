package dist

import "gonum.org/v1/gonum/stat/distuv"

// Quantile returns the p-quantile of N(Mu, Sigma²). It panics if p is outside
// [0, 1].
func (n Normal) Quantile(p float64) float64 {
	return distuv.Normal{Mu: n.Mu, Sigma: n.Sigma}.Quantile(p)
}

// CDF returns P(x' ≤ x) under N(Mu, Sigma²).
func (n Normal) CDF(x float64) float64 {
	return distuv.Normal{Mu: n.Mu, Sigma: n.Sigma}.CDF(x)
}
