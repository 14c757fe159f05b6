package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
)

// What outlives an expired task record is removed by expired-task-indexes: asynq's archived
// copy of a failed task (kept 90 days by asynq), a job-index entry whose record was never
// written (a failed enqueue deletes the record, not the entry), a pending webhook whose hook
// expired. What still has a record stays.
func TestCleanTaskIndexesRemovesWhatOutlivesRecords(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) {
		return nil, model.Errorf(model.ErrInvalid, "no such disk")
	}}
	r := setup(t, exec, queue.Config{Retention: time.Second}, true)
	rdb := r.red.CheckedClient(t)
	ctx := context.Background()
	expired, err := r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitDone(t, r.q, expired.ID); got.State != broker.TaskFailed {
		t.Fatalf("task %s, want failed", got.State)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	// The result is written before asynq moves the task to its archive: wait for the move.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		info, err := insp.GetTaskInfo(queue.DefaultQueue, expired.ID)
		if err == nil && info.State == asynq.TaskStateArchived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("failed task in asynq: %v %v, want archived", info, err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // its record expires; asynq's archived copy does not

	// A task whose record lives: submitted (no worker picks it up on this queue) after.
	q2 := queue.New(rdb, queue.Config{Retention: time.Hour})
	t.Cleanup(func() { q2.Close() })
	live, err := q2.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p9", ClientID: "nobody", NativeID: "vm-1"})
	if err != nil {
		t.Fatal(err)
	}
	future := float64(time.Now().Add(time.Hour).UnixMilli())
	rdb.ZAdd(ctx, "cb:jobs:seeded", redis.Z{Score: future, Member: strings.Repeat("d", 32)})
	rdb.ZAdd(ctx, "cb:webhooks", redis.Z{Score: future, Member: strings.Repeat("e", 32)})

	summary, err := r.q.CleanTaskIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "removed 1 job index entries, 1 pending webhook entries, 1 archived tasks whose records expired"; summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
	if _, err := insp.GetTaskInfo(queue.DefaultQueue, expired.ID); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("archived task of an expired record: %v, want removed", err)
	}
	if n := rdb.Exists(ctx, "cb:jobs:seeded").Val() + rdb.Exists(ctx, "cb:webhooks").Val(); n != 0 {
		t.Errorf("%d seeded index keys left", n)
	}
	if got, err := q2.Get(ctx, live.ID); err != nil || got.State != broker.TaskPending {
		t.Errorf("live task after clean-up: %v %v, want pending", got.State, err)
	}
	jobs, err := q2.Jobs(ctx, []broker.Target{{Provider: "p9", NativeID: "vm-1"}})
	if err != nil || len(jobs) != 1 {
		t.Errorf("live task's job index entry: %v %v, want kept", jobs, err)
	}
}

// Two replicas schedule a job every second: it runs about once per second, not twice.
// Triggering runs it at once; deleting it on one replica stops it on both.
func TestGCSchedulesOncePerPeriodAcrossReplicas(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{}, false)
	rdb := r.red.CheckedClient(t)
	ctx := context.Background()
	var runs atomic.Int32
	job := queue.GCJobSpec{Name: "count", Interval: time.Second, Enabled: true, Run: func(context.Context) (string, error) {
		return "counted " + string(rune('0'+runs.Add(1)%10)), nil
	}}
	start := func() *queue.GC {
		g := queue.NewGC(rdb, []queue.GCJobSpec{job}, queue.GCConfig{SyncInterval: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond})
		if err := g.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.Stop)
		return g
	}
	a, b := start(), start()
	time.Sleep(3500 * time.Millisecond)
	if n := runs.Load(); n < 2 || n > 4 {
		t.Errorf("%d runs in 3.5s with a 1s interval on 2 replicas, want 2-4", n)
	}

	jobs, err := a.GCJobs(ctx)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("GCJobs: %v %v", jobs, err)
	}
	j := jobs[0]
	if j.UUID != queue.GCJobUUID("count") || j.State != queue.GCEnabled || j.Runner != "gc:count" || j.Context != `{"interval":"1s"}` {
		t.Errorf("job %+v", j)
	}

	// Delete on b: neither replica runs it any more.
	if err := b.DeleteGCJob(ctx, j.UUID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a's sync loop; a run already enqueued finds it deleted
	before := runs.Load()
	time.Sleep(2500 * time.Millisecond)
	if n := runs.Load(); n != before {
		t.Errorf("%d runs after the job was deleted", n-before)
	}
	if jobs, _ := a.GCJobs(ctx); len(jobs) != 0 {
		t.Errorf("deleted job still listed: %+v", jobs)
	}
	if err := a.TriggerGCJob(ctx, j.UUID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("trigger of a deleted job: %v, want not found", err)
	}

	// A process that starts with the job enabled brings it back; a trigger runs it at once.
	c := start()
	before = runs.Load()
	if err := c.TriggerGCJob(ctx, j.UUID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if runs.Load() == before {
		t.Error("triggered job did not run")
	}
}
