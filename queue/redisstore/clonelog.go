package redisstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// CloneLog keeps the names of clones that ended without a VM (broker.CloneFailureLog) in one
// Redis hash, cb:clonefail: "<provider>\x00<name>\x00<task>" → the failure. One entry per task,
// so a second failure under a name (say, because the first one's leftover has it) does not hide
// the first. Entries older than the retention (the tasks' retention: the failed task is
// readable as long) are dropped when read.
type CloneLog struct {
	rdb       redis.UniversalClient
	retention time.Duration
}

// NewCloneLog returns the log; retention defaults to 24h.
func NewCloneLog(rdb redis.UniversalClient, retention time.Duration) *CloneLog {
	return &CloneLog{rdb, positiveOr(retention, 24*time.Hour)}
}

// LogFailedClones implements broker.CloneFailureLog.
func (l *CloneLog) LogFailedClones(ctx context.Context, failed, made []broker.FailedClone) error {
	_, err := l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range made {
			p.HDel(ctx, keys.CloneFailures, cloneFailField(m))
		}
		for _, f := range failed {
			b, _ := json.Marshal(f)
			p.HSet(ctx, keys.CloneFailures, cloneFailField(f), b)
		}
		return nil
	})
	return rediserr.Wrap("log failed clones", err)
}

// FailedClones implements broker.CloneFailureLog.
func (l *CloneLog) FailedClones(ctx context.Context) ([]broker.FailedClone, error) {
	all, err := l.rdb.HGetAll(ctx, keys.CloneFailures).Result()
	if err != nil {
		return nil, rediserr.Wrap("read failed clones", err)
	}
	cutoff := time.Now().Add(-l.retention)
	var out []broker.FailedClone
	for field, raw := range all {
		var f broker.FailedClone
		if json.Unmarshal([]byte(raw), &f) != nil || f.At.Before(cutoff) {
			l.rdb.HDel(ctx, keys.CloneFailures, field)
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// cloneFailField is an entry's field in the hash: one per provider, name and task.
func cloneFailField(f broker.FailedClone) string {
	return f.Provider + "\x00" + f.Name + "\x00" + f.TaskID
}
