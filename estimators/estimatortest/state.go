package estimatortest

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gradbench/gradbench/estimators"
)

// stateWarmup is the number of estimates a stateful estimator makes before
// its state is saved or snapshotted: enough for every built-in to leave its
// initial regime (delta uses its estimated coefficient after 32 samples).
const stateWarmup = 50

// stateReps is the number of estimates compared bit for bit after a state
// is restored or a snapshot is used.
const stateReps = 16

// checkStatefulDeclared checks that Info().Stateful holds exactly when e
// implements estimators.Stateful, and the helpers' behaviour on a stateless
// estimator.
func checkStatefulDeclared(t *testing.T, e estimators.Estimator) {
	t.Helper()
	info := e.Info()
	_, ok := e.(estimators.Stateful)
	switch {
	case info.Stateful && !ok:
		t.Errorf("Info().Stateful is true but %T does not implement estimators.Stateful (Reset, Snapshot, MarshalBinary, UnmarshalBinary)", e)
	case !info.Stateful && ok:
		t.Errorf("%T implements estimators.Stateful but Info().Stateful is false", e)
	case !ok:
		if s := estimators.Snapshot(e); s != e {
			t.Errorf("estimators.Snapshot of a stateless estimator is not the estimator itself")
		}
		if data, err := estimators.MarshalState(e); data != nil || err != nil {
			t.Errorf("estimators.MarshalState of a stateless estimator = %d bytes, %v; want nil, nil", len(data), err)
		}
		if err := estimators.UnmarshalState(e, nil); err != nil {
			t.Errorf("estimators.UnmarshalState(stateless, nil) = %v, want nil", err)
		}
		if err := estimators.UnmarshalState(e, []byte{1}); err == nil {
			t.Errorf("estimators.UnmarshalState(stateless, 1 byte) succeeded, want an error")
		}
	}
}

// errPanic is wrapped by the error of an UnmarshalBinary that panicked.
var errPanic = errors.New("panic")

// stateRNG returns the generator of stream k of the state checks on fx.
func stateRNG(fx Fixture, k uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(fx.Name))
	return rand.New(rand.NewPCG(seed^(0x5354415445<<8|k), h.Sum64()))
}

// sameBits reports whether a and b are equal bit for bit.
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// checkState checks the Stateful contract of the estimators built by newEst
// on fixture fx with n samples per estimate:
//
//   - after 0 and stateWarmup estimates, MarshalBinary → UnmarshalBinary into
//     a fresh estimator, and into one that has made estimates of its own,
//     gives the next stateReps estimates bit for bit from the same random
//     stream, and re-encodes to the same bytes;
//   - UnmarshalBinary of every truncation of the data fails without
//     panicking and leaves the estimator's state unchanged;
//   - a Snapshot's first estimate is the original's next one; its estimates
//     do not change its state (the same stream gives the same estimate after
//     extra calls, and agrees with a second snapshot that made none); calling
//     it leaves the original's state unchanged (its next estimates equal
//     those of an untouched twin); and the original's later estimates do not
//     change a snapshot.
func checkState(t *testing.T, newEst func(*testing.T) estimators.Estimator, fx Fixture, n int) {
	fresh := func() estimators.Stateful {
		t.Helper()
		s, ok := newEst(t).(estimators.Stateful)
		if !ok {
			t.Fatalf("a second estimator from New does not implement estimators.Stateful")
		}
		return s
	}
	grad := make([]float64, fx.P.NumParams())
	draw := func(e estimators.Estimator, m int, rng *rand.Rand) []float64 {
		t.Helper()
		out := make([]float64, 0, m*len(grad))
		for range m {
			if _, err := e.Estimate(grad, fx.P, fx.F, n, rng); err != nil {
				t.Fatalf("Estimate: %v", err)
			}
			out = append(out, grad...)
		}
		return out
	}
	marshal := func(e estimators.Stateful) []byte {
		t.Helper()
		data, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary: %v", err)
		}
		return data
	}
	// unmarshal calls UnmarshalBinary, turning a panic into an error that
	// wraps errPanic.
	unmarshal := func(e estimators.Stateful, data []byte) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: %v", errPanic, r)
			}
		}()
		return e.UnmarshalBinary(data)
	}

	// Round trip, from the initial state and after a warm-up.
	var saved []byte
	for _, warm := range []int{0, stateWarmup} {
		a := fresh()
		draw(a, warm, stateRNG(fx, 1))
		data, err := estimators.MarshalState(a)
		if err != nil {
			t.Fatalf("MarshalState after %d estimates: %v", warm, err)
		}
		if len(data) == 0 {
			t.Errorf("MarshalState of a stateful estimator after %d estimates is empty", warm)
		}
		b, c := fresh(), fresh()
		draw(c, stateWarmup, stateRNG(fx, 2)) // a state of its own, to be overwritten
		if err := estimators.UnmarshalState(b, data); err != nil {
			t.Fatalf("UnmarshalState of MarshalState's data (after %d estimates) into a fresh estimator: %v", warm, err)
		}
		if err := unmarshal(c, data); err != nil {
			t.Fatalf("UnmarshalBinary of MarshalBinary's data (after %d estimates) into a used estimator: %v", warm, err)
		}
		if again := marshal(b); !bytes.Equal(again, data) {
			t.Errorf("after %d estimates: MarshalBinary of the restored estimator gives other bytes (%d, want %d): the state is not fully restored or its encoding is not canonical", warm, len(again), len(data))
		}
		ga := draw(a, stateReps, stateRNG(fx, 3))
		if !sameBits(ga, draw(b, stateReps, stateRNG(fx, 3))) {
			t.Errorf("state saved after %d estimates and restored into a fresh estimator: the next %d estimates differ from the original's on the same random stream", warm, stateReps)
		}
		if !sameBits(ga, draw(c, stateReps, stateRNG(fx, 3))) {
			t.Errorf("state saved after %d estimates and restored into a used estimator: the next %d estimates differ from the original's on the same random stream", warm, stateReps)
		}
		saved = data
	}

	// Truncated data.
	target := fresh()
	draw(target, stateWarmup, stateRNG(fx, 2))
	before := marshal(target)
	accepted, panicked, changed := -1, "", false
	for l := range len(saved) {
		err := unmarshal(target, saved[:l])
		switch {
		case err == nil:
			if accepted < 0 {
				accepted = l
			}
		case errors.Is(err, errPanic):
			if panicked == "" {
				panicked = fmt.Sprintf("%d of %d bytes: %v", l, len(saved), err)
			}
		}
		if !changed && !bytes.Equal(marshal(target), before) {
			changed = true
			if err != nil {
				t.Errorf("a failed UnmarshalBinary (data truncated to %d of %d bytes: %v) changed the estimator's state", l, len(saved), err)
			}
			// Restore the state for the remaining lengths.
			if err := unmarshal(target, before); err != nil {
				t.Fatalf("UnmarshalBinary of MarshalBinary's data: %v", err)
			}
		}
	}
	if accepted >= 0 {
		t.Errorf("UnmarshalBinary accepts the state truncated to %d of %d bytes", accepted, len(saved))
	}
	if panicked != "" {
		t.Errorf("UnmarshalBinary of truncated data panics: %s", panicked)
	}

	// Snapshots.
	a, twin, ref := fresh(), fresh(), fresh()
	for _, e := range []estimators.Estimator{a, twin, ref} {
		draw(e, stateWarmup, stateRNG(fx, 1))
	}
	s1 := estimators.Snapshot(a)
	g1 := draw(s1, 1, stateRNG(fx, 4))
	if !sameBits(g1, draw(ref, 1, stateRNG(fx, 4))) {
		t.Errorf("a Snapshot's first estimate differs from the original's next one on the same random stream: the snapshot is not in the original's state")
	}
	draw(s1, stateReps, stateRNG(fx, 5))
	if !sameBits(g1, draw(s1, 1, stateRNG(fx, 4))) {
		t.Errorf("a Snapshot's estimates change its state: it is not frozen (after %d more calls, the same random stream gives another estimate)", stateReps)
	}
	s2 := estimators.Snapshot(a)
	if !sameBits(draw(a, stateReps, stateRNG(fx, 6)), draw(twin, stateReps, stateRNG(fx, 6))) {
		t.Errorf("using a Snapshot changed the original's state: its next %d estimates differ from those of an untouched twin", stateReps)
	}
	if !sameBits(g1, draw(s2, 1, stateRNG(fx, 4))) {
		t.Errorf("a Snapshot changes when the original makes estimates: it shares the original's state")
	}
	if !sameBits(draw(s1, stateReps, stateRNG(fx, 7)), draw(s2, stateReps, stateRNG(fx, 7))) {
		t.Errorf("two Snapshots of the same state disagree on the same random stream after one of them made %d calls and the other 1: a snapshot is not frozen", stateReps+2)
	}
}
