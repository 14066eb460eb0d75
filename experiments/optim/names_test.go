package optim

import (
	"strings"
	"testing"
)

// TestNames checks that New and NewSchedule know every name of Optimizers
// and Schedules, the lists specs are checked against, and list them when
// given another.
func TestNames(t *testing.T) {
	t.Parallel()
	for _, name := range Optimizers {
		if _, err := New(name, 0); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
	for _, name := range Schedules {
		if _, err := NewSchedule(name, 0.1, 10); err != nil {
			t.Errorf("NewSchedule(%q): %v", name, err)
		}
	}
	if _, err := New("rmsprop", 0); err == nil || !strings.Contains(err.Error(), strings.Join(Optimizers, ", ")) {
		t.Errorf("New(rmsprop): %v", err)
	}
}
