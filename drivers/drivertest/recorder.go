package drivertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"cloudbroker/drivers"
)

// Recorder runs a Watcher's Watch in a goroutine and records every event it emits, so a test
// can wait for the events it expects (Next, Synced) and for Watch to return (Wait).
type Recorder struct {
	bound   time.Duration
	mu      sync.Mutex
	events  []drivers.VMEvent
	more    chan struct{}
	cancel  context.CancelFunc
	stopped chan struct{}
	err     error // Watch's result, once stopped is closed
}

// StartWatch starts w.Watch with a handler that records each event and returns nil. bound is
// how long Next waits for one event. When the test ends, Watch's context is cancelled and the
// test fails (t.Error) unless Watch returns within 10s.
func StartWatch(t testing.TB, w drivers.Watcher, bound time.Duration) *Recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{bound: bound, more: make(chan struct{}, 1), cancel: cancel, stopped: make(chan struct{})}
	go func() {
		defer close(r.stopped)
		r.err = w.Watch(ctx, func(ev drivers.VMEvent) error {
			r.mu.Lock()
			r.events = append(r.events, ev)
			r.mu.Unlock()
			select {
			case r.more <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.stopped:
		case <-time.After(10 * time.Second):
			t.Error("Watch did not return within 10s of cancel")
		}
	})
	return r
}

// Cancel cancels Watch's context; Wait then gives what Watch returned.
func (r *Recorder) Cancel() { r.cancel() }

// Next returns the first event at index >= from that matches, and its index. It fails the test,
// naming what it waited for, after the recorder's bound or if Watch returns first.
func (r *Recorder) Next(t testing.TB, from int, what string, match func(drivers.VMEvent) bool) (drivers.VMEvent, int) {
	t.Helper()
	deadline := time.After(r.bound)
	for {
		r.mu.Lock()
		for i := from; i < len(r.events); i++ {
			if match(r.events[i]) {
				ev := r.events[i]
				r.mu.Unlock()
				return ev, i
			}
		}
		from = len(r.events)
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-r.stopped:
			t.Fatalf("Watch returned before %s: %v", what, r.err)
		case <-deadline:
			t.Fatalf("no %s within %v", what, r.bound)
		}
	}
}

// Synced waits for the next VMSynced at or after from and returns the events before it, from
// from on, and its index.
func (r *Recorder) Synced(t testing.TB, from int) ([]drivers.VMEvent, int) {
	t.Helper()
	_, i := r.Next(t, from, "VMSynced", func(ev drivers.VMEvent) bool { return ev.Kind == drivers.VMSynced })
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]drivers.VMEvent(nil), r.events[from:i]...), i
}

// Wait waits for Watch to return and gives its error; it fails the test if Watch is still
// running after bound.
func (r *Recorder) Wait(t testing.TB, bound time.Duration) error {
	t.Helper()
	select {
	case <-r.stopped:
		return r.err
	case <-time.After(bound):
		t.Fatalf("Watch still running after %v", bound)
		return nil
	}
}

// Since returns a copy of the events recorded so far from index from on.
func (r *Recorder) Since(from int) []drivers.VMEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]drivers.VMEvent(nil), r.events[from:]...)
}
