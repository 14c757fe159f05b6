package queue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
)

// The sync wait, queue side: a waiter registers for its task's completion message (one Redis
// subscription per process, the hub below) and reads the task, with a slow poll as a fallback.

// hub fans the completion channel out to local waiters. One subscription per process, not one
// per waiting request: 64 concurrent sync requests cost one Redis connection, not 64.
type hub struct {
	ps  *redis.PubSub
	log *slog.Logger

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
}

func newHub(rdb redis.UniversalClient, log *slog.Logger) *hub {
	h := &hub{ps: rdb.Subscribe(context.Background(), keys.TaskDone), log: log, waiters: map[string]map[chan struct{}]struct{}{}}
	go h.run()
	return h
}

func (h *hub) run() {
	// Channel() reconnects by itself after a Redis outage; Wait's fallback poll covers the gap.
	for msg := range h.ps.Channel() {
		h.mu.Lock()
		for ch := range h.waiters[msg.Payload] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		h.mu.Unlock()
	}
}

func (h *hub) register(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.waiters[id] == nil {
		h.waiters[id] = map[chan struct{}]struct{}{}
	}
	h.waiters[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.waiters[id], ch)
		if len(h.waiters[id]) == 0 {
			delete(h.waiters, id)
		}
		h.mu.Unlock()
	}
}

func (h *hub) close() {
	h.ps.Close()
}

// Wait blocks until the task is done or ctx ends. It registers for the completion message
// before reading the task, so a completion between the two is not missed.
func (q *Queue) Wait(ctx context.Context, id string) (broker.Task, error) {
	done, unregister := q.hub.register(id)
	defer unregister()
	tick := time.NewTicker(q.cfg.FallbackPoll)
	defer tick.Stop()
	for {
		t, err := q.Get(ctx, id)
		if err != nil || t.State.Done() {
			return t, err
		}
		select {
		case <-done:
		case <-tick.C:
		case <-ctx.Done():
			return t, ctx.Err()
		}
	}
}
