package estimators

import (
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// IndeCateR is the independent-categorical REINFORCE estimator of De Smet,
// Sansone and Zuidberg Dos Martires (2023, "Differentiable sampling of
// categorical distributions using the CatLog-derivative trick") for a
// dist.Factorized family, D independent blocks with P(x_d = k) = π_d(k) =
// softmax(ℓ_d)_k:
//
//	∇θ E[f] ≈ (1/n) Σ_i Σ_d Σ_k ∇θ π_d(k) f(x_i with x_d = k),
//
// with ∇_{ℓ_d} π_d(k) = π_d(k)(e_k − π_d). Block d's term is REINFORCE's
// ∇ log π_d(x_d) f(x) with x_d summed out exactly given the other blocks
// x_−d (the CatLog trick), so it is unbiased and, at equal samples of
// x_−d, never has a larger variance than REINFORCE in a parameter that
// belongs to one block (Rao-Blackwell; for a parameter shared by blocks,
// as in tied Bernoullis, the terms are conditioned on different blocks
// and no ordering is guaranteed). If f is a sum of functions of single
// blocks, the estimate is the exact gradient. It is written as
// π_d ⊙ (F_d − π_d·F_d) with F_d(k) = f(x_i with x_d = k), the same vector
// since Σ_k ∇π_d(k) = 0.
//
// Each sample costs 1 + Σ_d (K_d − 1) evaluations of f: the value at the
// sampled class of each block is f(x_i), evaluated once. This is a
// deviation from the reference implementation (ML-KULeuven/catlog,
// synthetic/jointcategorical.py), which evaluates all D·K substitutions;
// the estimates are the same.
type IndeCateR struct {
	x, pi, fk, v []float64
}

// Info describes the estimator.
func (*IndeCateR) Info() Info {
	return Info{
		Name:     "indecater",
		Summary:  "IndeCateR (De Smet et al. 2023): REINFORCE with each block's class summed out given the others (factorized family)",
		Unbiased: true,
		Needs:    NeedsFactorized,
		Cost:     "1 + Σ_d (K_d − 1) f",
	}
}

// Estimate writes the n-sample estimate into grad.
func (e *IndeCateR) Estimate(grad []float64, p dist.Distribution, f objective.Objective, n int, rng *rand.Rand) (Cost, error) {
	if err := Supports(e, p, f, n); err != nil {
		return Cost{}, err
	}
	checkGrad(grad, p)
	fp := p.(dist.Factorized)
	D := fp.Blocks()
	total := 0
	for d := range D {
		total += fp.Classes(d)
	}
	// The blocks' probabilities, block after block.
	e.pi = grow(e.pi, total)
	off := 0
	maxK := 0
	for d := range D {
		k := fp.Classes(d)
		maxK = max(maxK, k)
		pi := e.pi[off : off+k]
		fp.BlockLogits(pi, d)
		softmaxInPlace(pi)
		off += k
	}
	e.x = grow(e.x, p.Dim())
	e.fk, e.v = grow(e.fk, maxK), grow(e.v, maxK)
	zero(grad)
	inv := 1 / float64(n)
	evals := 0
	for range n {
		p.Rand(e.x, rng)
		f0 := f.Value(e.x)
		evals++
		off := 0
		for d := range D {
			k := fp.Classes(d)
			pi, fk, v := e.pi[off:off+k], e.fk[:k], e.v[:k]
			off += k
			c := fp.Class(e.x, d)
			for j := range k {
				if j == c {
					fk[j] = f0
					continue
				}
				fp.SetClass(e.x, d, j)
				fk[j] = f.Value(e.x)
				evals++
			}
			fp.SetClass(e.x, d, c)
			pf := 0.0
			for j, pj := range pi {
				pf += pj * fk[j]
			}
			for j, pj := range pi {
				v[j] = pj * (fk[j] - pf) * inv
			}
			fp.BlockLogitVJP(grad, d, v)
		}
	}
	return Cost{F: evals}, nil
}

// softmaxInPlace replaces l by softmax(l), subtracting the largest entry
// first.
func softmaxInPlace(l []float64) {
	m := math.Inf(-1)
	for _, v := range l {
		m = max(m, v)
	}
	s := 0.0
	for i, v := range l {
		l[i] = math.Exp(v - m)
		s += l[i]
	}
	for i := range l {
		l[i] /= s
	}
}

func init() {
	Register("indecater", func(*Options) (Estimator, error) { return &IndeCateR{}, nil })
}
