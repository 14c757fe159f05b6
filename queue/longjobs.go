package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/longjobs"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Long jobs' metadata: one JSON string per job next to its task's record (same hash tag),
// expiring with it, and an index (a sorted set of job ids scored by their expiry in ms) for
// listing them. The index is written after the metadata (another slot on a Cluster), and a job
// whose metadata expired or was never stored is dropped from the index by the next listing, so
// nothing has to remember to remove it.

var _ longjobs.Store = (*Queue)(nil)

// putLongJobScript stores a job unless one is stored under its id, expiring when its task's
// record does: at the record's expiry time where Redis tells it (PEXPIRETIME, 7.0+), else
// after its remaining lifetime (PTTL and SET PX read Redis's clock at different moments, so
// that may be a ms later), as the progress history does (progress.go). It answers the stored
// job's JSON and its remaining lifetime in ms, or nil when the task does not exist.
// KEYS: record, job. ARGV: job JSON.
var putLongJobScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return false end
local existing = redis.call('GET', KEYS[2])
if existing then return {existing, redis.call('PTTL', KEYS[2])} end
local ok, at = pcall(redis.call, 'PEXPIRETIME', KEYS[1])
if ok then redis.call('SET', KEYS[2], ARGV[1], 'PXAT', at) else redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl) end
return {ARGV[1], ttl}
`)

// indexLongJobScript lists a job until its expiry and drops expired ids. KEYS: index.
// ARGV: id, now in ms, the job's ttl in ms.
var indexLongJobScript = redis.NewScript(`
local now, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`)

// PutLongJob implements longjobs.Store.
func (q *Queue) PutLongJob(ctx context.Context, j longjobs.Job) (longjobs.Job, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return longjobs.Job{}, err
	}
	res, err := putLongJobScript.Run(ctx, q.rdb, []string{keys.Record(j.ID), keys.LongJob(j.ID)}, b).Slice()
	if errors.Is(err, redis.Nil) {
		return longjobs.Job{}, model.Errorf(model.ErrNotFound, "task %s not found or expired", j.ID)
	}
	if err != nil {
		return longjobs.Job{}, rediserr.Wrap("write long job", err)
	}
	raw, _ := res[0].(string)
	ttl, _ := res[1].(int64)
	// Listed after it is stored, also when it was stored before (a retry after a failed listing).
	err = indexLongJobScript.Run(ctx, q.rdb, []string{keys.LongJobIndex}, j.ID, time.Now().UnixMilli(), ttl).Err()
	if err != nil {
		return longjobs.Job{}, rediserr.Wrap("list long job", err)
	}
	return decodeLongJob(j.ID, raw)
}

// LongJob implements longjobs.Store.
func (q *Queue) LongJob(ctx context.Context, id string) (longjobs.Job, error) {
	raw, err := q.rdb.Get(ctx, keys.LongJob(id)).Result()
	if errors.Is(err, redis.Nil) {
		if lost := q.missing(id); errors.Is(lost, model.ErrLost) {
			return longjobs.Job{}, lost
		}
		return longjobs.Job{}, model.Errorf(model.ErrNotFound, "long job %s not found or expired", id)
	}
	if err != nil {
		return longjobs.Job{}, rediserr.Wrap("read long job", err)
	}
	return decodeLongJob(id, raw)
}

// LongJobs implements longjobs.Store: the index's live ids, then one read of them all.
func (q *Queue) LongJobs(ctx context.Context) ([]longjobs.Job, error) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	ids, err := q.rdb.ZRangeByScore(ctx, keys.LongJobIndex, &redis.ZRangeBy{Min: now, Max: "+inf"}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, rediserr.Wrap("read long job index", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// One GET each in a pipeline rather than MGET: the jobs live in many slots on a Cluster.
	gets := make([]*redis.StringCmd, len(ids))
	_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			gets[i] = p.Get(ctx, keys.LongJob(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, rediserr.Wrap("read long jobs", err)
	}
	out := make([]longjobs.Job, 0, len(ids))
	for i, g := range gets {
		raw, err := g.Result()
		if err != nil { // expired or deleted since the index was read
			q.rdb.ZRem(ctx, keys.LongJobIndex, ids[i]) // best effort; the next listing retries
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

// DeleteLongJob implements longjobs.Store.
func (q *Queue) DeleteLongJob(ctx context.Context, id string) error {
	// The job first: an index entry left by a failure in between is dropped by the next listing.
	err := q.rdb.Del(ctx, keys.LongJob(id)).Err()
	if err == nil {
		err = q.rdb.ZRem(ctx, keys.LongJobIndex, id).Err()
	}
	return rediserr.Wrap("delete long job", err)
}

func decodeLongJob(id, raw string) (longjobs.Job, error) {
	var j longjobs.Job
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		return longjobs.Job{}, fmt.Errorf("long job %s: corrupt record: %w", id, err)
	}
	return j, nil
}
