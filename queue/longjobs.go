package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// Long jobs' metadata: one JSON string per job next to its task's record, expiring with it,
// and an index (a sorted set of job ids scored by their expiry in ms) for listing them. A job
// whose metadata expired is dropped from the index by the next listing, so nothing has to
// remember to remove it.

var _ broker.LongJobStore = (*Queue)(nil)

const longJobIndexKey = "cb:longjobs"

func longJobKey(id string) string { return "cb:longjob:" + id }

// putLongJobScript stores a job unless one is stored under its id, taking its task record's
// remaining lifetime. It answers the stored job's JSON, or nil when the task does not exist.
// KEYS: record, job, index. ARGV: job JSON, id, now in ms.
var putLongJobScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return false end
local existing = redis.call('GET', KEYS[2])
if existing then return existing end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
local now = tonumber(ARGV[3])
redis.call('ZADD', KEYS[3], now + ttl, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return ARGV[1]
`)

// PutLongJob implements broker.LongJobStore.
func (q *Queue) PutLongJob(ctx context.Context, j broker.LongJob) (broker.LongJob, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return broker.LongJob{}, err
	}
	raw, err := putLongJobScript.Run(ctx, q.rdb, []string{recordKey(j.ID), longJobKey(j.ID), longJobIndexKey},
		b, j.ID, time.Now().UnixMilli()).Text()
	if errors.Is(err, redis.Nil) {
		return broker.LongJob{}, model.Errorf(model.ErrNotFound, "task %s not found or expired", j.ID)
	}
	if err != nil {
		return broker.LongJob{}, redisErr("write long job", err)
	}
	return decodeLongJob(j.ID, raw)
}

// LongJob implements broker.LongJobStore.
func (q *Queue) LongJob(ctx context.Context, id string) (broker.LongJob, error) {
	raw, err := q.rdb.Get(ctx, longJobKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		if lost := q.missing(id); errors.Is(lost, model.ErrLost) {
			return broker.LongJob{}, lost
		}
		return broker.LongJob{}, model.Errorf(model.ErrNotFound, "long job %s not found or expired", id)
	}
	if err != nil {
		return broker.LongJob{}, redisErr("read long job", err)
	}
	return decodeLongJob(id, raw)
}

// LongJobs implements broker.LongJobStore: the index's live ids, then one read of them all.
func (q *Queue) LongJobs(ctx context.Context) ([]broker.LongJob, error) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	ids, err := q.rdb.ZRangeByScore(ctx, longJobIndexKey, &redis.ZRangeBy{Min: now, Max: "+inf"}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, redisErr("read long job index", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = longJobKey(id)
	}
	vals, err := q.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, redisErr("read long jobs", err)
	}
	out := make([]broker.LongJob, 0, len(ids))
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok { // expired or deleted since the index was read
			q.rdb.ZRem(ctx, longJobIndexKey, ids[i]) // best effort; the next listing retries
			continue
		}
		j, err := decodeLongJob(ids[i], raw)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// DeleteLongJob implements broker.LongJobStore.
func (q *Queue) DeleteLongJob(ctx context.Context, id string) error {
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, longJobKey(id))
		p.ZRem(ctx, longJobIndexKey, id)
		return nil
	})
	return redisErr("delete long job", err)
}

func decodeLongJob(id, raw string) (broker.LongJob, error) {
	var j broker.LongJob
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		return broker.LongJob{}, fmt.Errorf("long job %s: corrupt record: %w", id, err)
	}
	return j, nil
}
