// Package wait is the tests' one way to wait for a condition instead of sleeping.
package wait

import (
	"testing"
	"time"
)

// Interval is how often conditions are checked.
const Interval = 20 * time.Millisecond

// For fails t unless ok holds within bound, checking it every Interval.
func For(t testing.TB, bound time.Duration, what string, ok func() bool) {
	t.Helper()
	if !Within(bound, ok) {
		t.Fatalf("%s: not within %v", what, bound)
	}
}

// Within reports whether ok held within bound, checking it every Interval.
func Within(bound time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(bound)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(Interval)
	}
	return true
}
