package objective

import (
	"fmt"
	"math"
)

// Objectives over D one-hot blocks of K classes (x of length D·K, block d
// at x[d·K : (d+1)·K], as dist.OneHotVec writes it) that also take relaxed
// blocks (points of the simplex) and have gradients there.

// OneHotPoly is f(x) = (1/D) Σ_d |x_{d,C} − T|^P with D = len(x)/K: the
// polynomial programming toy of ReinMax (Liu et al. 2023, poly/ in their
// repository: 128 blocks of K = 2 classes, z_d the indicator of class
// C = 0, target T = 0.45, P ∈ {1.5, 2, 3}). Under independent blocks its
// minimum over the block probabilities is T^P for T < ½, with every z_d =
// 0. It is differentiable for P ≥ 1 (at z = T when P = 1, the gradient
// taken is 0).
type OneHotPoly struct {
	K, C int
	T, P float64
}

// Name returns "onehot-poly".
func (OneHotPoly) Name() string { return "onehot-poly" }

// blocks returns D, or −1 if len(x) is not a multiple of K.
func (o OneHotPoly) blocks(x []float64) int {
	if o.K < 1 || len(x)%o.K != 0 {
		return -1
	}
	return len(x) / o.K
}

// Value returns (1/D) Σ_d |x_{d,C} − T|^P, or NaN if len(x) is not a
// multiple of K.
func (o OneHotPoly) Value(x []float64) float64 {
	D := o.blocks(x)
	if D <= 0 {
		return math.NaN()
	}
	s := 0.0
	for d := range D {
		s += math.Pow(math.Abs(x[d*o.K+o.C]-o.T), o.P)
	}
	return s / float64(D)
}

// Grad writes P|e|^{P−1} sign(e)/D, e = x_{d,C} − T, into the C entry of
// every block of dst, 0 elsewhere, and returns f(x).
func (o OneHotPoly) Grad(dst, x []float64) float64 {
	D := o.blocks(x)
	if D <= 0 {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return math.NaN()
	}
	clear(dst)
	s := 0.0
	inv := 1 / float64(D)
	for d := range D {
		e := x[d*o.K+o.C] - o.T
		a := math.Abs(e)
		s += math.Pow(a, o.P)
		g := 0.0
		if a > 0 {
			g = o.P * math.Pow(a, o.P-1) * inv
			if e < 0 {
				g = -g
			}
		}
		dst[d*o.K+o.C] = g
	}
	return s / float64(D)
}

// OneHotAbs is f(x) = Σ_d |Σ_k k·x_{d,k} − b_d| with D = len(x)/K: the
// synthetic problem of IndeCateR (De Smet et al. 2023, E|X − b| for D
// independent categoricals of K classes), with the class index of each
// block read from its one-hot (or relaxed) block. The targets b_d are
// classes drawn uniformly from {0, …, K−1} by a hash of (Seed, d), the
// same for every D (the reference draws b from the distribution itself).
// Its gradient k·sign(Σ_k k x_{d,k} − b_d) is the straight-through
// gradient the reference's Gumbel-Softmax variant uses.
type OneHotAbs struct {
	K    int
	Seed uint64
}

// Name returns "onehot-abs".
func (OneHotAbs) Name() string { return "onehot-abs" }

// Target returns b_d, the target class of block d.
func (o OneHotAbs) Target(d int) int {
	z := o.Seed + 0x9e3779b97f4a7c15*uint64(d+1) // splitmix64
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z % uint64(o.K))
}

// residual returns Σ_k k·x_{d,k} − b_d.
func (o OneHotAbs) residual(x []float64, d int) float64 {
	s := -float64(o.Target(d))
	for k, v := range x[d*o.K : (d+1)*o.K] {
		s += float64(k) * v
	}
	return s
}

// Value returns Σ_d |Σ_k k x_{d,k} − b_d|, or NaN if len(x) is not a
// multiple of K.
func (o OneHotAbs) Value(x []float64) float64 {
	if o.K < 1 || len(x)%o.K != 0 {
		return math.NaN()
	}
	s := 0.0
	for d := range len(x) / o.K {
		s += math.Abs(o.residual(x, d))
	}
	return s
}

// Grad writes k·sign(Σ_j j x_{d,j} − b_d) into dst[d·K + k] (sign 0 at 0)
// and returns f(x).
func (o OneHotAbs) Grad(dst, x []float64) float64 {
	if o.K < 1 || len(x)%o.K != 0 {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return math.NaN()
	}
	s := 0.0
	for d := range len(x) / o.K {
		r := o.residual(x, d)
		s += math.Abs(r)
		sg := 0.0
		switch {
		case r > 0:
			sg = 1
		case r < 0:
			sg = -1
		}
		for k := range o.K {
			dst[d*o.K+k] = sg * float64(k)
		}
	}
	return s
}

// blockIntParam returns v as an int in [lo, hi], or an error naming the
// objective and the parameter.
func blockIntParam(obj, param string, v float64, lo, hi int) (int, error) {
	if math.IsNaN(v) || v != math.Trunc(v) || v < float64(lo) || v > float64(hi) {
		return 0, fmt.Errorf("objective %q: parameter %s = %v, want an integer in [%d, %d]", obj, param, v, lo, hi)
	}
	return int(v), nil
}

func init() {
	Register(Kind{
		Name:    "onehot-poly",
		Formula: "(1/D) Σ_d |x_{d,c} − t|^p, x: D one-hot blocks of k",
		Params: []Param{
			{Name: "k", Default: 2, Doc: "classes per block, integer in [1, 10000]"},
			{Name: "c", Default: 0, Doc: "the class whose indicator is z_d, integer in [0, k)"},
			{Name: "t", Default: 0.45, Doc: "target"},
			{Name: "p", Default: 2, Doc: "exponent, ≥ 1"},
		},
		Make: func(p map[string]float64) (Objective, error) {
			k, err := blockIntParam("onehot-poly", "k", p["k"], 1, 10000)
			if err != nil {
				return nil, err
			}
			c, err := blockIntParam("onehot-poly", "c", p["c"], 0, k-1)
			if err != nil {
				return nil, err
			}
			if t := p["t"]; math.IsNaN(t) || math.IsInf(t, 0) {
				return nil, fmt.Errorf("objective \"onehot-poly\": parameter t = %v, want a finite number", t)
			}
			if e := p["p"]; !(e >= 1) || math.IsInf(e, 0) {
				return nil, fmt.Errorf("objective \"onehot-poly\": parameter p = %v, want a finite number ≥ 1", e)
			}
			return OneHotPoly{K: k, C: c, T: p["t"], P: p["p"]}, nil
		},
	})
	Register(Kind{
		Name:    "onehot-abs",
		Formula: "Σ_d |Σ_j j x_{d,j} − b_d|, x: D one-hot blocks of k, b_d = hash(seed, d) mod k",
		Params: []Param{
			{Name: "k", Default: 3, Doc: "classes per block, integer in [1, 10000]"},
			{Name: "seed", Default: 0, Doc: "seed of the targets b_d, integer in [0, 2⁵³]"},
		},
		Make: func(p map[string]float64) (Objective, error) {
			k, err := blockIntParam("onehot-abs", "k", p["k"], 1, 10000)
			if err != nil {
				return nil, err
			}
			s, err := blockIntParam("onehot-abs", "seed", p["seed"], 0, 1<<53)
			if err != nil {
				return nil, err
			}
			return OneHotAbs{K: k, Seed: uint64(s)}, nil
		},
	})
}
