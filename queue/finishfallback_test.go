package queue

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

type observed struct {
	finished atomic.Int32
}

func (*observed) Execute(context.Context, broker.TaskSpec) (json.RawMessage, error) { return nil, nil }
func (o *observed) TaskFinished(context.Context, string, broker.TaskSpec, json.RawMessage, error) {
	o.finished.Add(1)
}

// An outcome asynq never sends a script for (the task's lease lapsed, so asynq leaves the task
// to its recoverer) is written on its own after finishFallbackAfter, and observed once.
func TestOutcomeWrittenAloneWhenAsynqSendsNothing(t *testing.T) {
	rdb := redistest.Start(t).CheckedClient(t)
	ctx := context.Background()
	q := New(rdb, Config{Retention: time.Hour})
	t.Cleanup(func() { q.Close() })
	task, err := q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"}) // no worker: it stays pending
	if err != nil {
		t.Fatal(err)
	}
	obs := &observed{}
	w := NewWorker(rdb, obs, WorkerConfig{})
	if !w.pipelinesFinish {
		t.Fatal("a worker on one Redis server does not send outcomes with asynq's completion")
	}
	if ok, r := w.finishLater(ctx, task.ID, task.Spec, json.RawMessage(`{"n":1}`), nil); !ok || r != nil {
		t.Fatalf("finishLater = %v, %v; want it taken, nil for asynq", r, ok)
	}
	if rdb.HExists(ctx, keys.Record(task.ID), "outcome").Val() {
		t.Fatal("the outcome was written before asynq's script or the fallback")
	}
	wait.For(t, finishFallbackAfter+10*time.Second, "the outcome written alone", func() bool {
		return rdb.HExists(ctx, keys.Record(task.ID), "outcome").Val() && obs.finished.Load() == 1
	})
	got, err := q.Get(ctx, task.ID)
	if err != nil || got.State != broker.TaskSucceeded || string(got.Result) != `{"n":1}` {
		t.Errorf("the task reads %s %s (%v), want succeeded with its result", got.State, got.Result, err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := obs.finished.Load(); n != 1 {
		t.Errorf("observed %d times, want once", n)
	}
}
