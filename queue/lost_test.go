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

// Redis losing its data while a task runs removes asynq's hash for the task; the worker's
// result write then recreates that hash with the result alone, which asynq cannot read (it
// has no state). The task ran: reading it answers its outcome, never an internal error.
func TestResultWrittenAfterTheTaskHashWasLost(t *testing.T) {
	release := make(chan struct{})
	exec := &scripted{release: release, answer: func(int32, broker.TaskSpec) (json.RawMessage, error) {
		return json.RawMessage(`{"ran":true}`), nil
	}}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, true)
	ctx := context.Background()
	sub, err := r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); exec.calls.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the task never started")
		}
	}
	rdb := r.red.CheckedClient(t)
	taskHash := "asynq:{" + queue.DefaultQueue + "}:t:" + sub.ID
	// What Redis losing its data does to the task: its queue's keys (hash, active list, lease)
	// are gone; its record, in another slot, stays.
	queueKeys, err := rdb.Keys(ctx, "asynq:{"+queue.DefaultQueue+"}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range queueKeys {
		if err := rdb.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	for deadline := time.Now().Add(10 * time.Second); rdb.HExists(ctx, taskHash, "result").Val() == false; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the worker never wrote its result")
		}
	}
	got, err := r.q.Get(ctx, sub.ID)
	if err != nil {
		t.Fatalf("Get after the result recreated the hash: %v; want the task's outcome", err)
	}
	if got.State != broker.TaskSucceeded || string(got.Result) != `{"ran":true}` {
		t.Errorf("got %s %s, want succeeded with the executor's result", got.State, got.Result)
	}
	if n := rdb.Exists(ctx, taskHash).Val(); n != 0 {
		t.Errorf("the stray hash is still there after its outcome moved into the record")
	}
	if again, err := r.q.Get(ctx, sub.ID); err != nil || again.State != broker.TaskSucceeded {
		t.Errorf("Get again, from the record: %s %v, want succeeded", again.State, err)
	}

	// A hash left with neither task nor a readable result: the task reads as lost.
	sub, err = r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.q, sub.ID)
	taskHash = "asynq:{" + queue.DefaultQueue + "}:t:" + sub.ID
	if err := rdb.Del(ctx, taskHash).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, taskHash, "result", "not an outcome").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.q.Get(ctx, sub.ID); !errors.Is(err, model.ErrLost) {
		t.Errorf("Get with an unreadable stray hash: %v, want ErrLost", err)
	}
}
