package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
	"cloudbroker/test/wait"
)

// Redis losing asynq's keys while a task runs removes asynq's hash for the task. The worker
// writes the outcome into the task's record, so reading it answers its outcome, never an
// internal error, and no stray hash is left. A stray hash a worker of an older version left
// (asynq's result written into a lost hash) still reads as its outcome.
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
	record := "cb:task:{" + sub.ID + "}"
	for deadline := time.Now().Add(10 * time.Second); !rdb.HExists(ctx, record, "outcome").Val(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the worker never wrote its outcome")
		}
	}
	if got, err := r.q.Get(ctx, sub.ID); err != nil || got.State != broker.TaskSucceeded || string(got.Result) != `{"ran":true}` {
		t.Errorf("got %s %s %v, want succeeded with the executor's result", got.State, got.Result, err)
	}
	if n := rdb.Exists(ctx, taskHash).Val(); n != 0 {
		t.Errorf("the worker left a stray hash: %v", rdb.HGetAll(ctx, taskHash).Val())
	}

	// What an older worker left: the task's hash recreated with the result alone. The record
	// never held the outcome then, so another process reads it (this one kept the finished
	// task it read while waiting: finished.go).
	fresh := queue.New(rdb, queue.Config{Retention: time.Hour})
	t.Cleanup(func() { fresh.Close() })
	sub, err = r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.q, sub.ID)
	taskHash = "asynq:{" + queue.DefaultQueue + "}:t:" + sub.ID
	strayResult(t, rdb, sub.ID, taskHash, `{"ok":true,"data":{"ran":true},"finishedMs":1}`)
	got, err := fresh.Get(ctx, sub.ID)
	if err != nil || got.State != broker.TaskSucceeded || string(got.Result) != `{"ran":true}` {
		t.Errorf("Get of a stray hash's outcome: %s %s %v; want succeeded with its result", got.State, got.Result, err)
	}
	if n := rdb.Exists(ctx, taskHash).Val(); n != 0 {
		t.Errorf("the stray hash is still there after its outcome moved into the record")
	}

	// A hash left with neither task nor a readable result: the task reads as lost.
	sub, err = r.q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.q, sub.ID)
	taskHash = "asynq:{" + queue.DefaultQueue + "}:t:" + sub.ID
	strayResult(t, rdb, sub.ID, taskHash, "not an outcome")
	if _, err := fresh.Get(ctx, sub.ID); !errors.Is(err, model.ErrLost) {
		t.Errorf("Get with an unreadable stray hash: %v, want ErrLost", err)
	}
}

// strayResult leaves what an older worker left when Redis lost a task's hash while it ran:
// the hash holding its result alone, and no outcome in the record.
func strayResult(t *testing.T, rdb redis.UniversalClient, id, taskHash, result string) {
	t.Helper()
	ctx := context.Background()
	// The outcome is in the record (waitDone) a moment before asynq marks the task completed,
	// which rewrites its hash: wait for that first, or it lands on the stray hash.
	wait.For(t, 10*time.Second, "asynq to complete the task", func() bool {
		return rdb.HGet(ctx, taskHash, "state").Val() == "completed"
	})
	if err := rdb.HDel(ctx, "cb:task:{"+id+"}", "outcome").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Del(ctx, taskHash).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, taskHash, "result", result).Err(); err != nil {
		t.Fatal(err)
	}
}
