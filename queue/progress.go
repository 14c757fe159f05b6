package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

var _ broker.ProgressLog = (*Queue)(nil)

// progressWriter records a running task's progress: the last report in its record (field
// "progress", where Get reads it) and every report in a list next to the record, which expires
// with it (ProgressHistory). Writes are throttled (a vCenter task reports often) except for a
// change of step and for 100%.
type progressWriter struct {
	q    *Worker
	id   string
	mu   sync.Mutex
	last broker.Progress
}

const (
	progressEvery = 200 * time.Millisecond
	// maxProgressEvents bounds a task's history; past it the oldest reports go. A clone of
	// the most names a request may have (broker.MaxCloneNames) reports a few per name.
	maxProgressEvents = 512
)

// recordProgressScript writes one report, and only while the task's record exists (never
// recreating a record that expired); the history expires when the record does: at its
// expiry time where Redis tells it (PEXPIRETIME, 7.0+), else after its remaining lifetime
// (PTTL and PEXPIRE read Redis's clock at different moments, so that may be a few ms later).
// KEYS: record, history. ARGV: report JSON, max events.
var recordProgressScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[1])
if ttl < 0 then return 1 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
local ok, at = pcall(redis.call, 'PEXPIRETIME', KEYS[1])
if ok then redis.call('PEXPIREAT', KEYS[2], at) else redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`)

func (w *Worker) withProgress(ctx context.Context, id string) (context.Context, *progressWriter) {
	p := &progressWriter{q: w, id: id}
	return broker.WithProgress(ctx, func(r broker.Progress) {
		p.mu.Lock()
		defer p.mu.Unlock()
		now := time.Now()
		if r.Step == p.last.Step && r.Percent != 100 && (r.Percent == p.last.Percent || now.Sub(p.last.At) < progressEvery) {
			return
		}
		r.At = now
		p.last = r
		b, _ := json.Marshal(r)
		// Best effort: progress is advisory, and a task must not fail because Redis hiccuped.
		recordProgressScript.Run(context.WithoutCancel(ctx), w.rdb, []string{keys.Record(id), keys.Progress(id)}, b, maxProgressEvents)
	}), p
}

// reported tells whether the task reported any progress.
func (p *progressWriter) reported() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.last.At.IsZero()
}

// ProgressHistory implements broker.ProgressLog.
func (q *Queue) ProgressHistory(ctx context.Context, id string) ([]broker.Progress, error) {
	raw, err := q.rdb.LRange(ctx, keys.Progress(id), 0, -1).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, rediserr.Wrap("read progress", err)
	}
	out := make([]broker.Progress, 0, len(raw))
	for _, r := range raw {
		var p broker.Progress
		if err := json.Unmarshal([]byte(r), &p); err != nil {
			return nil, fmt.Errorf("task %s: corrupt progress report: %w", id, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// progressOf reads the progress field of a record.
func progressOf(rec map[string]string) *broker.Progress {
	raw, ok := rec["progress"]
	if !ok {
		return nil
	}
	var p broker.Progress
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil
	}
	return &p
}
