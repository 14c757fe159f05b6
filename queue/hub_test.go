package queue

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

// completionListeners is how many connections listen to the completion channel.
func completionListeners(t *testing.T, q *Queue) int64 {
	t.Helper()
	n, err := q.rdb.PubSubNumSub(context.Background(), keys.TaskDone).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n[keys.TaskDone]
}

// waitInBackground starts q.Wait on id and returns what it answers.
func waitInBackground(q *Queue, id string) <-chan broker.Task {
	got := make(chan broker.Task, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		task, _ := q.Wait(ctx, id)
		got <- task
	}()
	return got
}

// awaitSucceeded fails unless the wait answers a succeeded task within d.
func awaitSucceeded(t *testing.T, got <-chan broker.Task, d time.Duration, woken string) {
	t.Helper()
	select {
	case done := <-got:
		if done.State != broker.TaskSucceeded {
			t.Fatalf("the wait answered %s, want succeeded", done.State)
		}
	case <-time.After(d):
		t.Fatal("the waiter was not woken " + woken)
	}
}

// A process hears every task's end only while someone in it waits: an agent or a broker with
// no sync caller reads none of the system's completion announcements.
func TestCompletionsHeardOnlyWhileSomeoneWaits(t *testing.T) {
	rdb := redistest.Start(t).CheckedClient(t)
	ctx := context.Background()
	q := New(rdb, Config{FallbackPoll: time.Hour})
	q.hub.lingerFor = 300 * time.Millisecond
	t.Cleanup(func() { q.Close() })
	if _, err := q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := completionListeners(t, q); n != 0 {
		t.Fatalf("%d listeners to completions with nobody waiting, want 0", n)
	}
	task, err := q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"}) // no worker: it waits
	if err != nil {
		t.Fatal(err)
	}
	got := waitInBackground(q, task.ID)
	wait.For(t, 5*time.Second, "the waiter's subscription", func() bool { return completionListeners(t, q) == 1 })
	w := NewWorker(rdb, &observed{}, WorkerConfig{})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	awaitSucceeded(t, got, 20*time.Second, "by its task's end")
	wait.For(t, 5*time.Second, "the subscription's end once nobody waits", func() bool { return completionListeners(t, q) == 0 })
}

// An end announced while the subscription was down (here: its connection killed after the
// outcome was written without an announcement) reaches the waiter when go-redis subscribes
// again, not at the fallback poll.
func TestWaiterWokenWhenTheSubscriptionReturns(t *testing.T) {
	rdb := redistest.Start(t).CheckedClient(t)
	ctx := context.Background()
	q := New(rdb, Config{FallbackPoll: time.Hour})
	t.Cleanup(func() { q.Close() })
	task, err := q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	got := waitInBackground(q, task.ID)
	wait.For(t, 5*time.Second, "the waiter's subscription", func() bool { return completionListeners(t, q) == 1 })
	time.Sleep(100 * time.Millisecond) // the waiter has read its task pending and sleeps
	if err := rdb.HSet(ctx, keys.Record(task.ID), "outcome", outcomeOf(json.RawMessage(`{}`), nil)).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
		t.Fatal("the waiter woke without an announcement or a new subscription")
	case <-time.After(300 * time.Millisecond):
	}
	if err := rdb.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	awaitSucceeded(t, got, 10*time.Second, "when the subscription came back")
}
