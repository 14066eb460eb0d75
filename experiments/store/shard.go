package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrConflict is wrapped by the errors of runs and merges about the results
// folder rather than the experiment: a folder that already holds results,
// one another process is writing (the error then wraps ErrLocked too), or
// one that holds another experiment's work.
var ErrConflict = errors.New("results folder conflict")

// ShardString formats shard i of n as "i/n" (meta.json's shard field), or
// "" for an unsharded run (n ≤ 1).
func ShardString(i, n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", i, n)
}

// ParseShard parses "i/n" with 0 ≤ i < n; "" is the whole run (0, 1).
func ParseShard(s string) (i, n int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("shard %q: want i/n with 0 ≤ i < n, e.g. 0/3", s)
	}
	return i, n, nil
}
