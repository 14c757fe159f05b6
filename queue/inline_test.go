package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
)

// inlineRig is a queue that runs waited-for tasks on its own worker (started if start), and a
// waited-for task submitted on it.
func inlineRig(t *testing.T, exec *scripted, cfg queue.Config, start bool) (rig, broker.Task) {
	t.Helper()
	r := setup(t, exec, cfg, start)
	r.q.ServeInline(r.w)
	sub, err := r.q.Submit(context.Background(), spec, broker.Waited())
	if err != nil {
		t.Fatal(err)
	}
	return r, sub
}

func holding() *scripted {
	return &scripted{release: make(chan struct{}), answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
}

// A waited-for task runs at once in the process that accepted it, with no worker polling (the
// asynq server is not even started), and is recorded like any task; one nobody waits for
// goes to the queue.
func TestInlineRunsWaitedTasks(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{"disks":[]}`), nil }}
	r, sub := inlineRig(t, exec, queue.Config{Retention: time.Hour}, false)
	ctx := context.Background()
	got := waitDone(t, r.q, sub.ID)
	if got.State != broker.TaskSucceeded || string(got.Result) != `{"disks":[]}` || exec.calls.Load() != 1 {
		t.Errorf("waited task: %s %s after %d runs; want succeeded once", got.State, got.Result, exec.calls.Load())
	}
	rdb := r.red.Client(t)
	if n := rdb.Exists(ctx, "asynq:{"+queue.DefaultQueue+"}:t:"+sub.ID).Val(); n != 0 {
		t.Errorf("an inline task also went to asynq")
	}
	if err := r.q.Cancel(ctx, sub.ID, "admin"); !errors.Is(err, model.ErrConflict) {
		t.Errorf("Cancel of a finished inline task: %v, want conflict", err)
	}

	async, err := r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.q.Get(ctx, async.ID); err != nil || got.State != broker.TaskPending {
		t.Errorf("a task nobody waits for: %s %v, want pending in its queue", got.State, err)
	}
}

// While it runs an inline task reads as running and can be canceled: its run ends and the
// task reads canceled, as a queued task's would.
func TestInlineCancel(t *testing.T) {
	exec := holding()
	r, sub := inlineRig(t, exec, queue.Config{Retention: time.Hour}, false)
	ctx := context.Background()
	if got, err := r.q.Get(ctx, sub.ID); err != nil || got.State != broker.TaskRunning {
		t.Fatalf("inline task while it runs: %s %v, want running", got.State, err)
	}
	if err := r.q.Cancel(ctx, sub.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	got := waitDone(t, r.q, sub.ID)
	if got.State != broker.TaskCanceled || got.Err == nil || got.Err.Kind != "canceled" {
		t.Errorf("canceled inline task: %s %v, want canceled", got.State, got.Err)
	}
	r.w.Shutdown() // waits for the run to end
	if n := exec.aborted.Load(); n != 1 {
		t.Errorf("runs ended by the cancellation: %d, want 1", n)
	}
	if got, err := r.q.Get(ctx, sub.ID); err != nil || got.State != broker.TaskCanceled {
		t.Errorf("after its run ended: %s %v, want canceled", got.State, err)
	}
}

// What an inline run cannot finish goes to the queue under the same id: a provider at its
// cap, a transient error with retries left. A worker then runs it.
func TestInlineHandsOff(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first error
	}{
		{"provider busy", broker.ErrProviderBusy},
		{"transient error", model.Errorf(model.ErrUnavailable, "vcenter down")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec := &scripted{answer: func(n int32, _ broker.TaskSpec) (json.RawMessage, error) {
				if n == 1 {
					return nil, tc.first
				}
				return json.RawMessage(`{"second":true}`), nil
			}}
			r, sub := inlineRig(t, exec, queue.Config{Retention: time.Hour, MaxRetry: 2}, true)
			got := waitDone(t, r.q, sub.ID)
			if got.State != broker.TaskSucceeded || string(got.Result) != `{"second":true}` || exec.calls.Load() != 2 {
				t.Errorf("got %s %s after %d runs, want succeeded on the queue's run", got.State, got.Result, exec.calls.Load())
			}
		})
	}
}

// An inline run whose process died leaves a lease that ends: the task then reads as lost
// (whether it ran is unknown), never as running forever.
func TestInlineLeaseEnded(t *testing.T) {
	exec := holding()
	r, sub := inlineRig(t, exec, queue.Config{Retention: time.Hour}, false)
	ctx := context.Background()
	// What a process that died leaves: a lease nobody renews (set in the past here).
	rdb := r.red.Client(t)
	if err := rdb.HSet(ctx, "cb:task:{"+sub.ID+"}", "inline", time.Now().Add(-time.Hour).UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.q.Get(ctx, sub.ID); !errors.Is(err, model.ErrLost) {
		t.Errorf("Get with an ended lease: %v, want lost", err)
	}
	close(exec.release)
}
