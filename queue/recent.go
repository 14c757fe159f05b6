package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

var _ broker.TaskHistory = (*Queue)(nil)

// Recent implements broker.TaskHistory from what asynq keeps of every queue (the unfinished
// tasks and the newest finished ones, kept for the retention) and the newest tasks that run
// or ran without a queue (inline runs, RunNow: keys.Unqueued). Canceled ones that were still
// queued are not in it.
// Each queue gives at most n candidates per state; keep is asked about each candidate's spec,
// newest first, and the first n kept are read in full (Get).
func (q *Queue) Recent(ctx context.Context, n int, keep func(broker.TaskSpec) bool) ([]broker.Task, error) {
	names, err := q.insp.Queues()
	if err != nil {
		return nil, rediserr.Wrap("list queues", err)
	}
	seen := map[string]bool{}
	var ids []string
	for _, name := range names {
		got, err := q.queueCandidates(ctx, name, n)
		if err != nil {
			return nil, err
		}
		for _, id := range got {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	unqueued, err := q.rdb.ZRevRange(ctx, keys.Unqueued, 0, int64(unqueuedWindow*n)-1).Result()
	if err != nil {
		return nil, rediserr.Wrap("list unqueued tasks", err)
	}
	for _, id := range unqueued {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	cands, err := q.candidateSpecs(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Or(cmp.Compare(b.insertMs, a.insertMs), cmp.Compare(b.id, a.id)) })
	out := []broker.Task{}
	for _, c := range cands {
		if len(out) == n {
			break
		}
		if !keep(c.spec) {
			continue
		}
		t, err := q.Get(ctx, c.id)
		if errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrLost) {
			continue // expired or lost since it was listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// queueCandidates lists the ids of up to n tasks of each state of one queue, the newest of
// each: 2n of the finished ones, whose sets asynq orders by when they ended, not began. All
// in one transaction (a queue's keys share a slot): asynq moves a task from list to list
// atomically, and lists read one after the other could each miss a task in transit.
func (q *Queue) queueCandidates(ctx context.Context, name string, n int) ([]string, error) {
	var cmds []*redis.StringSliceCmd
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, state := range []string{"active", "pending"} {
			cmds = append(cmds, p.LRange(ctx, keys.AsynqState(name, state), 0, int64(n)-1))
		}
		for _, state := range []string{"retry", "scheduled"} {
			cmds = append(cmds, p.ZRange(ctx, keys.AsynqState(name, state), 0, int64(n)-1))
		}
		for _, state := range []string{"completed", "archived"} {
			cmds = append(cmds, p.ZRevRange(ctx, keys.AsynqState(name, state), 0, int64(2*n)-1))
		}
		return nil
	})
	if err != nil {
		return nil, rediserr.Wrap("list tasks", err)
	}
	var ids []string
	for _, c := range cmds {
		ids = append(ids, c.Val()...)
	}
	return ids, nil
}

type candidate struct {
	id       string
	insertMs int64
	spec     broker.TaskSpec
}

// candidateSpecs reads each task's spec and submission time from its record, in one round
// trip; a task without a record (expired) is left out.
func (q *Queue) candidateSpecs(ctx context.Context, ids []string) ([]candidate, error) {
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, keys.Record(id), "insertMs", "spec")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, rediserr.Wrap("read task records", err)
	}
	out := make([]candidate, 0, len(ids))
	for i, cmd := range cmds {
		v := cmd.Val()
		if len(v) < 2 {
			continue
		}
		ms, _ := v[0].(string)
		raw, _ := v[1].(string)
		c := candidate{id: ids[i]}
		if json.Unmarshal([]byte(raw), &c.spec) != nil {
			continue
		}
		c.insertMs, _ = strconv.ParseInt(ms, 10, 64)
		out = append(out, c)
	}
	return out, nil
}

// unqueuedCap bounds keys.Unqueued; unqueuedWindow*n of its newest are a listing's candidates,
// room for a caller who sees few of them (each caller sees only its providers' tasks).
const (
	unqueuedCap    = 2000
	unqueuedWindow = 10
)

// noteUnqueued adds a task that runs or ran without an asynq entry to keys.Unqueued at ms (an
// inline run's start, then its end: a later note only raises it), trimmed to its newest
// unqueuedCap, in one round trip. Best effort: the list is a view, the record stands.
func noteUnqueued(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger, id string, ms int64) {
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAddGT(ctx, keys.Unqueued, redis.Z{Score: float64(ms), Member: id})
		p.ZRemRangeByRank(ctx, keys.Unqueued, 0, -unqueuedCap-1)
		return nil
	})
	if err != nil {
		log.Warn("a task is missing from the recent-tasks list", "task", id, "err", err)
	}
}
