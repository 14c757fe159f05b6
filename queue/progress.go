package queue

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"cloudbroker/broker"
)

// progressWriter records a running task's progress in its record, where Get reads it. Writes
// are throttled (a vCenter task reports often) except for a change of step and for 100%.
type progressWriter struct {
	q    *Worker
	id   string
	mu   sync.Mutex
	last broker.Progress
}

const progressEvery = 200 * time.Millisecond

func (w *Worker) withProgress(ctx context.Context, id string) context.Context {
	p := &progressWriter{q: w, id: id}
	return broker.WithProgress(ctx, func(percent int, step string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		now := time.Now()
		if step == p.last.Step && percent != 100 && (percent == p.last.Percent || now.Sub(p.last.At) < progressEvery) {
			return
		}
		p.last = broker.Progress{Percent: percent, Step: step, At: now}
		b, _ := json.Marshal(p.last)
		// XX semantics by hand: never recreate a record that expired.
		if n, err := w.rdb.Exists(context.WithoutCancel(ctx), recordKey(id)).Result(); err == nil && n == 1 {
			w.rdb.HSet(context.WithoutCancel(ctx), recordKey(id), "progress", b)
		}
	})
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
