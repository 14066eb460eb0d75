package sweep

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/store"
)

// FailedPrefix begins the skipped column of the row of a failed cell: a
// cell on which the estimator panicked. The rest of the column says where
// and with what value, e.g. "failed: estimator panicked (block 3): index
// out of range". IsFailed tells such rows from those of cells skipped as
// unsupported.
const FailedPrefix = "failed: "

// IsFailed reports whether r is the row of a failed cell (its skipped
// column begins with FailedPrefix).
func IsFailed(r *store.Row) bool { return strings.HasPrefix(r.Skipped, FailedPrefix) }

// TracebackEnv is the environment variable that, set to 1, makes the
// error of a run with failed cells carry the stack of every panic.
const TracebackEnv = "GRADBENCH_TRACEBACK"

// planBlock is the Block of a PanicError raised while Run plans the cell
// (the estimator's factory, Info or Supports), before any block.
const planBlock = -1

// PanicError is an estimator's panic on one cell, recovered by Run: the
// cell is recorded as failed and the other cells go on.
type PanicError struct {
	Estimator string // the estimator's label in the spec
	Cell      string // the cell's key (spec.Cell.Key)
	// Block is the replication block that panicked (the one with the
	// lowest index, when several did), or -1 when it panicked while Run
	// planned the cell (in its factory, Info or Supports).
	Block int
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

// where returns "block b" or "planning".
func (e *PanicError) where() string {
	if e.Block == planBlock {
		return "planning"
	}
	return fmt.Sprintf("block %d", e.Block)
}

// value returns the panic value on one line.
func (e *PanicError) value() string {
	return strings.Join(strings.Fields(fmt.Sprint(e.Value)), " ")
}

// Error returns one line naming the estimator, the cell and the panic
// value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("estimator %s panicked on cell %s (%s): %s", e.Estimator, e.Cell, e.where(), e.value())
}

// recovered returns the PanicError of the panic value v of the estimator
// on cell c, with the current stack.
func recovered(c *spec.Cell, block int, v any) *PanicError {
	return &PanicError{Estimator: c.Estimator.Label, Cell: c.Key, Block: block, Value: v, Stack: debug.Stack()}
}

// FailedError is returned by Run, together with its Result, when the
// estimator panicked on some cells. Run has still run every other cell and,
// with a folder, written all of them: the failed cells' rows are marked
// (IsFailed), and -resume (Options.Resume) reruns only the failed cells.
type FailedError struct {
	File     string        // the spec file
	Cells    int           // the number of cells of the shard
	Failures []*PanicError // in cell order
	// Traceback adds each panic's stack to the message; Run sets it when
	// $GRADBENCH_TRACEBACK is 1.
	Traceback bool
}

// Error returns one line per failed cell, naming the estimator and the
// cell; the last line also counts the failures. The stacks follow only
// with Traceback.
func (e *FailedError) Error() string {
	var b strings.Builder
	for i, f := range e.Failures {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %v", e.File, f)
		if i == len(e.Failures)-1 {
			fmt.Fprintf(&b, " [%d of %d cells failed; the others are done and written", len(e.Failures), e.Cells)
			if !e.Traceback {
				fmt.Fprintf(&b, "; %s=1 prints the stacks", TracebackEnv)
			}
			b.WriteString("]")
		}
		if e.Traceback {
			fmt.Fprintf(&b, "\n%s", strings.TrimRight(string(f.Stack), "\n"))
		}
	}
	return b.String()
}

// traceback reports whether $GRADBENCH_TRACEBACK asks for the stacks of
// panics.
func traceback() bool { return os.Getenv(TracebackEnv) == "1" }

// failedRows returns the single row of a failed cell: every statistic NaN
// and the skipped column FailedPrefix followed by where the estimator
// panicked and with what value.
func failedRows(s *spec.Spec, c spec.Cell, unbiased bool, e *PanicError) []store.Row {
	return skipRows(s, c, unbiased, fmt.Sprintf("%sestimator panicked (%s): %s", FailedPrefix, e.where(), e.value()))
}

// dropFailed removes the failed cells from done (cells read back from a
// complete results folder), so that a resumed run reruns them.
func dropFailed(done map[int][]store.Row) {
	for i, rows := range done {
		if len(rows) == 1 && IsFailed(&rows[0]) {
			delete(done, i)
		}
	}
}
