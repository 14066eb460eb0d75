package qmc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// plain returns the first n points of the unscrambled sequence, in the
// Gray-code order Points uses.
func plain(n int) [][]float64 {
	x := make([]uint32, MaxDim)
	var out [][]float64
	for i := range n {
		if i > 0 {
			c := 0
			for i>>c&1 == 0 {
				c++
			}
			for j := range x {
				x[j] ^= directions[j][c]
			}
		}
		row := make([]float64, MaxDim)
		for j := range x {
			row[j] = float64(x[j]) / (1 << digits)
		}
		out = append(out, row)
	}
	return out
}

// TestDirections checks the unscrambled sequence against its first eight
// points in all 21 dimensions, as Joe and Kuo's generator (and PyTorch's
// SobolEngine, which uses their numbers) gives them; the first 1024 points
// were also compared with SobolEngine(21, scramble=False): identical.
func TestDirections(t *testing.T) {
	t.Parallel()
	want := [][]float64{
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{.5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5, .5},
		{.75, .25, .25, .25, .75, .75, .25, .75, .75, .75, .75, .75, .25, .25, .75, .25, .75, .25, .75, .25, .25},
		{.25, .75, .75, .75, .25, .25, .75, .25, .25, .25, .25, .25, .75, .75, .25, .75, .25, .75, .25, .75, .75},
		{.375, .375, .625, .875, .375, .125, .375, .875, .875, .625, .875, .375, .375, .625, .375, .875, .375, .875, .875, .125, .125},
		{.875, .875, .125, .375, .875, .625, .875, .375, .375, .125, .375, .875, .875, .125, .875, .375, .875, .375, .375, .625, .625},
		{.625, .125, .875, .625, .625, .875, .125, .125, .125, .375, .125, .625, .125, .875, .625, .625, .625, .625, .125, .375, .375},
		{.125, .625, .375, .125, .125, .375, .625, .625, .625, .875, .625, .125, .625, .375, .125, .125, .125, .125, .625, .875, .875},
	}
	for i, row := range plain(8) {
		for j, x := range row {
			if x != want[i][j] {
				t.Fatalf("point %d, dimension %d: %v, want %v", i, j+1, x, want[i][j])
			}
		}
	}
}

// TestNet checks that every randomized set of 2^m points keeps the net
// structure: in each dimension one point in each interval [i/2^m,
// (i+1)/2^m), and in dimensions 1 and 2 (a (0, m, 2)-net) one point in
// each box [i/2^a, (i+1)/2^a) × [k/2^b, (k+1)/2^b) with a + b = m.
func TestNet(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	s, err := NewSobol(MaxDim)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []int{0, 1, 4, 8, 10} {
		n := 1 << m
		u := make([]float64, n*MaxDim)
		for range 3 {
			s.Points(u, n, rng)
			for j := range MaxDim {
				seen := make([]bool, n)
				for i := range n {
					x := u[i*MaxDim+j]
					if !(x > 0 && x < 1) {
						t.Fatalf("m = %d, dimension %d: point %v outside (0, 1)", m, j+1, x)
					}
					seen[int(x*float64(n))] = true
				}
				for c, ok := range seen {
					if !ok {
						t.Fatalf("m = %d, dimension %d: no point in cell %d", m, j+1, c)
					}
				}
			}
			for a := 0; a <= m; a++ {
				seen := make([]bool, n)
				for i := range n {
					ia, ib := int(u[i*MaxDim]*float64(int(1)<<a)), int(u[i*MaxDim+1]*float64(int(1)<<(m-a)))
					seen[ia<<(m-a)|ib] = true
				}
				for c, ok := range seen {
					if !ok {
						t.Fatalf("m = %d, boxes 2^-%d × 2^-%d: box %d empty", m, a, m-a, c)
					}
				}
			}
		}
	}
}

// TestUnbiasedAndAccurate integrates f(u) = exp(u₁ + … + u₄) over (0, 1)⁴,
// exactly (e − 1)⁴, with 400 randomizations of 256 points: their mean
// must lie within 4 standard errors of the exact value (a false alarm
// with probability about 6·10⁻⁵ for a normal mean; fixed seed, so the
// test is deterministic), and their variance must be below 1% of the
// plain Monte Carlo variance with as many points (for a smooth integrand
// scrambled nets reach O(n⁻²) or better against O(n⁻¹); here the ratio is
// about 10⁻³).
func TestUnbiasedAndAccurate(t *testing.T) {
	t.Parallel()
	const d, n, R = 4, 256, 400
	exact := math.Pow(math.E-1, d)
	rng := rand.New(rand.NewPCG(3, 4))
	s, _ := NewSobol(d)
	u := make([]float64, n*d)
	var sum, sumSq, mcSq float64
	for range R {
		s.Points(u, n, rng)
		var est float64
		for i := range n {
			var x float64
			for _, v := range u[i*d : (i+1)*d] {
				x += v
			}
			est += math.Exp(x) / n
		}
		sum += est
		sumSq += (est - exact) * (est - exact)
	}
	// The variance of f under plain sampling: E f² − (E f)², exactly.
	mcSq = math.Pow((math.Exp(2)-1)/2, d) - exact*exact
	mean, variance := sum/R, sumSq/R
	if se := math.Sqrt(variance / R); math.Abs(mean-exact) > 4*se {
		t.Errorf("mean %v, exact %v: |error| > 4 SE (%v)", mean, exact, se)
	}
	if ratio := variance / (mcSq / n); ratio > 0.01 {
		t.Errorf("RQMC variance %v is %v of plain Monte Carlo's %v", variance, ratio, mcSq/n)
	}
}

// TestMarginal checks that a point of a randomized set is uniform: the
// mean and the mean square of the coordinates of point 5 over 20 000
// randomizations are within 4 standard errors of ½ and ⅓.
func TestMarginal(t *testing.T) {
	t.Parallel()
	const R = 20000
	rng := rand.New(rand.NewPCG(5, 6))
	s, _ := NewSobol(3)
	u := make([]float64, 8*3)
	for j := range 3 {
		var m1, m2 float64
		for range R {
			s.Points(u, 8, rng)
			x := u[5*3+j]
			m1, m2 = m1+x/R, m2+x*x/R
		}
		// Var u = 1/12, Var u² = 4/45.
		if math.Abs(m1-0.5) > 4*math.Sqrt(1.0/12/R) || math.Abs(m2-1.0/3) > 4*math.Sqrt(4.0/45/R) {
			t.Errorf("dimension %d: E u = %v, E u² = %v: want ½ and ⅓", j+1, m1, m2)
		}
	}
}

// TestBadInput checks the errors and panics on sizes.
func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, d := range []int{0, -1, MaxDim + 1} {
		if _, err := NewSobol(d); err == nil {
			t.Errorf("NewSobol(%d): no error", d)
		}
	}
	s, _ := NewSobol(2)
	defer func() {
		if recover() == nil {
			t.Error("Points with a short slice did not panic")
		}
	}()
	s.Points(make([]float64, 3), 2, rand.New(rand.NewPCG(1, 1)))
}

// BenchmarkPoints times a set of 1024 points in 2 dimensions, its
// randomization included.
func BenchmarkPoints(b *testing.B) {
	s, _ := NewSobol(2)
	u := make([]float64, 1024*2)
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		s.Points(u, 1024, rng)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/point")
}

// TestNextChunks checks that a set written by several Next calls is the
// set one Points call writes from the same randomization.
func TestNextChunks(t *testing.T) {
	t.Parallel()
	s, _ := NewSobol(3)
	whole, parts := make([]float64, 100*3), make([]float64, 100*3)
	s.Points(whole, 100, rand.New(rand.NewPCG(7, 8)))
	s.Randomize(rand.New(rand.NewPCG(7, 8)))
	for _, k := range [][2]int{{0, 1}, {1, 2}, {2, 64}, {64, 65}, {65, 100}} {
		s.Next(parts[k[0]*3 : k[1]*3])
	}
	for i := range whole {
		if whole[i] != parts[i] {
			t.Fatalf("value %d: %v in chunks, %v at once", i, parts[i], whole[i])
		}
	}
}
