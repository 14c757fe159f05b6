package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// CleanTaskIndexes is the expired-task-indexes GC job. Task records (cb:task:{<id>}) expire by
// themselves; what points at them does not always:
//   - the job index (cb:jobs:<target>, jobs.go) drops ids only when that target is read or
//     submitted to again: an entry for a task whose record expired, or was deleted because its
//     enqueue failed, stays until then (or until the set's own expiry);
//   - pending webhooks (cb:webhooks) whose hook key expired or whose job is gone stay until a
//     broker with webhooks enabled sweeps them, which never happens once they are disabled;
//   - asynq keeps a failed (archived) task for 90 days, far past the task's record: its
//     payload and result outlive the retention the broker promises.
//
// It removes each of those. Claim keys (cb:taskclaim) and cancel marks (in the record) expire
// with the record and need nothing. Inventory watches (queues "...:inventory"), webhook
// deliveries and GC runs have no task record and are left alone.
func (q *Queue) CleanTaskIndexes(ctx context.Context) (string, error) {
	jobs, err := q.cleanJobIndex(ctx)
	if err != nil {
		return "", err
	}
	hooks, err := q.cleanWebhookIndex(ctx)
	if err != nil {
		return "", err
	}
	archived, err := q.cleanArchive(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("removed %d job index entries, %d pending webhook entries, %d archived tasks whose records expired", jobs, hooks, archived), nil
}

// scanKeys lists the keys matching pattern, on every master of a Cluster.
func (q *Queue) scanKeys(ctx context.Context, pattern string) ([]string, error) {
	var mu sync.Mutex // ForEachMaster scans the masters at once
	var found []string
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		it := c.Scan(ctx, 0, pattern, 500).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			found = append(found, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	if cc, ok := q.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, q.rdb)
	}
	return found, rediserr.Wrap("scan "+pattern, err)
}

// missingRecords returns those of ids whose task record does not exist.
func (q *Queue) missingRecords(ctx context.Context, ids []string) ([]string, error) {
	cmds := make([]*redis.IntCmd, len(ids))
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Exists(ctx, keys.Record(id))
		}
		return nil
	})
	if err != nil {
		return nil, rediserr.Wrap("check task records", err)
	}
	var out []string
	for i, c := range cmds {
		if c.Val() == 0 {
			out = append(out, ids[i])
		}
	}
	return out, nil
}

func (q *Queue) cleanJobIndex(ctx context.Context) (int, error) {
	indexes, err := q.scanKeys(ctx, keys.JobsPattern)
	if err != nil {
		return 0, err
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	removed := 0
	for _, key := range indexes {
		n, err := q.rdb.ZRemRangeByScore(ctx, key, "-inf", "("+now).Result()
		if err != nil {
			return removed, rediserr.Wrap("clean job index", err)
		}
		removed += int(n)
		ids, err := q.rdb.ZRange(ctx, key, 0, -1).Result()
		if err != nil {
			return removed, rediserr.Wrap("clean job index", err)
		}
		gone, err := q.missingRecords(ctx, ids)
		if err != nil || len(gone) == 0 {
			if err != nil {
				return removed, err
			}
			continue
		}
		members := make([]any, len(gone))
		for i, id := range gone {
			members[i] = id
		}
		n, err = q.rdb.ZRem(ctx, key, members...).Result()
		if err != nil {
			return removed, rediserr.Wrap("clean job index", err)
		}
		removed += int(n)
	}
	return removed, nil
}

func (q *Queue) cleanWebhookIndex(ctx context.Context) (int, error) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	n, err := q.rdb.ZRemRangeByScore(ctx, keys.Webhooks, "-inf", "("+now).Result()
	if err != nil {
		return 0, rediserr.Wrap("clean webhook index", err)
	}
	removed := int(n)
	ids, err := q.rdb.ZRange(ctx, keys.Webhooks, 0, -1).Result()
	if err != nil {
		return removed, rediserr.Wrap("clean webhook index", err)
	}
	for _, id := range ids {
		hook, err := q.rdb.Exists(ctx, keys.Hook(id)).Result()
		if err != nil {
			return removed, rediserr.Wrap("clean webhook index", err)
		}
		if hook == 0 {
			removed += int(q.rdb.ZRem(ctx, keys.Webhooks, id).Val())
		}
	}
	return removed, nil
}

// isTaskQueue reports whether asynq queue name holds broker tasks (with records).
func isTaskQueue(name string) bool {
	return (name == DefaultQueue || strings.HasPrefix(name, "site:")) && !strings.HasSuffix(name, ":inventory")
}

func (q *Queue) cleanArchive(ctx context.Context) (int, error) {
	queues, err := q.insp.Queues()
	if err != nil {
		return 0, rediserr.Wrap("list queues", err)
	}
	removed := 0
	for _, qname := range queues {
		if !isTaskQueue(qname) {
			continue
		}
		var stale []string
		for page := 1; ; page++ {
			infos, err := q.insp.ListArchivedTasks(qname, asynq.PageSize(500), asynq.Page(page))
			if err != nil {
				return removed, rediserr.Wrap("list archived tasks", err)
			}
			ids := make([]string, len(infos))
			for i, t := range infos {
				ids[i] = t.ID
			}
			gone, err := q.missingRecords(ctx, ids)
			if err != nil {
				return removed, err
			}
			stale = append(stale, gone...)
			if len(infos) < 500 {
				break
			}
		}
		for _, id := range stale { // after listing, so deleting does not shift the pages
			if err := q.insp.DeleteTask(qname, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
				return removed, rediserr.Wrap("delete archived task", err)
			}
			removed++
		}
	}
	return removed, nil
}
