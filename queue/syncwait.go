package queue

import (
	"context"
	"time"

	"cloudbroker/broker"
)

// The sync wait, queue side: a waiter registers for its task's completion message (one Redis
// subscription per process: hub.go) and reads the task, with a slow poll as a fallback.

// Wait blocks until the task is done or ctx ends. It registers for the completion message
// before reading the task, so a completion between the two is not missed (one announced before
// the hub's subscription was confirmed is read at the confirmation's wake-up).
func (q *Queue) Wait(ctx context.Context, id string) (broker.Task, error) {
	done, unregister := q.hub.register(id)
	defer unregister()
	if run := q.runs.get(id); run != nil { // running here: its end needs no Redis read
		awaitLocal(ctx, run, done)
	}
	tick := time.NewTicker(q.cfg.FallbackPoll)
	defer tick.Stop()
	for {
		t, err := q.Get(ctx, id)
		if err != nil || t.State.Done() {
			return t, err
		}
		select {
		case <-done:
		case <-tick.C:
		case <-ctx.Done():
			return t, ctx.Err()
		}
	}
}
