package nn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Binary is a batch of input rows whose entries take two values per
// column: entry (s, k) is Scale·b_sk + Offset[k] with b_sk ∈ {0, 1},
// stored as the positions of each row's ones. Binarised images (Scale 1),
// demeaned binarised images (Offset the negated pixel means) and binary
// latents fed as 2b − 1 (Scale 2, Offset −1) are such batches. A dense
// layer's product with them is a sum of the weight rows of the ones plus a
// product with Offset shared by every row: on binarised MNIST (about 13%
// ones) and on binary latents (about half) it skips most of the work of a
// dense matrix product.
//
// The zero value is an empty batch; Set fills it. It is not safe for
// concurrent use.
type Binary struct {
	// Cols is the number of columns (a layer's In).
	Cols int
	// Scale multiplies b; 0 means 1.
	Scale float64
	// Offset, of length Cols, is added to every row; nil adds nothing.
	Offset []float64

	start []int   // row s's ones are idx[start[s]:start[s+1]]
	idx   []int32 // column indices of the ones, row after row
	// The same ones by column (for the weight gradient): column k's rows
	// are rowOf[cstart[k]:cstart[k+1]].
	cstart, next []int
	rowOf        []int32
	sum, acc     []float64 // scratch for BackwardBinary and sumRows
}

// Set stores the rows of b (row-major, cols columns, every entry 0 or 1)
// and reports whether b was binary: on false (an entry neither 0 nor 1, or
// a length that is not a multiple of cols) x is left empty and the caller
// takes the dense path. Scale and Offset are kept.
func (x *Binary) Set(b []float64, cols int) bool {
	x.Cols = cols
	x.start, x.idx = x.start[:0], x.idx[:0]
	if cols < 1 || len(b)%cols != 0 {
		return false
	}
	// Branch-free: the bits of 1.0 have bit 61 set and those of 0.0 none;
	// any other value leaves a trace in bad. Each row's column indices
	// are written at the next free place, which advances by the bit.
	const one = 0x3FF0000000000000
	x.idx = grow(x.idx, len(b))
	x.start = append(x.start, 0)
	n, bad := 0, uint64(0)
	for s := 0; s < len(b); s += cols {
		for k, v := range b[s : s+cols] {
			u := math.Float64bits(v)
			bit := u >> 61 & 1
			bad |= u ^ bit*one
			x.idx[n] = int32(k)
			n += int(bit)
		}
		x.start = append(x.start, n)
	}
	x.idx = x.idx[:n]
	if bad != 0 {
		x.start, x.idx = x.start[:0], x.idx[:0]
		return false
	}
	x.byColumn()
	return true
}

// byColumn fills the column-wise index from the row-wise one.
func (x *Binary) byColumn() {
	x.cstart = grow(x.cstart, x.Cols+1)
	clear(x.cstart)
	for _, k := range x.idx {
		x.cstart[k+1]++
	}
	for k := range x.Cols {
		x.cstart[k+1] += x.cstart[k]
	}
	x.rowOf = grow(x.rowOf, len(x.idx))
	x.next = append(x.next[:0], x.cstart[:x.Cols]...)
	next := x.next
	for s := range x.Rows() {
		for _, k := range x.idx[x.start[s]:x.start[s+1]] {
			x.rowOf[next[k]] = int32(s)
			next[k]++
		}
	}
}

// Rows returns the number of rows Set stored.
func (x *Binary) Rows() int { return max(len(x.start)-1, 0) }

// Ones returns the column indices of row s's ones (shared storage).
func (x *Binary) Ones(s int) []int32 { return x.idx[x.start[s]:x.start[s+1]] }

// Dense writes the batch as a dense matrix (Rows × Cols) into dst and
// returns it, for checks.
func (x *Binary) Dense(dst []float64) []float64 {
	dst = grow(dst, x.Rows()*x.Cols)
	sc := x.scale()
	for s := range x.Rows() {
		row := dst[s*x.Cols : (s+1)*x.Cols]
		if x.Offset != nil {
			copy(row, x.Offset)
		} else {
			clear(row)
		}
		for _, k := range x.Ones(s) {
			row[k] += sc
		}
	}
	return dst
}

func (x *Binary) scale() float64 {
	if x.Scale == 0 {
		return 1
	}
	return x.Scale
}

// grow returns s resized to n, reallocated when its capacity is short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// ForwardBinary writes y = x Wᵀ + b for a Binary batch x (Cols = In):
// every row starts at b + Offset Wᵀ and adds Scale times the weight rows of
// its ones, four at a time. It needs an InMajor layer and panics otherwise
// or on mismatched lengths. The result equals Forward's on x.Dense() up to
// the order of summation.
func (l *Dense) ForwardBinary(y []float64, x *Binary) {
	n := x.Rows()
	if !l.InMajor || x.Cols != l.In || len(y) != n*l.Out || (x.Offset != nil && len(x.Offset) != l.In) {
		panic(fmt.Sprintf("nn: Dense.ForwardBinary: in-major %v, %d columns for %d inputs, len(y) = %d for %d rows", l.InMajor, x.Cols, l.In, len(y), n))
	}
	if n == 0 {
		return
	}
	base := y[:l.Out]
	copy(base, l.B)
	if x.Offset != nil {
		blas64.Gemv(blas.Trans, 1, general(l.In, l.Out, l.W), vec(x.Offset), 1, vec(base))
	}
	O := l.Out
	for s := 1; s < n; s++ {
		copy(y[s*O:(s+1)*O], base)
	}
	x.sumRows(y, l.W, O, x.start, x.idx)
}

// BackwardBinary adds the gradients with respect to W and b of a loss whose
// gradient with respect to the output of ForwardBinary(y, x) is dy to GW
// and GB: GW row k gains Scale times the sum of dy's rows where input k is
// one, and Offset[k] times the sum of all of dy's rows. It needs an InMajor
// layer and panics otherwise or on mismatched lengths. (The gradient with
// respect to a binary input is not needed by its users; BackwardInput gives
// it.)
func (l *Dense) BackwardBinary(x *Binary, dy []float64) { l.backwardBinary(x, dy, false) }

// SetGradBinary is BackwardBinary writing the gradients into GW and GB
// instead of adding them to what they hold: the same bits as zeroing GW
// and GB and calling BackwardBinary, without the pass over GW that zeroes
// it and the one that reads the zeros.
func (l *Dense) SetGradBinary(x *Binary, dy []float64) { l.backwardBinary(x, dy, true) }

func (l *Dense) backwardBinary(x *Binary, dy []float64, set bool) {
	n := x.Rows()
	if !l.InMajor || x.Cols != l.In || len(dy) != n*l.Out {
		panic(fmt.Sprintf("nn: Dense.BackwardBinary: in-major %v, %d columns for %d inputs, len(dy) = %d for %d rows", l.InMajor, x.Cols, l.In, len(dy), n))
	}
	O := l.Out
	if set {
		clear(l.GB)
	}
	for s := range n {
		for j, v := range dy[s*O : (s+1)*O] {
			l.GB[j] += v
		}
	}
	switch {
	case x.Offset != nil:
		// GW += Offset ⊗ Σ_s dy_s. Set, GB holds that sum, added from zero.
		sum := l.GB
		if !set {
			sum = x.sumScratch(O)
			for s := range n {
				for j, v := range dy[s*O : (s+1)*O] {
					sum[j] += v
				}
			}
			blas64.Ger(1, vec(x.Offset), vec(sum), general(l.In, O, l.GW))
			break
		}
		// What Ger adds to a zeroed GW: 0 + Offset[k]·sum[j], the product
		// rounded first (and −0 becoming +0, as 0 + (−0) does).
		for k, o := range x.Offset {
			row := l.GW[k*O : (k+1)*O]
			for j, v := range sum {
				row[j] = 0 + float64(o*v)
			}
		}
	case set:
		clear(l.GW)
	}
	x.sumRows(l.GW, dy, O, x.cstart, x.rowOf)
}

// portable makes sumRows and expNegAbs take their portable loops (set by
// tests, to compare the two paths).
var portable bool

// sumRows adds Scale·Σ_{t ∈ [start[s], start[s+1])} w[idx[t]] to row s of
// y, for every s, where w and y are row-major with cols columns: the
// forward pass (w the weights, rows the ones of each input row) and the
// weight gradient (w the output gradients, rows the input rows where each
// input is one). Each sum starts at 0 and adds in index order, and is then
// scaled and added to y: the AVX2 kernels (32 columns at a time, all rows
// for each 32 columns, so that those columns of w stay in the cache, then
// 8 at a time) and
// the portable loop do exactly that, and give the same bits.
func (x *Binary) sumRows(y, w []float64, cols int, start []int, idx []int32) {
	sc := x.scale()
	done := 0
	if hasAVX2 && !portable && cols >= 8 && len(start) > 1 {
		if cols >= 32 {
			sumRowsAVX2(y, w, start, idx, cols, sc)
			done = cols &^ 31
		}
		if done < cols&^7 {
			sumRows8AVX2(y, w, start, idx, cols, sc, done)
			done = cols &^ 7
		}
	}
	if done == cols {
		return
	}
	acc := x.accScratch(cols - done)
	for s := range len(start) - 1 {
		clear(acc)
		for _, r := range idx[start[s]:start[s+1]] {
			row := w[int(r)*cols+done : (int(r)+1)*cols]
			for j, v := range row {
				acc[j] += v
			}
		}
		out := y[s*cols+done : (s+1)*cols]
		for j, v := range acc {
			out[j] += sc * v
		}
	}
}

// accScratch returns a scratch slice of length n, kept with x.
func (x *Binary) accScratch(n int) []float64 {
	x.acc = grow(x.acc, n)
	return x.acc
}

// sumScratch returns a zeroed scratch slice of length n, kept with x.
func (x *Binary) sumScratch(n int) []float64 {
	x.sum = grow(x.sum, n)
	clear(x.sum)
	return x.sum
}
