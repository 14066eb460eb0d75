package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNewDenseInMajor: the in-major layer holds NewDense's weights,
// transposed.
func TestNewDenseInMajor(t *testing.T) {
	t.Parallel()
	a := NewDense(3, 4, rand.New(rand.NewPCG(1, 1)))
	b := NewDenseInMajor(3, 4, rand.New(rand.NewPCG(1, 1)))
	for o := range 4 {
		for k := range 3 {
			if a.W[o*3+k] != b.W[k*4+o] {
				t.Fatalf("W[%d, %d]: %v vs %v", o, k, a.W[o*3+k], b.W[k*4+o])
			}
		}
	}
}

// TestBinaryMatchesDense: ForwardBinary and BackwardBinary give Forward's
// output and Backward's gradients on the batch's dense form, to rounding,
// for plain, scaled and offset batches, with row counts and densities
// that exercise the four-at-a-time and the remainder paths.
func TestBinaryMatchesDense(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	const in, out = 13, 9
	for _, c := range []struct {
		rows    int
		density float64
		scale   float64
		offset  bool
	}{{1, 0.5, 1, false}, {5, 0.2, 1, true}, {6, 0.9, 2, true}, {4, 0, 1, true}, {7, 1, 0, false}} {
		b := make([]float64, c.rows*in)
		for i := range b {
			if rng.Float64() < c.density {
				b[i] = 1
			}
		}
		x := &Binary{Scale: c.scale}
		if c.offset {
			x.Offset = randSlice(in, rng)
		}
		if !x.Set(b, in) || x.Rows() != c.rows {
			t.Fatalf("%+v: Set refused a binary batch (rows %d)", c, x.Rows())
		}
		dense := x.Dense(nil)
		bin, ref := NewDenseInMajor(in, out, rng), &Dense{}
		for i := range bin.B {
			bin.B[i] = rng.NormFloat64()
		}
		*ref = *bin
		ref.GW, ref.GB = make([]float64, len(bin.GW)), make([]float64, len(bin.GB))
		y, want := make([]float64, c.rows*out), make([]float64, c.rows*out)
		bin.ForwardBinary(y, x)
		ref.Forward(want, dense)
		near(t, "y", y, want)
		dy := randSlice(c.rows*out, rng)
		bin.BackwardBinary(x, dy)
		ref.Backward(nil, dense, dy)
		near(t, "GW", bin.GW, ref.GW)
		near(t, "GB", bin.GB, ref.GB)
	}
}

func near(t *testing.T, name string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}

// TestBinarySetRefuses: a non-binary entry or a ragged length leaves the
// batch empty and reports false.
func TestBinarySetRefuses(t *testing.T) {
	t.Parallel()
	var x Binary
	for _, b := range [][]float64{{0, 1, 0.5, 1}, {0, 1, 1}} {
		if x.Set(b, 2) || x.Rows() != 0 {
			t.Errorf("Set(%v, 2) = true or rows %d", b, x.Rows())
		}
	}
}

// TestBinaryAllocs: after the first batch, Set, ForwardBinary and
// BackwardBinary of same-sized batches allocate nothing.
func TestBinaryAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	l := NewDenseInMajor(20, 10, rng)
	b := make([]float64, 8*20)
	for i := range b {
		b[i] = float64(rng.IntN(2))
	}
	x := &Binary{Offset: randSlice(20, rng)}
	y := make([]float64, 8*10)
	x.Set(b, 20)
	l.BackwardBinary(x, y)
	if a := testing.AllocsPerRun(10, func() { x.Set(b, 20); l.ForwardBinary(y, x); l.BackwardBinary(x, y) }); a != 0 {
		t.Errorf("allocate %v times", a)
	}
}

// BenchmarkBinary times a layer's forward pass and weight gradient on a
// binary batch at the Bernoulli VAE's sizes (100 rows of 200 latents, half
// ones, into 784 outputs; 50 rows of 784 pixels, 13% ones, into 200) with
// the dense matrix products (Forward, Backward) and with ForwardBinary and
// BackwardBinary in the same run; x-dense is the binary path's time over
// the dense one's.
func BenchmarkBinary(b *testing.B) {
	for _, c := range []struct {
		name          string
		rows, in, out int
		density       float64
		scale         float64
		offset        bool
	}{{"latents", 100, 200, 784, 0.5, 2, true}, {"pixels", 50, 784, 200, 0.13, 1, true}} {
		rng := rand.New(rand.NewPCG(1, 1))
		bits := make([]float64, c.rows*c.in)
		for i := range bits {
			if rng.Float64() < c.density {
				bits[i] = 1
			}
		}
		x := &Binary{Scale: c.scale}
		if c.offset {
			x.Offset = randSlice(c.in, rng)
		}
		x.Set(bits, c.in)
		dense := x.Dense(nil)
		l := NewDenseInMajor(c.in, c.out, rng)
		y, dy := make([]float64, c.rows*c.out), randSlice(c.rows*c.out, rng)
		var ns float64
		b.Run(c.name+"/dense", func(b *testing.B) {
			for b.Loop() {
				l.Forward(y, dense)
				l.Backward(nil, dense, dy)
			}
			ns = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(c.name+"/binary", func(b *testing.B) {
			for b.Loop() {
				x.Set(bits, c.in)
				l.ForwardBinary(y, x)
				l.BackwardBinary(x, dy)
			}
			if ns > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ns, "x-dense")
			}
		})
	}
}

// TestKernelsBitIdentical: the AVX2 kernel of the binary products gives
// the portable loop's bits (the same operations in the same order), at
// column counts around multiples of 16, scales 1, 2 and an inexact one.
func TestKernelsBitIdentical(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 kernel in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, out := range []int{7, 8, 15, 31, 32, 33, 41, 200, 784} {
		for _, sc := range []float64{1, 2, 0.3} {
			b := make([]float64, 9*40)
			for i := range b {
				b[i] = float64(rng.IntN(2))
			}
			x := &Binary{Scale: sc, Offset: randSlice(40, rng)}
			x.Set(b, 40)
			l := NewDenseInMajor(40, out, rng)
			y0, y1 := make([]float64, 9*out), make([]float64, 9*out)
			dy := randSlice(9*out, rng)
			l.ForwardBinary(y0, x)
			l.BackwardBinary(x, dy)
			g0 := append([]float64(nil), l.GW...)
			clear(l.GW)
			portable = true
			l.ForwardBinary(y1, x)
			l.BackwardBinary(x, dy)
			portable = false
			for j := range y0 {
				if math.Float64bits(y0[j]) != math.Float64bits(y1[j]) {
					t.Fatalf("out %d, scale %v: y[%d] = %v (AVX2) vs %v", out, sc, j, y0[j], y1[j])
				}
			}
			for j := range g0 {
				if math.Float64bits(g0[j]) != math.Float64bits(l.GW[j]) {
					t.Fatalf("out %d, scale %v: GW[%d] = %v (AVX2) vs %v", out, sc, j, g0[j], l.GW[j])
				}
			}
		}
	}
}
