package queue

import (
	"time"

	"cloudbroker/broker/model"
)

// A command that timed out on the client is not a command that failed: Redis may run it once
// it resumes from a stall, long after the call answered "unavailable". The writes that create
// a task therefore carry a deadline by Redis's own clock and do nothing after it.

// errTooLate is a submission whose write reached Redis after its deadline.
var errTooLate = model.Errorf(model.ErrUnavailable, "Redis answered too late (it stalled); nothing was submitted: retry")

// writeDeadline is the time, by Redis's clock in ms, after which a write this process begins
// at from (by its own clock) must not apply: from + within, shifted to Redis's clock.
func (q *Queue) writeDeadline(from time.Time, within time.Duration) int64 {
	if q.cfg.Epoch != nil {
		from = from.Add(q.cfg.Epoch.RedisNow().Sub(time.Now()))
	}
	return from.Add(within).UnixMilli()
}

// RecordWindow is how long after its enqueue began a task's record may still land: one
// WriteWithin for the enqueue and one for the record. The deadline counts from the enqueue's
// start, not from the record's call, because a worker may take the task the moment the
// enqueue lands and waits for the record only WorkerConfig.RecordWait from then: counted from
// the record's own call, a slow enqueue (or a goroutine starved under load) let the record land
// after the worker had skipped the task as never submitted, while its caller was told it was
// accepted. A worker's RecordWait must exceed this window.
func RecordWindow(writeWithin time.Duration) time.Duration { return 2 * writeWithin }

// redisNowMs is the Lua expression of Redis's clock in ms.
const redisNowMs = `(function() local t = redis.call('TIME'); return t[1] * 1000 + math.floor(t[2] / 1000) end)()`
