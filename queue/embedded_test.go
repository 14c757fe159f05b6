package queue_test

import (
	"context"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/queue"
)

// The demo's in-process Redis runs the scripts a submission and the loss check use (TIME in
// Lua, unpack, string.format).
func TestEmbeddedRunsTheScripts(t *testing.T) {
	e, err := queue.StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	rdb := queue.NewRedis(queue.RedisOptions{Addr: e.Addr(), Timeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	ep := queue.NewEpoch(rdb, time.Second, nil)
	ep.Check(ctx)
	q := queue.New(rdb, queue.Config{Retention: time.Hour, Epoch: ep})
	t.Cleanup(func() { q.Close() })
	task, err := q.Submit(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.Get(ctx, task.ID)
	if err != nil || got.State != broker.TaskPending {
		t.Fatalf("Get = %v, %v; want pending", got.State, err)
	}
}
