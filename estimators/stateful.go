package estimators

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Stateful is implemented by every estimator whose estimates depend on earlier
// calls (Info().Stateful is true): moving-average baselines, running
// control-variate coefficients, REBAR/RELAX's tuned parameters. It is the
// interface through which a training engine checkpoints and restores such an
// estimator and measures its variance without disturbing it. An estimator
// whose Info().Stateful is false does not implement it (the conformance kit
// checks both directions).
//
// Reset returns the estimator to its initial state; it does not change
// whether the estimator is frozen.
type Stateful interface {
	Estimator
	Resetter
	// Snapshot returns an independent estimator in the current state whose
	// Estimate never updates that state (a frozen copy): estimates of the
	// training estimator and of its snapshot then come from the same state,
	// and calling the snapshot changes neither. The snapshot shares no
	// memory with the original, so the two may be used from different
	// goroutines.
	Snapshot() Estimator
	// MarshalBinary encodes the current state (all of it that future
	// estimates depend on: baselines, coefficients, tuned parameters and
	// their optimizer moments, counters, frozen flag); UnmarshalBinary
	// restores it into an estimator built with the same options, after which
	// its estimates are bit-identical to the original's given the same
	// random stream. The same state always encodes to the same bytes.
	// UnmarshalBinary returns an error, and leaves the estimator unchanged,
	// if the data is truncated or corrupt, of another version, or was saved
	// by another kind of estimator or with other options; it never panics.
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Snapshot returns a frozen copy of e in its current state: e.Snapshot() if
// e is Stateful, else e itself, since a stateless estimator is its own frozen
// copy. In the stateless case the result is the same value as e, with the
// same scratch buffers, so the caller must not use it concurrently with e.
func Snapshot(e Estimator) Estimator {
	if s, ok := e.(Stateful); ok {
		return s.Snapshot()
	}
	return e
}

// MarshalState encodes the state of e for a checkpoint: e.MarshalBinary() if
// e is Stateful, else nil (a stateless estimator has no state).
func MarshalState(e Estimator) ([]byte, error) {
	if s, ok := e.(Stateful); ok {
		return s.MarshalBinary()
	}
	return nil, nil
}

// UnmarshalState restores into e a state encoded by MarshalState from an
// estimator built with the same name and options. For a stateless e, data
// must be empty; for a Stateful one it is e.UnmarshalBinary(data), which
// fails if data is empty, corrupt or from another kind of estimator.
func UnmarshalState(e Estimator, data []byte) error {
	if s, ok := e.(Stateful); ok {
		return s.UnmarshalBinary(data)
	}
	if len(data) != 0 {
		return fmt.Errorf("estimators: %s is stateless, but the state to restore has %d bytes (saved by another estimator?)", e.Info().Name, len(data))
	}
	return nil
}

// The state encoding, shared by the built-in stateful estimators:
//
//	magic "gbst" | version byte | uvarint len + kind (the estimator's name) |
//	fields… | CRC-32 (IEEE, little-endian) of everything before it
//
// Fields are written in an order fixed by each estimator: float64s as the 8
// little-endian bytes of math.Float64bits (so NaN payloads, ±Inf and −0
// round-trip), bools as one byte 0 or 1, non-negative integers as uvarints,
// and slices as a uvarint length followed by their elements.
const (
	stateMagic   = "gbst"
	stateVersion = 1
)

// errStateTruncated is wrapped by the error of a state that ends early.
var errStateTruncated = errors.New("truncated")

// stateEncoder appends a state encoding to a byte slice.
type stateEncoder struct{ buf []byte }

// newStateEncoder starts the encoding of a state of the named estimator.
func newStateEncoder(kind string) *stateEncoder {
	e := &stateEncoder{buf: make([]byte, 0, 64)}
	e.buf = append(e.buf, stateMagic...)
	e.buf = append(e.buf, stateVersion)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(kind)))
	e.buf = append(e.buf, kind...)
	return e
}

func (e *stateEncoder) float(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

func (e *stateEncoder) bool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	e.buf = append(e.buf, b)
}

func (e *stateEncoder) uint(v int) { e.buf = binary.AppendUvarint(e.buf, uint64(v)) }

func (e *stateEncoder) floats(s []float64) {
	e.uint(len(s))
	for _, v := range s {
		e.float(v)
	}
}

// bytes appends the checksum and returns the encoding.
func (e *stateEncoder) bytes() []byte {
	return binary.LittleEndian.AppendUint32(e.buf, crc32.ChecksumIEEE(e.buf))
}

// stateDecoder reads a state encoding. Its first error sticks: later reads
// return zero values, and err reports it.
type stateDecoder struct {
	kind string
	data []byte
	err  error
}

// newStateDecoder checks the header, version, kind and checksum of data,
// which must have been encoded for the named estimator, and returns a decoder
// positioned at the first field.
func newStateDecoder(kind string, data []byte) *stateDecoder {
	d := &stateDecoder{kind: kind}
	switch {
	case len(data) == 0:
		d.err = fmt.Errorf("estimators: %s state: empty", kind)
	case len(data) < len(stateMagic)+1 || string(data[:len(stateMagic)]) != stateMagic:
		d.err = fmt.Errorf("estimators: %s state: not an estimator state (bad header)", kind)
	case data[len(stateMagic)] != stateVersion:
		d.err = fmt.Errorf("estimators: %s state: version %d, this build reads version %d", kind, data[len(stateMagic)], stateVersion)
	case len(data) < len(stateMagic)+1+4:
		d.err = fmt.Errorf("estimators: %s state: %w (%d bytes)", kind, errStateTruncated, len(data))
	default:
		body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
		if crc32.ChecksumIEEE(body) != sum {
			d.err = fmt.Errorf("estimators: %s state: checksum mismatch (%w or corrupt, %d bytes)", kind, errStateTruncated, len(data))
			break
		}
		d.data = body[len(stateMagic)+1:]
		n := d.uint(len(d.data))
		if d.err == nil && n > len(d.data) {
			d.fail("kind")
		}
		if d.err != nil {
			break
		}
		if got := string(d.data[:n]); got != kind {
			d.err = fmt.Errorf("estimators: %s state: saved by estimator %q", kind, got)
		}
		d.data = d.data[n:]
	}
	return d
}

func (d *stateDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("estimators: %s state: %w reading %s", d.kind, errStateTruncated, what)
	}
}

func (d *stateDecoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.data) < 8 {
		d.fail("a number")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.data))
	d.data = d.data[8:]
	return v
}

func (d *stateDecoder) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.data) < 1 {
		d.fail("a flag")
		return false
	}
	b := d.data[0]
	d.data = d.data[1:]
	if b > 1 {
		d.err = fmt.Errorf("estimators: %s state: flag byte %d, want 0 or 1", d.kind, b)
	}
	return b == 1
}

// uint reads a non-negative integer that must not exceed limit.
func (d *stateDecoder) uint(limit int) int {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.data)
	if k <= 0 {
		d.fail("an integer")
		return 0
	}
	d.data = d.data[k:]
	if v > uint64(limit) {
		d.err = fmt.Errorf("estimators: %s state: integer %d out of range (at most %d)", d.kind, v, limit)
		return 0
	}
	return int(v)
}

// floats reads a slice into a new slice (nil if empty).
func (d *stateDecoder) floats() []float64 {
	n := d.uint(len(d.data) / 8)
	if d.err != nil || n == 0 {
		return nil
	}
	s := make([]float64, n)
	for i := range s {
		s[i] = d.float()
	}
	return s
}

// option reads a float64 option and checks that it equals want bit for bit.
func (d *stateDecoder) option(name string, want float64) {
	if got := d.float(); d.err == nil && math.Float64bits(got) != math.Float64bits(want) {
		d.err = fmt.Errorf("estimators: %s state: saved with %s = %v, this estimator has %v", d.kind, name, got, want)
	}
}

// boolOption reads a bool option and checks that it equals want.
func (d *stateDecoder) boolOption(name string, want bool) {
	if got := d.bool(); d.err == nil && got != want {
		d.err = fmt.Errorf("estimators: %s state: saved with %s = %v, this estimator has %v", d.kind, name, got, want)
	}
}

// invalid records an inconsistency in the decoded state.
func (d *stateDecoder) invalid(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("estimators: %s state: invalid: %s", d.kind, fmt.Sprintf(format, args...))
	}
}

// finish returns the first error, or an error if bytes are left over.
func (d *stateDecoder) finish() error {
	if d.err == nil && len(d.data) != 0 {
		d.err = fmt.Errorf("estimators: %s state: %d unexpected bytes after the state", d.kind, len(d.data))
	}
	return d.err
}

// The built-in stateful estimators.
var (
	_ Stateful = (*Delta)(nil)
	_ Stateful = (*RelaxCV)(nil)
	_ Stateful = (*ScoreMA)(nil)
	_ Stateful = (*ScoreOptimal)(nil)
)
