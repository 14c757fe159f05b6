package queue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/test/redistest"
)

// agentSpec is a task for the agent "agent1".
var agentSpec = broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p-agent", ClientID: "agent1", VMID: spec.VMID, NativeID: "vm-7"}

// A sync request's task for an agent rings the agent's bell: the agent takes it and runs it at
// once, though its asynq server never polls (it is not even started), and it is recorded like
// any task.
func TestBellRunsOfferedTask(t *testing.T) {
	red := redistest.Start(t)
	rdb := red.CheckedClient(t)
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{"disks":[]}`), nil }}
	agentQ := queue.New(rdb, queue.Config{Retention: time.Hour})
	t.Cleanup(func() { agentQ.Close() })
	w := queue.NewWorker(rdb, exec, queue.WorkerConfig{Queues: []string{queue.QueueFor("agent1")}, ShutdownTimeout: time.Second})
	if err := w.ServeBells(agentQ, "agent1"); err != nil {
		t.Fatal(err)
	}
	q := queue.New(rdb, queue.Config{Retention: time.Hour})
	t.Cleanup(func() { q.Close() })
	ctx := context.Background()
	sub, err := q.Submit(ctx, agentSpec, broker.Waited())
	if err != nil {
		t.Fatal(err)
	}
	got := waitDone(t, q, sub.ID)
	if got.State != broker.TaskSucceeded || string(got.Result) != `{"disks":[]}` || exec.calls.Load() != 1 {
		t.Errorf("offered task: %s %s after %d runs; want succeeded once", got.State, got.Result, exec.calls.Load())
	}
	if n := red.Client(t).Exists(ctx, "asynq:{"+queue.QueueFor("agent1")+"}:t:"+sub.ID).Val(); n != 0 {
		t.Errorf("a task the agent took also went to asynq")
	}
	// Nothing was enqueued on the agent's queue, yet asynq's inspector (the queue UI, the
	// queue-depth metric) knows it: serving bells registered it.
	depths, err := agentQ.Depths(ctx)
	if _, ok := depths[queue.QueueFor("agent1")]; err != nil || !ok {
		t.Errorf("the agent's queue is missing from asynq's queues: %v %v", depths, err)
	}
}

// An offer nobody takes goes to the queue: at once when no agent listens, after the offer's
// wait when one listens but does not take it. Either way it is pending in its queue, never lost.
func TestBellUnansweredOfferIsQueued(t *testing.T) {
	for _, listening := range []bool{false, true} {
		red := redistest.Start(t)
		rdb := red.CheckedClient(t)
		q := queue.New(rdb, queue.Config{Retention: time.Hour})
		t.Cleanup(func() { q.Close() })
		ctx := context.Background()
		if listening { // hears the bell, takes nothing
			ps := red.Client(t).Subscribe(ctx, "cb:bell:agent1")
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ps.Close() })
		}
		sub, err := q.Submit(ctx, agentSpec, broker.Waited())
		if err != nil {
			t.Fatal(err)
		}
		taskHash := "asynq:{" + queue.QueueFor("agent1") + "}:t:" + sub.ID
		for deadline := time.Now().Add(10 * time.Second); red.Client(t).Exists(ctx, taskHash).Val() == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("listening=%v: the offer never went to the queue", listening)
			}
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			got, err := q.Get(ctx, sub.ID)
			if err == nil && got.State == broker.TaskPending && !red.Client(t).HExists(ctx, "cb:task:{"+sub.ID+"}", "inline").Val() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("listening=%v: %s %v, want pending in its queue", listening, got.State, err)
			}
		}
	}
}
