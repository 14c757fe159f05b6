package queue

import (
	"context"
	"encoding/json"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// lostMargin keeps an id near the end of its retention "expired": the clocks of the process
// that made it and of the one asking may differ a little.
const lostMargin = time.Minute

// missing is the answer for a task id that has no record: lost, if the broker made the id
// (it is dated, broker.NewDatedID) before Redis last lost its data and within the retention;
// otherwise not found or expired. A caller-chosen id (X-Job-UUID) carries no date: it answers
// not found, as before.
func (q *Queue) missing(id string) error {
	made, dated := broker.DatedIDTime(id)
	if dated && q.cfg.Epoch != nil {
		lostAt, known := q.cfg.Epoch.LostBefore()
		if known && made.Before(lostAt) && time.Since(made) < q.cfg.Retention-lostMargin {
			return model.Errorf(model.ErrLost, "task %s was accepted at %s and lost when Redis lost its data (noticed at %s): "+
				"whether it ran is unknown; check its target before submitting it again",
				id, made.UTC().Format(time.RFC3339), lostAt.UTC().Format(time.RFC3339))
		}
	}
	return model.Errorf(model.ErrNotFound, "task %s not found or expired", id)
}

// Reregister puts every queue this process submits to back into asynq's set of queues.
// asynq's client adds a queue to that set once per process and never again, and its
// Inspector finds no task of a queue missing from it: after Redis lost its data, every new
// task would read as removed. It is an Epoch hook.
func (q *Queue) Reregister(ctx context.Context) {
	names := []any{DefaultQueue}
	q.queues.Range(func(k, _ any) bool {
		names = append(names, k)
		return true
	})
	if err := q.rdb.SAdd(ctx, keys.AsynqAllQueues, names...).Err(); err != nil {
		q.cfg.Logger.Warn("could not register the task queues again; reading a task registers its queue", "err", err)
	}
}

// register notes a queue this process submitted to, for Reregister.
func (q *Queue) register(qname string) { q.queues.LoadOrStore(qname, true) }

// settlingScript answers how long ago (ms, by Redis's clock) the current marker replaced one
// lost with Redis's data: -1 if there is no marker, a large number if it replaced none.
var settlingScript = redis.NewScript(`
local since = redis.call('HGET', KEYS[1], 'since')
if not since then return -1 end
if redis.call('HGET', KEYS[1], 'lost') ~= since then return 2147483647 end
return ` + redisNowMs + ` - tonumber(since)
`)

// settling reports whether Redis lost its data so recently that some process may not have
// noticed yet (three check periods): one that has not still runs the watches it ran before,
// so no new watch may start yet.
func (q *Queue) settling(ctx context.Context) (bool, error) {
	if q.cfg.Epoch == nil {
		return false, nil
	}
	age, err := settlingScript.Run(ctx, q.rdb, []string{keys.Epoch}).Int64()
	if err != nil {
		return false, rediserr.Wrap("read epoch", err)
	}
	return age < (3 * q.cfg.Epoch.interval).Milliseconds(), nil
}

// strayOutcome reads a task hash asynq cannot (it has no task, so no state): Redis lost its
// data while the task ran, and its worker's result write recreated the hash with the result
// alone. The task ran to that outcome, which moves into the task's record (it keeps the
// record's expiry) and the stray hash, which has none, is removed. stray is false while the
// hash holds a task; out is nil when there is no readable outcome (no hash, or a hash
// without one).
func (q *Queue) strayOutcome(ctx context.Context, qname, id string) (out *outcome, stray bool) {
	vals, err := q.rdb.HMGet(ctx, keys.AsynqTask(qname, id), "msg", "result").Result()
	if err != nil || len(vals) != 2 || vals[0] != nil {
		return nil, false
	}
	raw, ok := vals[1].(string)
	if !ok {
		return nil, true
	}
	var o outcome
	if json.Unmarshal([]byte(raw), &o) != nil {
		return nil, true
	}
	if n, err := keepOutcomeScript.Run(ctx, q.rdb, []string{keys.Record(id)}, raw).Int(); err == nil && n == 1 {
		q.dropStray(ctx, qname, id)
	}
	return &o, true
}

// keepOutcomeScript writes a finished task's outcome into its record, if the record still
// exists (a record without its spec would be corrupt). KEYS: the record.
var keepOutcomeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'outcome', ARGV[1])
return 1
`)
