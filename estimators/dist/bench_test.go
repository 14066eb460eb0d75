package dist_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
)

// BenchmarkRand reports the cost of one draw per family, at the fixtures'
// parameters.
func BenchmarkRand(b *testing.B) {
	for _, f := range fixtures() {
		b.Run(f.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float64, f.d.Dim())
			b.ReportAllocs()
			for b.Loop() {
				f.d.Rand(x, rng)
			}
		})
	}
}

// BenchmarkScore reports the cost of one score evaluation per family.
func BenchmarkScore(b *testing.B) {
	for _, f := range fixtures() {
		b.Run(f.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float64, f.d.Dim())
			g := make([]float64, f.d.NumParams())
			f.d.Rand(x, rng)
			b.ReportAllocs()
			for b.Loop() {
				f.d.Score(g, x)
			}
		})
	}
}

// BenchmarkPathwise reports the cost of Noise, Transform and PathVJP
// together, for the reparameterized families.
func BenchmarkPathwise(b *testing.B) {
	for _, f := range fixtures() {
		r, ok := f.d.(dist.Reparameterized)
		if !ok {
			continue
		}
		b.Run(f.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			D := r.Dim()
			eps, x, v := make([]float64, D), make([]float64, D), make([]float64, D)
			g := make([]float64, r.NumParams())
			b.ReportAllocs()
			for b.Loop() {
				r.Noise(eps, rng)
				r.Transform(x, eps)
				copy(v, x)
				r.PathVJP(g, eps, v)
			}
		})
	}
}
