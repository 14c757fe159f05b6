package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/longjobs"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/test/wait"
)

// Long jobs' metadata: only for a task that exists, first write wins, expires with the task's
// record, listed oldest first, deleted for good.
func TestLongJobStore(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{Retention: time.Hour}, false)
	ctx := context.Background()
	if _, err := r.q.PutLongJob(ctx, longjobs.Job{ID: "0123456789abcdef0123456789abcdef", JobName: "x"}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a long job for no task: %v, want not found", err)
	}
	var jobs []longjobs.Job
	for _, name := range []string{"first", "second"} {
		task, err := r.q.Submit(ctx, broker.TaskSpec{Type: "test:longjob", Provider: "vc1"})
		if err != nil {
			t.Fatal(err)
		}
		j := longjobs.Job{ID: task.ID, Name: name, JobName: "APIStartVmInstanceMsg", JobData: `{"uuid":"u"}`, CreateTime: task.InsertTime.UTC()}
		got, err := r.q.PutLongJob(ctx, j)
		if err != nil || !cmp.Equal(j, got) {
			t.Fatalf("PutLongJob = %+v, %v; want %+v", got, err, j)
		}
		jobs = append(jobs, j)
	}
	again := jobs[0]
	again.Name = "renamed"
	if got, err := r.q.PutLongJob(ctx, again); err != nil || got.Name != "first" {
		t.Errorf("a second PutLongJob under one id = %+v, %v; want the first kept", got, err)
	}
	rdb := r.red.CheckedClient(t)
	recTTL, jobTTL := rdb.PTTL(ctx, keys.Record(jobs[0].ID)).Val(), rdb.PTTL(ctx, keys.LongJob(jobs[0].ID)).Val()
	if jobTTL <= 0 || jobTTL > recTTL || recTTL-jobTTL > time.Minute {
		t.Errorf("long job expires in %s, its task's record in %s: want the same", jobTTL, recTTL)
	}
	list, err := r.q.LongJobs(ctx)
	if diff := cmp.Diff(jobs, list); err != nil || diff != "" {
		t.Errorf("LongJobs (-want +got), %v:\n%s", err, diff)
	}
	if err := r.q.DeleteLongJob(ctx, jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.q.LongJob(ctx, jobs[0].ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("LongJob after delete: %v, want not found", err)
	}
	rdb.Del(ctx, keys.LongJob(jobs[1].ID)) // as if it expired
	if list, err := r.q.LongJobs(ctx); err != nil || len(list) != 0 {
		t.Errorf("LongJobs after delete and expiry = %+v, %v", list, err)
	}
	if n := rdb.ZCard(ctx, "cb:longjobs").Val(); n != 0 {
		t.Errorf("the index keeps %d ids of jobs that are gone", n)
	}
}

// A task canceled while it runs is not run again by asynq's retry of the canceled attempt: it
// ends canceled, and its outcome is recorded.
func TestCanceledRunIsNotRetried(t *testing.T) {
	exec := &scripted{release: make(chan struct{}), answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, exec, queue.Config{MaxRetry: 3}, true)
	ctx := context.Background()
	task, err := r.q.Submit(ctx, broker.TaskSpec{Type: "test:slow"})
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the driver call, not for asynq's "active": asynq marks a task active before
	// its processor listens for the task's cancel, and a cancel in that gap is honoured by the
	// record read before the run, so the driver is never called and nothing is left to abort.
	wait.For(t, 10*time.Second, "the driver call", func() bool { return exec.calls.Load() == 1 })
	if err := r.q.Cancel(ctx, task.ID, "tester"); err != nil {
		t.Fatal(err)
	}
	// The cancel reaches the running attempt through asynq's pub/sub: wait for the attempt to
	// end by it, so that a success below can only come from a retry.
	for deadline := time.Now().Add(10 * time.Second); exec.aborted.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the running attempt never saw the cancel")
		}
	}
	close(exec.release) // a retry, if one ran, would succeed at once
	// The retry comes within the test's 10ms retry delay and records the outcome; the task
	// reads canceled all along.
	rdb := r.red.CheckedClient(t)
	wait.For(t, 10*time.Second, "the retry to record the outcome", func() bool {
		tk, err := r.q.Get(ctx, task.ID)
		if err != nil || tk.State != broker.TaskCanceled {
			t.Fatalf("canceled task became %s (%v): %+v", tk.State, err, tk)
		}
		return rdb.HExists(ctx, keys.Record(task.ID), "outcome").Val()
	})
	time.Sleep(200 * time.Millisecond)
	tk, _ := r.q.Get(ctx, task.ID)
	if n := exec.calls.Load(); n != 1 || tk.State != broker.TaskCanceled || tk.Err == nil || tk.Err.Message != "task canceled by tester" {
		t.Errorf("after cancel: executed %d times, task %s %+v; want once, canceled by tester", n, tk.State, tk.Err)
	}
}
