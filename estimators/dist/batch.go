package dist

import "math/rand/v2"

// NoiseN draws len(eps) standard normal values.
func (Normal) NoiseN(eps []float64, rng *rand.Rand) {
	for i := range eps {
		eps[i] = rng.NormFloat64()
	}
}

// TransformN writes x[i] = Mu + Sigma ε[i].
func (n Normal) TransformN(x, eps []float64) {
	x = x[:len(eps)]
	for i, e := range eps {
		x[i] = n.Mu + n.Sigma*e
	}
}

// PathVJPN adds Σ_i v[i] to dst[0] and Σ_i v[i] ε[i] to dst[1].
func (Normal) PathVJPN(dst, eps, v []float64) {
	v = v[:len(eps)]
	g0, g1 := dst[0], dst[1]
	for i, e := range eps {
		g0 += v[i]
		g1 += v[i] * e
	}
	dst[0], dst[1] = g0, g1
}

// PathMeans writes, for every group of n rows, the means of v[i] and of
// v[i] ε[i] (see GroupReparameterized).
func (Normal) PathMeans(dst, eps, v []float64, n int) {
	v = v[:len(eps)]
	inv := 1 / float64(n)
	for r, i := 0, 0; i+n <= len(eps); r, i = r+1, i+n {
		var g0, g1 float64
		for k := i; k < i+n; k++ {
			g0 += v[k]
			g1 += v[k] * eps[k]
		}
		dst[2*r], dst[2*r+1] = g0*inv, g1*inv
	}
}

// ScoreMeans writes, for every group of n rows, the mean of w[i] ∇θ log
// p(x[i]) (see GroupScorer).
func (nm Normal) ScoreMeans(dst, x, w []float64, n int) {
	w = w[:len(x)]
	inv := 1 / float64(n)
	for r, i := 0, 0; i+n <= len(x); r, i = r+1, i+n {
		var g0, g1 float64
		for k := i; k < i+n; k++ {
			z := (x[k] - nm.Mu) / nm.Sigma
			g0 += w[k] * (z / nm.Sigma)
			g1 += w[k] * ((z*z - 1) / nm.Sigma)
		}
		dst[2*r], dst[2*r+1] = g0*inv, g1*inv
	}
}

// RandN draws len(x) samples.
func (n Normal) RandN(x []float64, rng *rand.Rand) {
	for i := range x {
		x[i] = n.Mu + n.Sigma*rng.NormFloat64()
	}
}

// ScoreVJPN adds Σ_i w[i] ∇θ log p(x[i]) to dst.
func (n Normal) ScoreVJPN(dst, x, w []float64) {
	w = w[:len(x)]
	g0, g1 := dst[0], dst[1]
	for i, xi := range x {
		z := (xi - n.Mu) / n.Sigma
		g0 += w[i] * (z / n.Sigma)
		g1 += w[i] * ((z*z - 1) / n.Sigma)
	}
	dst[0], dst[1] = g0, g1
}

// NoiseN draws len(eps) standard normal values (rows of length D).
func (m MVNDiag) NoiseN(eps []float64, rng *rand.Rand) {
	for i := range eps {
		eps[i] = rng.NormFloat64()
	}
}

// TransformN writes x = Mu + Sigma ⊙ ε row by row.
func (m MVNDiag) TransformN(x, eps []float64) {
	D := len(m.Mu)
	checkLen("MVNDiag.TransformN", x, len(eps))
	for r := 0; r+D <= len(eps); r += D {
		m.Transform(x[r:r+D], eps[r:r+D])
	}
}

// PathVJPN adds Σ_i (∂x_i/∂θ)ᵀ v_i to dst, row by row.
func (m MVNDiag) PathVJPN(dst, eps, v []float64) {
	D := len(m.Mu)
	checkLen("MVNDiag.PathVJPN", v, len(eps))
	for r := 0; r+D <= len(eps); r += D {
		m.PathVJP(dst, eps[r:r+D], v[r:r+D])
	}
}

// RandN draws rows x_i ~ N(Mu, diag Sigma²).
func (m MVNDiag) RandN(x []float64, rng *rand.Rand) {
	D := len(m.Mu)
	for r := 0; r+D <= len(x); r += D {
		m.Rand(x[r:r+D], rng)
	}
}

// ScoreVJPN adds Σ_i w[i] ∇θ log p(x_i) to dst, row by row.
func (m MVNDiag) ScoreVJPN(dst, x, w []float64) {
	D := len(m.Mu)
	for i, r := 0, 0; r+D <= len(x); i, r = i+1, r+D {
		wi := w[i]
		for d, mu := range m.Mu {
			s := m.Sigma[d]
			z := (x[r+d] - mu) / s
			dst[d] += wi * (z / s)
			dst[D+d] += wi * ((z*z - 1) / s)
		}
	}
}
