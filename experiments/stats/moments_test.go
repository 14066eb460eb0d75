package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// twoPass returns the mean and the sums of central powers of x, computed
// directly in two passes: the reference for the one-pass updates.
func twoPass(x []float64) (mean, m2, m3, m4 float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		d := v - mean
		m2 += d * d
		m3 += d * d * d
		m4 += d * d * d * d
	}
	return mean, m2, m3, m4
}

// near reports whether got is within rel·scale of want.
func near(got, want, rel, scale float64) bool {
	return math.Abs(got-want) <= rel*scale
}

func TestMomentsHand(t *testing.T) {
	t.Parallel()
	var m Moments
	for _, x := range []float64{1, 2, 3, 4} {
		m.Add(x)
	}
	// Mean 2.5, deviations ±1.5, ±0.5: M2 = 5, M3 = 0, M4 = 2(1.5⁴ + 0.5⁴) = 10.25.
	mean, m2, m3, m4 := m.Sums()
	if m.N() != 4 || mean != 2.5 || m2 != 5 || math.Abs(m3) > 1e-15 || m4 != 10.25 {
		t.Errorf("sums of 1..4: n=%d mean=%v M2=%v M3=%v M4=%v", m.N(), mean, m2, m3, m4)
	}
	if got, want := m.Variance(), 5.0/3; !near(got, want, 1e-15, want) {
		t.Errorf("Variance = %v, want %v", got, want)
	}
	if got, want := m.Kurtosis(), 4*10.25/25; !near(got, want, 1e-15, want) {
		t.Errorf("Kurtosis = %v, want %v", got, want)
	}
	if got, want := m.SE(), math.Sqrt(5.0/3/4); !near(got, want, 1e-15, want) {
		t.Errorf("SE = %v, want %v", got, want)
	}

	// {0, 0, 3}: mean 1, deviations −1, −1, 2: M2 = 6, M3 = 6, M4 = 18.
	var s Moments
	for _, x := range []float64{0, 0, 3} {
		s.Add(x)
	}
	if got, want := s.Skewness(), math.Sqrt(3)*6/math.Pow(6, 1.5); !near(got, want, 1e-14, want) {
		t.Errorf("Skewness = %v, want %v", got, want)
	}
	if got, want := s.Kurtosis(), 3*18.0/36; !near(got, want, 1e-14, want) {
		t.Errorf("Kurtosis = %v, want %v", got, want)
	}
}

func TestMomentsEmptyAndConstant(t *testing.T) {
	t.Parallel()
	var m Moments
	if !math.IsNaN(m.Mean()) || !math.IsNaN(m.Variance()) || !math.IsNaN(m.SE()) || !math.IsNaN(m.Kurtosis()) {
		t.Errorf("empty: mean %v var %v se %v kurt %v, want NaN", m.Mean(), m.Variance(), m.SE(), m.Kurtosis())
	}
	m.Add(2)
	if m.Mean() != 2 || !math.IsNaN(m.Variance()) {
		t.Errorf("one value: mean %v var %v, want 2 NaN", m.Mean(), m.Variance())
	}
	m.Add(2)
	m.Add(2)
	if m.Variance() != 0 || !math.IsNaN(m.Kurtosis()) || !math.IsNaN(m.Skewness()) {
		t.Errorf("constant: var %v kurt %v skew %v, want 0 NaN NaN", m.Variance(), m.Kurtosis(), m.Skewness())
	}
	if lo, hi := VarianceCI(m, 0.95); lo != 0 || hi != 0 {
		t.Errorf("constant: VarianceCI = [%v, %v], want [0, 0]", lo, hi)
	}
}

func TestMomentsNonFinite(t *testing.T) {
	t.Parallel()
	var m, ref Moments
	for _, x := range []float64{1, math.NaN(), 2, math.Inf(1), 4, math.Inf(-1)} {
		m.Add(x)
	}
	for _, x := range []float64{1, 2, 4} {
		ref.Add(x)
	}
	if m.NonFinite() != 3 || m.N() != 3 {
		t.Fatalf("NonFinite = %d, N = %d, want 3, 3", m.NonFinite(), m.N())
	}
	m.nonfinite = 0
	if m != ref {
		t.Errorf("non-finite values changed the statistics: %+v, want %+v", m, ref)
	}
	var a, b Moments
	a.Add(math.NaN())
	b.Add(math.NaN())
	b.Add(1)
	a.Merge(&b)
	if a.NonFinite() != 2 || a.N() != 1 || a.Mean() != 1 {
		t.Errorf("Merge: NonFinite = %d, N = %d, mean = %v, want 2, 1, 1", a.NonFinite(), a.N(), a.Mean())
	}
}

// TestMomentsStable checks the one-pass updates on data with a large offset,
// where the sums-of-powers formula loses every digit: 1e9 + {4, 7, 13, 16}
// has variance exactly 30.
func TestMomentsStable(t *testing.T) {
	t.Parallel()
	var m Moments
	for _, x := range []float64{4, 7, 13, 16} {
		m.Add(1e9 + x)
	}
	if got := m.Variance(); !near(got, 30, 1e-12, 30) {
		t.Errorf("Variance with offset 1e9 = %v, want 30", got)
	}
	// Deviations ±6, ±3: M4 = 2(1296 + 81) = 2754, kurtosis 4·2754/90².
	if got, want := m.Kurtosis(), 4*2754.0/8100; !near(got, want, 1e-9, want) {
		t.Errorf("Kurtosis with offset 1e9 = %v, want %v", got, want)
	}
}

// TestMomentsAgainstTwoPass compares Add and Merge with the direct two-pass
// sums on skewed data. Rounding errors grow like n·ε, so a relative
// tolerance of 1e-12 at n = 10⁴ leaves a margin of about 100.
func TestMomentsAgainstTwoPass(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 10000)
	for i := range x {
		x[i] = 100 + math.Exp(2*rng.NormFloat64()) // lognormal, very skewed
	}
	mean, m2, m3, m4 := twoPass(x)
	check := func(name string, m *Moments) {
		t.Helper()
		gm, g2, g3, g4 := m.Sums()
		if m.N() != len(x) || !near(gm, mean, 1e-12, math.Abs(mean)) || !near(g2, m2, 1e-12, m2) ||
			!near(g3, m3, 1e-12, math.Abs(m3)) || !near(g4, m4, 1e-12, m4) {
			t.Errorf("%s: n=%d sums (%v %v %v %v), two-pass (%v %v %v %v)", name, m.N(), gm, g2, g3, g4, mean, m2, m3, m4)
		}
	}
	var seq Moments
	for _, v := range x {
		seq.Add(v)
	}
	check("Add", &seq)

	// Blocks of random sizes (some empty, some single values), merged in
	// order, and the same blocks merged as a balanced tree.
	var blocks []Moments
	for i := 0; i < len(x); {
		k := min(rng.IntN(300), len(x)-i)
		var b Moments
		for _, v := range x[i : i+k] {
			b.Add(v)
		}
		blocks = append(blocks, b)
		i += k
	}
	var merged Moments
	for i := range blocks {
		merged.Merge(&blocks[i])
	}
	check("Merge in order", &merged)
	for len(blocks) > 1 {
		var next []Moments
		for i := 0; i < len(blocks); i += 2 {
			if i+1 < len(blocks) {
				blocks[i].Merge(&blocks[i+1])
			}
			next = append(next, blocks[i])
		}
		blocks = next
	}
	check("Merge as a tree", &blocks[0])

	// Merging with itself doubles every count and sum.
	d := seq
	d.Merge(&d)
	gm, g2, g3, g4 := d.Sums()
	if d.N() != 2*len(x) || gm != seq.mean || g2 != 2*seq.m2 || g3 != 2*seq.m3 || g4 != 2*seq.m4 {
		t.Errorf("self-merge: n=%d sums (%v %v %v %v)", d.N(), gm, g2, g3, g4)
	}
}

func TestMergeEmpty(t *testing.T) {
	t.Parallel()
	var a, empty Moments
	for _, x := range []float64{3, 1, 4, 1, 5} {
		a.Add(x)
	}
	b := a
	b.Merge(&empty)
	if b != a {
		t.Errorf("merging an empty accumulator changed it: %+v, want %+v", b, a)
	}
	empty.Add(math.NaN())
	empty.Merge(&a)
	want := a
	want.nonfinite = 1
	if empty != want {
		t.Errorf("merging into an empty accumulator: %+v, want %+v", empty, want)
	}
}

func TestFromSums(t *testing.T) {
	t.Parallel()
	var m Moments
	for _, x := range []float64{2, 3, 5, 7, 11} {
		m.Add(x)
	}
	m.Add(math.NaN())
	mean, m2, m3, m4 := m.Sums()
	r, err := FromSums(m.N(), m.NonFinite(), mean, m2, m3, m4)
	if err != nil || r != m {
		t.Errorf("FromSums round trip: %+v, %v, want %+v", r, err, m)
	}
	bad := []struct {
		n, nf            int
		mean, m2, m3, m4 float64
	}{
		{-1, 0, 0, 0, 0, 0},
		{1, -1, 0, 0, 0, 0},
		{2, 0, math.NaN(), 1, 0, 1},
		{2, 0, 0, math.Inf(1), 0, 1},
		{2, 0, 0, -1, 0, 1},
		{2, 0, 0, 1, 0, -1},
		{0, 0, 1, 0, 0, 0},
	}
	for _, c := range bad {
		if _, err := FromSums(c.n, c.nf, c.mean, c.m2, c.m3, c.m4); err == nil {
			t.Errorf("FromSums(%+v): no error", c)
		}
	}
}

func TestVec(t *testing.T) {
	t.Parallel()
	ms := make([]Moments, 2)
	AddVec(ms, []float64{1, 10})
	AddVec(ms, []float64{3, 30})
	other := make([]Moments, 2)
	AddVec(other, []float64{5, 50})
	MergeVec(ms, other)
	if ms[0].Mean() != 3 || ms[1].Mean() != 30 || ms[0].Variance() != 4 || ms[1].Variance() != 400 {
		t.Errorf("vector: means %v %v variances %v %v, want 3 30 4 400",
			ms[0].Mean(), ms[1].Mean(), ms[0].Variance(), ms[1].Variance())
	}
	for name, f := range map[string]func(){
		"AddVec":   func() { AddVec(ms, []float64{1}) },
		"MergeVec": func() { MergeVec(ms, other[:1]) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with mismatched lengths did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestMomentsNoAlloc(t *testing.T) {
	var m, o Moments
	o.Add(1)
	o.Add(2)
	x := 0.5
	if n := testing.AllocsPerRun(100, func() {
		m.Add(x)
		m.Merge(&o)
		x += 0.25
	}); n != 0 {
		t.Errorf("Add and Merge allocate %v times per call, want 0", n)
	}
}

func BenchmarkAdd(b *testing.B) {
	var m Moments
	x := 0.0
	for b.Loop() {
		m.Add(x)
		x += 1e-3
	}
}
