package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// TestGemmSameBits: gemm gives blas64.Gemm's bits for A B and Aᵀ B at
// alpha 1 and beta 0 and 1, over shapes from empty to ones that gonum
// splits into parallel blocks, with a fifth of A's entries exactly zero
// (gonum skips their products) and one row of op(A) all zeros, so that
// signed zeros in C keep their sign there, an infinite entry of B (a
// skipped product must not make a NaN), and strides wider than the
// matrices; and the other cases (a transposed B, alpha ≠ 1) go to
// blas64.Gemm.
func TestGemmSameBits(t *testing.T) {
	t.Parallel()
	if !hasAVX2 {
		t.Skip("no AVX2: gemm is blas64.Gemm")
	}
	rng := rand.New(rand.NewPCG(3, 9))
	fill := func(n int, zeros bool) []float64 {
		s := make([]float64, n)
		for i := range s {
			switch {
			case zeros && rng.IntN(5) == 0:
				s[i] = math.Copysign(0, rng.NormFloat64())
			default:
				s[i] = rng.NormFloat64() * math.Exp(3*rng.NormFloat64())
			}
		}
		return s
	}
	shapes := [][3]int{{0, 3, 2}, {3, 0, 2}, {2, 3, 0}, {1, 1, 1}, {50, 200, 200}, {50, 784, 200}, {200, 200, 50},
		{784, 200, 50}, {130, 140, 150}, {7, 37, 5}, {3, 67, 70}, {5, 3, 31}}
	for range 20 {
		shapes = append(shapes, [3]int{1 + rng.IntN(70), 1 + rng.IntN(70), rng.IntN(70)})
	}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, beta := range []float64{0, 1, 0.5} {
				for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
					ar, ac := m, k
					if tA == blas.Trans {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB == blas.Trans {
						br, bc = n, k
					}
					pad := rng.IntN(3)
					a := blas64.General{Rows: ar, Cols: ac, Stride: max(ac, 1) + pad, Data: fill(ar*(max(ac, 1)+pad), true)}
					b := blas64.General{Rows: br, Cols: bc, Stride: max(bc, 1) + pad, Data: fill(br*(max(bc, 1)+pad), false)}
					// Row 0 of op(A) all zeros, so that c's row 0 stays a
					// signed zero where it was one; an infinite b, which
					// skipped products must not turn into NaN.
					for l := range k {
						if tA == blas.Trans {
							a.Data[l*a.Stride] = math.Copysign(0, rng.NormFloat64())
						} else if m > 0 {
							a.Data[l] = math.Copysign(0, rng.NormFloat64())
						}
					}
					if k > 0 && n > 0 {
						b.Data[0] = math.Inf(1)
					}
					c0 := fill(m*(max(n, 1)+pad), true)
					want := blas64.General{Rows: m, Cols: n, Stride: max(n, 1) + pad, Data: append([]float64(nil), c0...)}
					got := want
					got.Data = append([]float64(nil), c0...)
					for _, alpha := range []float64{1, -0.75} {
						blas64.Gemm(tA, tB, alpha, a, b, beta, want)
						gemm(tA, tB, alpha, a, b, beta, got)
						for i := range got.Data {
							if math.Float64bits(got.Data[i]) != math.Float64bits(want.Data[i]) {
								t.Fatalf("%d × %d × %d, %c%c, alpha %v, beta %v: c[%d] = %v, blas64.Gemm %v",
									m, n, k, tA, tB, alpha, beta, i, got.Data[i], want.Data[i])
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkGemm times the Bernoulli VAE's products (batch 50, 200 and 784
// units) through gemm and through blas64.Gemm, in the same run: A·B (NN),
// Aᵀ·B (TN) and A·Bᵀ (NT).
func BenchmarkGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	mat := func(r, c int) blas64.General {
		d := make([]float64, r*c)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		return blas64.General{Rows: r, Cols: c, Stride: c, Data: d}
	}
	for _, sh := range [][3]int{{50, 200, 200}, {50, 784, 200}, {200, 200, 50}, {200, 784, 50}, {50, 200, 784}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, op := range [][2]blas.Transpose{{blas.NoTrans, blas.NoTrans}, {blas.Trans, blas.NoTrans}, {blas.NoTrans, blas.Trans}} {
			a, bm := mat(m, k), mat(k, n)
			if op[0] == blas.Trans {
				a = mat(k, m)
			}
			if op[1] == blas.Trans {
				bm = mat(n, k)
			}
			c := mat(m, n)
			for _, impl := range []string{"gemm", "gonum"} {
				b.Run(fmt.Sprintf("%dx%dx%d/%c%c/%s", m, n, k, op[0], op[1], impl), func(b *testing.B) {
					for b.Loop() {
						if impl == "gemm" {
							gemm(op[0], op[1], 1, a, bm, 1, c)
						} else {
							blas64.Gemm(op[0], op[1], 1, a, bm, 1, c)
						}
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestSetGradSameBits: SetGrad and SetGradBinary, on gradients that hold
// garbage, write the bits that zeroing GW and GB and calling Backward and
// BackwardBinary give, for both layouts, plain and offset binary batches,
// with 0, 1 and many rows, and dy with signed zeros (whose sums are where
// the +0 of a zeroed gradient shows).
func TestSetGradSameBits(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	const in, out = 37, 45
	same := func(what string, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	dys := func(n int) []float64 {
		dy := randSlice(n*out, rng)
		for i := range dy {
			if rng.IntN(4) == 0 {
				dy[i] = math.Copysign(0, rng.NormFloat64())
			}
		}
		return dy
	}
	layers := func(inMajor bool) (set, ref *Dense) {
		set = NewDense(in, out, rng)
		if inMajor {
			set = NewDenseInMajor(in, out, rng)
		}
		ref = &Dense{}
		*ref = *set
		ref.GW, ref.GB = make([]float64, len(set.GW)), make([]float64, len(set.GB))
		for i := range set.GW {
			set.GW[i] = rng.NormFloat64()
		}
		for i := range set.GB {
			set.GB[i] = math.NaN()
		}
		return set, ref
	}
	for _, rows := range []int{0, 1, 2, 50} {
		for _, inMajor := range []bool{false, true} {
			x, dy := randSlice(rows*in, rng), dys(rows)
			for i := range x {
				if rng.IntN(4) == 0 {
					x[i] = math.Copysign(0, rng.NormFloat64())
				}
			}
			set, ref := layers(inMajor)
			dx, dxRef := make([]float64, len(x)), make([]float64, len(x))
			set.SetGrad(dx, x, dy)
			ref.Backward(dxRef, x, dy)
			same("dense GW", set.GW, ref.GW)
			same("dense GB", set.GB, ref.GB)
			same("dense dx", dx, dxRef)
		}
		for _, offset := range []bool{false, true} {
			b := make([]float64, rows*in)
			for i := range b {
				b[i] = float64(rng.IntN(2))
			}
			xb := &Binary{Scale: 2}
			if offset {
				xb.Offset = randSlice(in, rng)
				xb.Offset[0] = math.Copysign(0, -1)
			}
			if !xb.Set(b, in) {
				t.Fatal("Set refused a binary batch")
			}
			set, ref := layers(true)
			dy := dys(rows)
			set.SetGradBinary(xb, dy)
			ref.BackwardBinary(xb, dy)
			same("binary GW", set.GW, ref.GW)
			same("binary GB", set.GB, ref.GB)
		}
	}
}
