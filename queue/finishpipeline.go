package queue

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
)

// A queued task's outcome goes with asynq's completion, in one round trip where the worker
// took two (issue 17). The handler leaves the outcome here (finishLater) and returns; asynq's
// server, which runs on completionClient, then sends its next script for the task (complete,
// archive, retry) and that client sends finishScript before it in the same pipeline. Redis runs
// the two in order, so a reader finds the outcome no later than asynq's completion, as when
// the handler wrote it.
//
// asynq sends nothing when the task's lease has lapsed (Redis was away long enough for
// another worker to take the task over), and a pipeline can fail: an outcome left here for
// finishFallbackAfter is written on its own, with retries (retryWrite), so a later run of the
// task finds it and only completes the task.
//
// Only on one server (single or Sentinel): a Cluster client splits a pipeline by slot, and
// the record and asynq's task are in different slots; there the handler writes the outcome
// itself, as before.

// finishFallbackAfter is how long an outcome waits for asynq's script before it is written alone.
const finishFallbackAfter = 2 * time.Second

// pendingFinish is an outcome waiting for asynq's next script for its task.
type pendingFinish struct {
	id       string
	out      []byte
	done     func()      // what follows the write (the finish observer), run by whoever took it
	fallback *time.Timer // writes the outcome alone if asynq sends nothing; stopped once taken
}

// finishes holds the outcomes waiting, by task id.
type finishes struct{ m sync.Map }

func (f *finishes) put(p *pendingFinish) { f.m.Store(p.id, p) }

// take removes and returns the outcome waiting for task id, nil if none is.
func (f *finishes) take(id string) *pendingFinish {
	v, ok := f.m.LoadAndDelete(id)
	if !ok {
		return nil
	}
	p := v.(*pendingFinish)
	p.fallback.Stop()
	return p
}

// completionClient is the Redis client the worker's task server runs on.
type completionClient struct {
	redis.UniversalClient
	w *Worker
}

// EvalSha runs asynq's script, with the outcome waiting for the task it names (if any) sent
// before it in one pipeline.
func (c completionClient) EvalSha(ctx context.Context, sha1 string, ks []string, args ...any) *redis.Cmd {
	p := c.w.finishes.take(asynqTaskOf(ks))
	if p == nil {
		return c.UniversalClient.EvalSha(ctx, sha1, ks, args...)
	}
	var fin, script *redis.Cmd
	_, _ = c.UniversalClient.Pipelined(ctx, func(pl redis.Pipeliner) error {
		fin = finishScript.EvalSha(ctx, pl, []string{keys.Record(p.id)}, p.out, p.id, keys.TaskDone)
		script = pl.EvalSha(ctx, sha1, ks, args...)
		return nil
	})
	switch err := fin.Err(); {
	case err == nil:
		if n, _ := fin.Int(); n == 0 {
			c.w.log.Warn("a finished task's record is gone (Redis lost it): its outcome is not recorded", "task", p.id)
		}
		p.done()
	case redis.HasErrorPrefix(err, "NOSCRIPT"):
		// Redis lost its scripts: write the outcome now, before go-redis sends asynq's
		// script again with EVAL.
		c.w.writeFinish(ctx, p)
	default:
		go c.w.writeFinish(context.WithoutCancel(ctx), p)
	}
	return script
}

// asynqTaskOf returns the id of the task whose hash is among ks, or "".
func asynqTaskOf(ks []string) string {
	for _, k := range ks {
		if id, ok := keys.AsynqTaskID(k); ok {
			return id
		}
	}
	return ""
}

// completionClientFor is the client the worker's task server should run on: rdb itself on a
// Cluster.
func completionClientFor(rdb redis.UniversalClient, w *Worker) redis.UniversalClient {
	if _, cluster := rdb.(*redis.ClusterClient); cluster {
		return rdb
	}
	return completionClient{rdb, w}
}

// finishLater leaves a task's outcome for asynq's next script for it (see above) and returns
// what the handler returns to asynq. It reports false where outcomes are written by the
// handler (a Cluster, a task without a record).
func (w *Worker) finishLater(ctx context.Context, id string, spec broker.TaskSpec, res json.RawMessage, taskErr error) (bool, error) {
	if !w.pipelinesFinish || !broker.IsUUID(id) {
		return false, nil
	}
	p := &pendingFinish{id: id, out: outcomeOf(res, taskErr)}
	p.done = func() { // once: only the one that took p from finishes writes it
		if obs, ok := w.exec.(FinishObserver); ok {
			obs.TaskFinished(context.WithoutCancel(ctx), id, spec, res, taskErr)
		}
	}
	p.fallback = time.AfterFunc(finishFallbackAfter, func() {
		if p := w.finishes.take(id); p != nil {
			w.writeFinish(context.Background(), p)
		}
	})
	w.finishes.put(p)
	return true, handlerResult(taskErr)
}

// writeFinish writes an outcome on its own, retrying while Redis is unreachable.
func (w *Worker) writeFinish(ctx context.Context, p *pendingFinish) {
	err := retryWrite(ctx, w.log, p.id, func() error { _, err := writeOutcome(ctx, w.rdb, p.id, p.out); return err })
	if err != nil {
		w.log.Error("a finished task's outcome could not be recorded; it reads as ended without a result", "task", p.id, "err", err)
		return
	}
	p.done()
}
