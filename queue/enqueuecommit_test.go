package queue_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/test/redistest"
)

// roundTrips counts what a client sends: each command or pipeline is one round trip.
type roundTrips struct{ n atomic.Int64 }

func (*roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// untargeted is a task with no target, so it is indexed as nobody's job (jobs.go).
var untargeted = broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"}

// A fresh task's record goes with its enqueue: one round trip submits it, and what is written
// is the record and asynq's task, as when they went one after the other.
func TestSubmitSendsRecordWithEnqueue(t *testing.T) {
	red := redistest.Start(t)
	rdb := red.Client(t)
	ctx := context.Background()
	q := queue.New(rdb, queue.Config{Retention: time.Hour})
	t.Cleanup(func() { q.Close() })
	if _, err := q.Submit(ctx, untargeted); err != nil { // asynq registers the queue's name once
		t.Fatal(err)
	}
	trips := &roundTrips{}
	rdb.AddHook(trips)
	sub, err := q.Submit(ctx, untargeted)
	if err != nil {
		t.Fatal(err)
	}
	if n := trips.n.Load(); n != 1 {
		t.Errorf("round trips to submit a fresh task: %d, want 1", n)
	}
	got, err := q.Get(ctx, sub.ID)
	if err != nil || got.State != broker.TaskPending || got.Spec.Type != untargeted.Type {
		t.Errorf("submitted task reads %s %v, want pending", got.State, err)
	}
}

// After Redis lost its scripts (a restart), asynq's enqueue fails in the pipeline and goes again
// as EVAL. The record the pipeline wrote before it (the record's script was loaded again by an
// inline run) is undone and written after the enqueue, and the task stands.
func TestSubmitAfterScriptsLost(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, false)
	r.q.ServeInline(r.w)
	rdb := r.red.Client(t)
	ctx := context.Background()
	if _, err := r.q.Submit(ctx, untargeted); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	inline, err := r.q.Submit(ctx, untargeted, broker.Waited()) // loads the record's script alone
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.q, inline.ID)
	sub, err := r.q.Submit(ctx, untargeted)
	if err != nil {
		t.Fatalf("Submit after SCRIPT FLUSH: %v", err)
	}
	if got, err := r.q.Get(ctx, sub.ID); err != nil || got.State != broker.TaskPending {
		t.Errorf("task submitted after SCRIPT FLUSH reads %s %v, want pending", got.State, err)
	}
}

// On a Cluster the record and asynq's task are in different slots: the record goes after the
// enqueue, and the task stands as on one server.
func TestSubmitOnClusterWritesRecordAfterEnqueue(t *testing.T) {
	cl := redistest.StartCluster(t)
	rdb := cl.Client(t)
	ctx := context.Background()
	q := queue.New(rdb, queue.Config{Retention: time.Hour})
	t.Cleanup(func() { q.Close() })
	sub, err := q.Submit(ctx, untargeted)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := q.Get(ctx, sub.ID); err != nil || got.State != broker.TaskPending {
		t.Errorf("task submitted on a Cluster reads %s %v, want pending", got.State, err)
	}
}
