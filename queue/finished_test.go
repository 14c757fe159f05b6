package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
	"cloudbroker/test/redistest"
)

// A finished task is read from Redis once, then from the process (finished.go); the copy
// never answers past the record's expiry or across a loss of Redis's data.
func TestFinishedTaskReadOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		retention time.Duration
		between   func(t *testing.T, red *redistest.Server, e *queue.Epoch)
		want      error // of the second read; nil: the task, with no command sent
	}{
		{"read again", time.Hour, nil, nil},
		{"record expired", 500 * time.Millisecond, func(*testing.T, *redistest.Server, *queue.Epoch) {
			time.Sleep(700 * time.Millisecond) // past the record's retention
		}, model.ErrNotFound},
		{"Redis lost its data", time.Hour, func(t *testing.T, red *redistest.Server, e *queue.Epoch) {
			red.Flush(t)
			if !e.Check(ctx) {
				t.Fatal("the check did not notice the loss")
			}
		}, model.ErrLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := redistest.Start(t)
			rdb := red.CheckedClient(t)
			e := queue.NewEpoch(rdb, time.Second, nil)
			e.Check(ctx)
			q := queue.New(rdb, queue.Config{Retention: tc.retention, Epoch: e})
			t.Cleanup(func() { q.Close() })
			want, err := q.Record(ctx, "", spec, func(context.Context) (json.RawMessage, error) { return json.RawMessage(`{"disks":[]}`), nil })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := q.Get(ctx, want.ID); err != nil {
				t.Fatal(err)
			}
			if tc.between != nil {
				tc.between(t, red, e)
			}
			m := startMonitor(t, red.Addr)
			got, err := q.Get(ctx, want.ID)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Errorf("second read: %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m.sync(t, rdb)
			if cmds := m.of(want.ID); len(cmds) != 0 {
				t.Errorf("second read sent %v to Redis, want nothing", cmds)
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.UnixMilli() == b.UnixMilli() })); diff != "" {
				t.Errorf("second read (-want +got):\n%s", diff)
			}
		})
	}
}

// Only a finished task is kept: a pending one is read from Redis each time and shows its
// outcome once it has one.
func TestUnfinishedTaskReadLive(t *testing.T) {
	exec := &scripted{release: make(chan struct{}), answer: func(int32, broker.TaskSpec) (json.RawMessage, error) {
		return json.RawMessage(`{"disks":[]}`), nil
	}}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, true)
	ctx := context.Background()
	task, err := r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.q.Get(ctx, task.ID)
	if err != nil || got.State == broker.TaskSucceeded {
		t.Fatalf("before its run: %s %v", got.State, err)
	}
	close(exec.release)
	waitDone(t, r.q, task.ID)
	if got, err = r.q.Get(ctx, task.ID); err != nil || got.State != broker.TaskSucceeded {
		t.Errorf("after its run: %s %v, want succeeded", got.State, err)
	}
}
