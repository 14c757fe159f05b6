package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
	"cloudbroker/test/redistest"
)

// Every process notices Redis losing its data, runs its hooks once, and learns when it was
// lost; a process started after the loss learns it too, without running hooks.
func TestEpochNoticesDataLoss(t *testing.T) {
	red := redistest.Start(t)
	ctx := context.Background()
	var hooks [2]atomic.Int32
	var eps []*queue.Epoch
	for i := range hooks {
		e := queue.NewEpoch(red.Client(t), time.Second, nil)
		e.OnLoss(func(context.Context) { hooks[i].Add(1) })
		eps = append(eps, e)
	}
	for _, e := range eps {
		if e.Check(ctx) {
			t.Fatal("first check reported a loss")
		}
	}
	if _, known := eps[0].LostBefore(); known {
		t.Fatal("a loss is known before any")
	}
	red.Flush(t)
	before := time.Now()
	got := []bool{eps[0].Check(ctx), eps[1].Check(ctx), eps[0].Check(ctx)}
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
		t.Errorf("checks after FLUSHALL report a loss (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int32{1, 1}, []int32{hooks[0].Load(), hooks[1].Load()}); diff != "" {
		t.Errorf("hook runs per process (-want +got):\n%s", diff)
	}
	late := queue.NewEpoch(red.Client(t), time.Second, nil)
	late.Check(ctx)
	for i, e := range append(eps, late) {
		at, known := e.LostBefore()
		if !known || at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("process %d: lost before %s (known %v), want about %s", i, at, known, before)
		}
	}
	if eps[0].ReachableSince().IsZero() {
		t.Error("Redis answered every check but is not reachable")
	}
}

// A task id that names nothing answers by what it is: lost if the broker made it before Redis
// lost its data and within the retention, not found otherwise.
func TestLostOrNotFound(t *testing.T) {
	red := redistest.Start(t)
	rdb := red.Client(t)
	ctx := context.Background()
	ep := queue.NewEpoch(rdb, time.Second, nil)
	ep.Check(ctx)
	q := queue.New(rdb, queue.Config{Retention: time.Hour, Epoch: ep})
	t.Cleanup(func() { q.Close() })
	old, err := q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	red.Flush(t)
	ep.Check(ctx)
	fresh, err := q.Submit(ctx, spec) // after the loss: readable, though asynq forgot its queue
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, want string
	}{
		{"accepted before the loss", old.ID, "lost"},
		{"accepted after the loss", fresh.ID, "pending"},
		{"caller-chosen (X-Job-UUID)", "9c1b6bd0a1f64c9b8a3e2f0d5c7b1a29", "not_found"},
		{"dated past the retention", broker.NewDatedID(time.Now().Add(-2 * time.Hour)), "not_found"},
		{"dated after the loss", broker.NewDatedID(time.Now().Add(time.Minute)), "not_found"},
	}
	for _, tt := range tests {
		got := ""
		task, err := q.Get(ctx, tt.id)
		if err != nil {
			got = model.KindOf(err)
		} else {
			got = string(task.State)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
		}
	}
}

// A submission whose writes reach Redis after its deadline (Redis stalled, the call gave up)
// creates nothing: no claim, no record, no asynq task.
func TestLateSubmissionWritesNothing(t *testing.T) {
	red := redistest.Start(t)
	rdb := red.Client(t)
	ctx := context.Background()
	q := queue.New(rdb, queue.Config{Retention: time.Hour, WriteWithin: -time.Second}) // every write late
	t.Cleanup(func() { q.Close() })
	_, err := q.Submit(ctx, spec)
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("Submit with every write late: %v, want unavailable", err)
	}
	// The enqueue comes first and may land: it is removed, and asynq's set of queue names
	// (which every process registers anyway) names no task.
	keys, _ := rdb.Keys(ctx, "*").Result()
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "asynq:queues" })
	if len(keys) != 0 {
		t.Errorf("keys after a late submission: %v, want none", keys)
	}
}

// slowEnqueue holds back the answer to asynq's enqueue (after Redis ran it) for delay: a
// worker may take the task at once while its submitting call is still waiting.
type slowEnqueue struct{ delay time.Duration }

func (slowEnqueue) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h slowEnqueue) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.holdIfEnqueue(cmd)
		return err
	}
}
func (h slowEnqueue) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			h.holdIfEnqueue(cmd)
		}
		return err
	}
}

func (h slowEnqueue) holdIfEnqueue(cmd redis.Cmder) {
	if name := cmd.Name(); name == "evalsha" || name == "eval" {
		for _, a := range cmd.Args() {
			if s, ok := a.(string); ok && strings.HasPrefix(s, "asynq:{") && strings.Contains(s, "}:t:") {
				time.Sleep(h.delay)
				return
			}
		}
	}
}

// A record written after its enqueue (a chosen id's, or any on a Cluster) may land only within
// RecordWindow of the enqueue's start, whatever held the call up in between: a worker takes
// the task when the enqueue lands and waits for its record only so long. Before, the record's
// deadline counted from its own call, so an enqueue answered late let a call be told "accepted"
// after its worker had skipped the task as never submitted.
func TestRecordLandsWithinTheWorkersWait(t *testing.T) {
	red := redistest.Start(t)
	rdb := red.Client(t)
	ctx := context.Background()
	const within = 200 * time.Millisecond
	rdb.AddHook(slowEnqueue{delay: queue.RecordWindow(within) + 100*time.Millisecond})
	q := queue.New(rdb, queue.Config{Retention: time.Hour, WriteWithin: within})
	t.Cleanup(func() { q.Close() })
	_, err := q.SubmitWithID(ctx, "0123456789abcdef0123456789abcdef", spec)
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("Submit whose enqueue answered after the record window: %v, want unavailable", err)
	}
	for _, pattern := range []string{"cb:task:*", "asynq:{default}:t:*"} {
		if keys, _ := rdb.Keys(ctx, pattern).Result(); len(keys) != 0 {
			t.Errorf("keys %s after the refused submission: %v, want none", pattern, keys)
		}
	}
}

// A worker never runs a task that has no record: its submission failed after asynq took it.
func TestWorkerSkipsTaskWithoutRecord(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return nil, nil }}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, true)
	rdb := r.red.Client(t)
	payload, _ := json.Marshal(spec)
	id := queue.NewTaskID()
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(asynq.NewTask(spec.Type, payload), asynq.TaskID(id)); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := insp.GetTaskInfo(queue.DefaultQueue, id)
		if err == nil && info.State == asynq.TaskStateArchived {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task without record not archived: %+v %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := exec.calls.Load(); n != 0 {
		t.Errorf("executor ran %d times for a task without a record", n)
	}
}
