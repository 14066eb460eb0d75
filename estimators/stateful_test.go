package estimators

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// specialFloats are values whose bits a state encoding must keep: NaNs with
// payloads and sign, ±Inf, −0, the extremes of the subnormals and normals.
var specialFloats = []float64{
	math.NaN(),
	math.Float64frombits(0x7ff0000000000001), // signalling NaN
	math.Float64frombits(0xfff8000000abcdef), // negative NaN with payload
	math.Inf(1), math.Inf(-1),
	math.Copysign(0, -1), 0,
	math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	math.MaxFloat64, 0x1p-1022, 1.0 / 3,
}

func TestStateEncodingRoundTripsBits(t *testing.T) {
	w := newStateEncoder("test")
	for _, v := range specialFloats {
		w.float(v)
	}
	w.floats(specialFloats)
	w.floats(nil)
	w.bool(true)
	w.bool(false)
	w.uint(0)
	w.uint(math.MaxInt32)
	data := w.bytes()

	r := newStateDecoder("test", data)
	for i, want := range specialFloats {
		if got := r.float(); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("float %d: bits %#x, want %#x", i, math.Float64bits(got), math.Float64bits(want))
		}
	}
	s := r.floats()
	if len(s) != len(specialFloats) {
		t.Fatalf("floats: %d values, want %d (error %v)", len(s), len(specialFloats), r.err)
	}
	for i, want := range specialFloats {
		if math.Float64bits(s[i]) != math.Float64bits(want) {
			t.Errorf("floats[%d]: bits %#x, want %#x", i, math.Float64bits(s[i]), math.Float64bits(want))
		}
	}
	if s := r.floats(); s != nil {
		t.Errorf("empty floats: %v", s)
	}
	if a, b := r.bool(), r.bool(); !a || b {
		t.Errorf("bools: %v %v, want true false", a, b)
	}
	if a, b := r.uint(10), r.uint(math.MaxInt32); a != 0 || b != math.MaxInt32 {
		t.Errorf("uints: %d %d", a, b)
	}
	if err := r.finish(); err != nil {
		t.Fatal(err)
	}
}

// TestScoreMAStateGolden pins the version-1 encoding: a change to it must
// bump stateVersion (and then update this test).
func TestScoreMAStateGolden(t *testing.T) {
	e, _ := NewScoreMA(0.5)
	e.b, e.init = math.Inf(-1), true
	data, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	const want = "67627374" + "01" + "08" + "73636f72652b6d61" + // "gbst", version 1, "score+ma"
		"000000000000e03f" + "000000000000f0ff" + "01" + "00" + // decay 0.5, b −Inf, set, not frozen
		"cc43124e" // CRC-32 (IEEE, little-endian) of the above
	if got := hex.EncodeToString(data); got != want {
		t.Errorf("encoding\n%s, want\n%s", got, want)
	}
	f, _ := NewScoreMA(0.5)
	if err := f.UnmarshalBinary(data); err != nil || f.b != e.b || !f.init || f.frozen {
		t.Errorf("decoded b = %v, init %v, frozen %v, error %v", f.b, f.init, f.frozen, err)
	}
}

// statefulCases returns a used estimator of every built-in stateful kind
// (its state non-trivial), and a factory for fresh ones with the same
// options.
func statefulCases(t *testing.T) []struct {
	name  string
	used  Stateful
	fresh func() Stateful
} {
	t.Helper()
	bern, _ := dist.NewBernoulliVec([]float64{0.3, -0.7})
	norm, _ := dist.NewNormal(0.5, 1.5)
	cases := []struct {
		name string
		opts map[string]string
		p    dist.Distribution
		f    objective.Objective
	}{
		{"score+ma", nil, norm, objective.Quadratic{K: 1}},
		{"score+optimal", map[string]string{"decay": "0.9"}, norm, objective.Quadratic{K: 1}},
		{"delta", nil, norm, objective.Cos{K: 1}},
		{"delta", map[string]string{"base": "pathwise"}, norm, objective.Cos{K: 1}},
		{"rebar", nil, bern, objective.LinQuad{A: 0.5, Q: -2}},
		{"relax", map[string]string{"hidden": "3"}, bern, objective.LinQuad{A: 0.5, Q: -2}},
	}
	var out []struct {
		name  string
		used  Stateful
		fresh func() Stateful
	}
	for _, c := range cases {
		fresh := func() Stateful {
			e, err := New(c.name, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			return e.(Stateful)
		}
		e := fresh()
		g := make([]float64, c.p.NumParams())
		rng := rand.New(rand.NewPCG(1, 2))
		for range 40 {
			if _, err := e.Estimate(g, c.p, c.f, 2, rng); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		out = append(out, struct {
			name  string
			used  Stateful
			fresh func() Stateful
		}{c.name + optString(c.opts), e, fresh})
	}
	return out
}

func optString(opts map[string]string) string {
	s := ""
	for k, v := range opts {
		s += "/" + k + "=" + v
	}
	return s
}

// TestStateRejectsBadData checks that every built-in stateful estimator
// rejects empty, truncated, corrupt, wrong-version, trailing and
// other-kind data with an error that says so, without panicking and
// without changing its state.
func TestStateRejectsBadData(t *testing.T) {
	cases := statefulCases(t)
	for _, c := range cases {
		data, err := c.used.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var other []byte
		for _, o := range cases {
			if o.used.Info().Name != c.used.Info().Name {
				other, _ = o.used.MarshalBinary()
				break
			}
		}
		flip := func(k int) []byte {
			d := bytes.Clone(data)
			d[k] ^= 0x10
			return d
		}
		version := bytes.Clone(data)
		version[4] = 2
		// Valid fields followed by a stray byte, with a correct checksum.
		trailing := append(bytes.Clone(data[:len(data)-4]), 0)
		trailing = (&stateEncoder{buf: trailing}).bytes()
		bad := []struct {
			what string
			data []byte
			want string
		}{
			{"empty", nil, "empty"},
			{"header only", data[:5], "truncated"},
			{"garbage", []byte("not a state at all"), "bad header"},
			{"wrong version", version, "version 2"},
			{"flipped byte in the kind", flip(7), "checksum"},
			{"flipped last byte", flip(len(data) - 1), "checksum"},
			{"trailing byte", trailing, "unexpected bytes"},
			{"another estimator's", other, "saved by estimator"},
		}
		for l := range len(data) {
			bad = append(bad, struct {
				what string
				data []byte
				want string
			}{"truncated", data[:l], ""})
		}
		target := c.fresh()
		before, _ := target.MarshalBinary()
		for _, b := range bad {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s: %s data (%d bytes): panic %v", c.name, b.what, len(b.data), r)
					}
				}()
				err := target.UnmarshalBinary(b.data)
				switch {
				case err == nil:
					t.Errorf("%s: %s data (%d bytes) accepted", c.name, b.what, len(b.data))
				case !strings.Contains(err.Error(), b.want):
					t.Errorf("%s: %s data: error %q, want it to say %q", c.name, b.what, err, b.want)
				}
			}()
			if after, _ := target.MarshalBinary(); !bytes.Equal(after, before) {
				t.Fatalf("%s: a failed UnmarshalBinary (%s data) changed the state", c.name, b.what)
			}
		}
		if err := target.UnmarshalBinary(data); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestStateRejectsOtherOptions checks that a state is not restored into an
// estimator built with other options.
func TestStateRejectsOtherOptions(t *testing.T) {
	for _, c := range []struct {
		name   string
		saved  map[string]string
		target map[string]string
		want   string
	}{
		{"score+ma", map[string]string{"decay": "0.9"}, map[string]string{"decay": "0.5"}, "decay"},
		{"score+optimal", nil, map[string]string{"decay": "0.5"}, "decay"},
		{"delta", nil, map[string]string{"base": "pathwise"}, "pathwise"},
		{"rebar", nil, map[string]string{"tune_tau": "false"}, "tune_tau"},
		{"rebar", nil, map[string]string{"lr": "0.1"}, "lr"},
		{"relax", nil, map[string]string{"hidden": "4"}, "hidden"},
	} {
		a, err := New(c.name, c.saved)
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(c.name, c.target)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := MarshalState(a)
		if err := UnmarshalState(b, data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v into %v: error %v, want one naming %s", c.name, c.saved, c.target, err, c.want)
		}
	}
}

// TestStateRoundTripSpecialValues checks that non-finite and signed-zero
// state values survive a checkpoint bit for bit.
func TestStateRoundTripSpecialValues(t *testing.T) {
	for _, v := range specialFloats {
		a, _ := NewScoreMA(0.9)
		a.b, a.init = v, true
		d, _ := NewDelta("score", 1)
		d.pastNum, d.pastDen, d.pastCount = []float64{v, 1}, []float64{2, v}, v
		for _, e := range []Stateful{a, d} {
			data, err := MarshalState(e)
			if err != nil {
				t.Fatal(err)
			}
			var c Stateful
			switch e.(type) {
			case *ScoreMA:
				c, _ = NewScoreMA(0.9)
			case *Delta:
				c, _ = NewDelta("score", 1)
			}
			if err := UnmarshalState(c, data); err != nil {
				t.Fatalf("%s with %v: %v", e.Info().Name, v, err)
			}
			if again, _ := c.MarshalBinary(); !bytes.Equal(again, data) {
				t.Errorf("%s with %v (bits %#x): restored state encodes differently", e.Info().Name, v, math.Float64bits(v))
			}
		}
	}
}

func TestStateHelpersStateless(t *testing.T) {
	e, err := New("score", nil)
	if err != nil {
		t.Fatal(err)
	}
	if Snapshot(e) != e {
		t.Errorf("Snapshot of a stateless estimator is not itself")
	}
	if data, err := MarshalState(e); data != nil || err != nil {
		t.Errorf("MarshalState = %v, %v; want nil, nil", data, err)
	}
	if err := UnmarshalState(e, nil); err != nil {
		t.Errorf("UnmarshalState(nil) = %v", err)
	}
	sm, _ := NewScoreMA(0.9)
	data, _ := sm.MarshalBinary()
	if err := UnmarshalState(e, data); err == nil || !strings.Contains(err.Error(), "stateless") {
		t.Errorf("UnmarshalState of a score+ma state into score: %v, want a stateless error", err)
	}
	if err := UnmarshalState(sm, nil); err == nil {
		t.Errorf("UnmarshalState(score+ma, nil) succeeded")
	}
}

// TestRelaxCVFixedIsStateless checks that rebar and relax with lr = 0 are
// registered as stateless estimators, and with lr > 0 as stateful ones.
func TestRelaxCVFixedIsStateless(t *testing.T) {
	for _, name := range []string{"rebar", "relax"} {
		for _, lr := range []string{"0", "0.01"} {
			e, err := New(name, map[string]string{"lr": lr})
			if err != nil {
				t.Fatal(err)
			}
			_, ok := e.(Stateful)
			if ok != e.Info().Stateful || ok != (lr != "0") {
				t.Errorf("%s lr=%s: Stateful %v, Info().Stateful %v", name, lr, ok, e.Info().Stateful)
			}
		}
	}
}

// TestSnapshotFrozen checks that a snapshot of each built-in stateful
// estimator encodes the original's state plus the frozen flag, keeps it
// through estimates, and that its Reset does not thaw it.
func TestSnapshotFrozen(t *testing.T) {
	bern, _ := dist.NewBernoulliVec([]float64{0.3, -0.7})
	norm, _ := dist.NewNormal(0.5, 1.5)
	for _, c := range statefulCases(t) {
		s, ok := c.used.Snapshot().(Stateful)
		if !ok {
			t.Fatalf("%s: Snapshot is not Stateful", c.name)
		}
		before, _ := s.MarshalBinary()
		var p dist.Distribution = norm
		var f objective.Objective = objective.Cos{K: 1}
		if strings.HasPrefix(c.name, "re") {
			p, f = bern, objective.LinQuad{A: 0.5, Q: -2}
		}
		g := make([]float64, p.NumParams())
		rng := rand.New(rand.NewPCG(3, 4))
		for range 5 {
			if _, err := s.Estimate(g, p, f, 2, rng); err != nil {
				t.Fatal(err)
			}
		}
		if after, _ := s.MarshalBinary(); !bytes.Equal(after, before) {
			t.Errorf("%s: a snapshot's state changed over 5 estimates", c.name)
		}
		// Restoring the snapshot's state gives a frozen estimator.
		r := c.fresh()
		if err := r.UnmarshalBinary(before); err != nil {
			t.Fatal(err)
		}
		r.Reset()
		if _, err := r.Estimate(g, p, f, 2, rng); err != nil { // rebar and relax size their state
			t.Fatal(err)
		}
		mid, _ := r.MarshalBinary()
		for range 5 {
			if _, err := r.Estimate(g, p, f, 2, rng); err != nil {
				t.Fatal(err)
			}
		}
		if after, _ := r.MarshalBinary(); !bytes.Equal(after, mid) {
			t.Errorf("%s: an estimator restored from a snapshot's state, then Reset, is not frozen", c.name)
		}
	}
}
