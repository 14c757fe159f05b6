package queue

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// The job index: for each target (provider, native id) a sorted set of the ids of the tasks that
// target it, scored by their ExpireTime in ms. Submit adds to it right after it writes the task
// record (and removes the record if it cannot); Jobs drops ids whose task has finished, expired
// or has no record. A worker never has
// to remember to remove anything, so a crashed worker cannot leave a job behind for longer
// than it takes the task's state to say so.

var _ broker.JobIndex = (*Queue)(nil)

// trackJob indexes a task by its target, in one transaction on the target's index.
func (q *Queue) trackJob(ctx context.Context, t broker.Task) error {
	target, ok := broker.TargetOf(t.Spec)
	if !ok {
		return nil
	}
	key := keys.Jobs(target.Provider, target.NativeID)
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, key, redis.Z{Score: float64(t.ExpireTime.UnixMilli()), Member: t.ID})
		// Keep the set small when nobody lists: drop the ids of tasks already past retention.
		p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(t.InsertTime.UnixMilli(), 10))
		// Retention is the same for every task, so the newest task's expiry covers the whole set.
		p.PExpireAt(ctx, key, t.ExpireTime)
		p.Publish(ctx, keys.JobsAdded, key) // processes that saw no job here forget it (nojobs.go)
		return nil
	})
	q.noJobs.added(key)
	return err
}

// Jobs implements broker.JobIndex: one pipelined read for all targets, then one task read per
// indexed id (usually none).
func (q *Queue) Jobs(ctx context.Context, targets []broker.Target) (map[broker.Target][]broker.Task, error) {
	start := time.Now()
	gen := q.noJobs.generation()
	var read []broker.Target // those that may have a job (nojobs.go)
	for _, t := range targets {
		if !q.noJobs.has(keys.Jobs(t.Provider, t.NativeID), start) {
			read = append(read, t)
		}
	}
	out := map[broker.Target][]broker.Task{}
	if len(read) == 0 {
		return out, nil
	}
	now := strconv.FormatInt(start.UnixMilli(), 10)
	cmds := make([]*redis.StringSliceCmd, len(read))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range read {
			cmds[i] = p.ZRangeByScore(ctx, keys.Jobs(t.Provider, t.NativeID), &redis.ZRangeBy{Min: now, Max: "+inf"})
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, rediserr.Wrap("read job index", err)
	}
	var none []string
	for i, target := range read {
		if len(cmds[i].Val()) == 0 {
			none = append(none, keys.Jobs(target.Provider, target.NativeID))
		}
		for _, id := range cmds[i].Val() {
			t, err := q.Get(ctx, id)
			switch {
			case errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrLost) || (err == nil && t.State.Done()):
				q.rdb.ZRem(ctx, keys.Jobs(target.Provider, target.NativeID), id) // best effort; the next reader retries
			case err != nil:
				return nil, err
			default:
				out[target] = append(out[target], t)
			}
		}
	}
	q.noJobs.remember(none, gen, start)
	return out, nil
}
