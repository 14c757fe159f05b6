package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

// scripted is an Executor whose answers the test chooses: it stands in for a driver so these
// tests exercise asynq and Redis, which are real.
type scripted struct {
	calls   atomic.Int32
	answer  func(call int32, spec broker.TaskSpec) (json.RawMessage, error)
	release chan struct{} // if set, each call waits for it
	aborted atomic.Int32  // calls that ended because their context did
}

func (s *scripted) Execute(ctx context.Context, spec broker.TaskSpec) (json.RawMessage, error) {
	n := s.calls.Add(1)
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			s.aborted.Add(1)
			return nil, ctx.Err()
		}
	}
	return s.answer(n, spec)
}

type rig struct {
	q   *queue.Queue
	w   *queue.Worker
	red *redistest.Server
	rdb redis.UniversalClient // q's and w's client
}

func setup(t *testing.T, exec queue.Executor, cfg queue.Config, start bool) rig {
	t.Helper()
	red := redistest.Start(t)
	rdb := red.CheckedClient(t)
	q := queue.New(rdb, cfg)
	t.Cleanup(func() { q.Close() })
	w := queue.NewWorker(rdb, exec, queue.WorkerConfig{PollInterval: 10 * time.Millisecond, RetryDelay: 10 * time.Millisecond, ShutdownTimeout: 2 * time.Second})
	if start {
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Shutdown)
		awaitCancelSubscription(t, rdb)
	}
	return rig{q: q, w: w, red: red, rdb: rdb}
}

// awaitCancelSubscription waits until the worker's asynq servers listen for cancellations: each
// subscribes in the background after Start, and a cancel published before that never reaches
// a run on it. A default worker has three: two task servers (DequeueLoops) and a watch server.
func awaitCancelSubscription(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	const servers = 3
	wait.For(t, 10*time.Second, "asynq's cancel subscriptions", func() bool {
		n, err := rdb.PubSubNumSub(context.Background(), "asynq:cancel").Result()
		return err == nil && n["asynq:cancel"] >= servers
	})
}

func waitDone(t *testing.T, q *queue.Queue, id string) broker.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	task, err := q.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait(%s): %v (state %s)", id, err, task.State)
	}
	return task
}

var spec = broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p1", VMID: "0123456789abcdef0123456789abcdef", NativeID: "vm-42"}

func TestPendingThenSucceeded(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) {
		return json.RawMessage(`{"vmid":"x","disks":[]}`), nil
	}}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, false)
	ctx := context.Background()
	sub, err := r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.ID) != 32 {
		t.Errorf("task id %q, want 32 hex", sub.ID)
	}
	pending, err := r.q.Get(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pending.State != broker.TaskPending {
		t.Errorf("before any worker: state %s, want pending", pending.State)
	}
	if got := pending.ExpireTime.Sub(pending.InsertTime); got != time.Hour {
		t.Errorf("ExpireTime - InsertTime = %s, want the retention 1h", got)
	}
	if diff := cmp.Diff(spec, pending.Spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if err := r.w.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.w.Shutdown()
	done := waitDone(t, r.q, sub.ID)
	if done.State != broker.TaskSucceeded || string(done.Result) != `{"vmid":"x","disks":[]}` {
		t.Errorf("done = %s %s, want succeeded with the executor's result", done.State, done.Result)
	}
	if done.UpdateTime.Before(done.InsertTime) {
		t.Errorf("UpdateTime %v before InsertTime %v", done.UpdateTime, done.InsertTime)
	}
}

func TestRetryPolicy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      error // returned by the first `failures` calls
		failures  int32
		maxRetry  int
		wantState broker.TaskState
		wantCalls int32
		wantKind  error
	}{
		{"transient error is retried", model.Errorf(model.ErrUnavailable, "vcenter down"), 2, 3, broker.TaskSucceeded, 3, nil},
		{"not found is not retried", model.Errorf(model.ErrNotFound, "vm vm-42"), 5, 3, broker.TaskFailed, 1, model.ErrNotFound},
		{"unsupported is not retried", model.Errorf(model.ErrUnsupported, "no disks"), 5, 3, broker.TaskFailed, 1, model.ErrUnsupported},
		{"retries run out", model.Errorf(model.ErrUnavailable, "vcenter down"), 99, 2, broker.TaskFailed, 3, model.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec := &scripted{answer: func(n int32, _ broker.TaskSpec) (json.RawMessage, error) {
				if n <= tc.failures {
					return nil, tc.fail
				}
				return json.RawMessage(`{}`), nil
			}}
			r := setup(t, exec, queue.Config{MaxRetry: tc.maxRetry}, true)
			sub, err := r.q.Submit(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			done := waitDone(t, r.q, sub.ID)
			if done.State != tc.wantState {
				t.Fatalf("state %s (err %v), want %s", done.State, done.Err, tc.wantState)
			}
			if got := exec.calls.Load(); got != tc.wantCalls {
				t.Errorf("executor ran %d times, want %d", got, tc.wantCalls)
			}
			if tc.wantKind != nil && !errors.Is(done.Err, tc.wantKind) {
				t.Errorf("task error %v does not wrap %v after the trip through Redis", done.Err, tc.wantKind)
			}
		})
	}
}

func TestWaitTimesOutWithTaskAsItStands(t *testing.T) {
	exec := &scripted{release: make(chan struct{}), answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, exec, queue.Config{}, true)
	defer close(exec.release)
	sub, err := r.q.Submit(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got, err := r.q.Wait(ctx, sub.ID)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait error = %v, want deadline exceeded", err)
	}
	if got.ID != sub.ID || got.State.Done() {
		t.Errorf("Wait returned %s in state %s, want the unfinished task", got.ID, got.State)
	}
}

func TestUnknownTaskIsNotFound(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{}, false)
	_, err := r.q.Get(context.Background(), "0123456789abcdef0123456789abcdef")
	if !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func TestRetentionExpiresTask(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, exec, queue.Config{Retention: time.Second}, true)
	sub, err := r.q.Submit(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.q, sub.ID)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := r.q.Get(context.Background(), sub.ID)
		if errors.Is(err, model.ErrNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still readable 10s after a 1s retention (err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A finished task's result survives the broker (its Queue and Worker) going away and a new
// one starting on the same Redis, and survives a Redis restart too (AOF).
func TestResultSurvivesRestarts(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{"n":1}`), nil }}
	r := setup(t, exec, queue.Config{}, true)
	sub, err := r.q.Submit(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.q, sub.ID)
	r.w.Shutdown()
	r.q.Close()
	r.red.Restart(t)

	q2 := queue.New(r.red.CheckedClient(t), queue.Config{})
	defer q2.Close()
	got, err := q2.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != broker.TaskSucceeded || string(got.Result) != `{"n":1}` {
		t.Errorf("after restarts: %s %s, want succeeded {\"n\":1}", got.State, got.Result)
	}
}

func TestRedisDownIsUnavailable(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{}, false)
	r.red.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := r.q.Submit(ctx, spec)
	if !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Submit with Redis down = %v, want ErrUnavailable", err)
	}
	_, err = r.q.Get(ctx, "0123456789abcdef0123456789abcdef")
	if !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Get with Redis down = %v, want ErrUnavailable", err)
	}
}
