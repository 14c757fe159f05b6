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
	// bells are the handlers of other channels this subscription carries (bell.go).
	bells map[string]func(payload string)
}

func newHub(rdb redis.UniversalClient, log *slog.Logger) *hub {
	h := &hub{ps: rdb.Subscribe(context.Background(), keys.TaskDone), log: log, waiters: map[string]map[chan struct{}]struct{}{}}
	go h.run()
	return h
}

// hubHealthCheck is how long the subscription may hear nothing before it pings Redis.
const hubHealthCheck = 30 * time.Second

func (h *hub) run() {
	// Channel() reconnects by itself after a Redis outage; Wait's fallback poll covers the gap,
	// and an offer nobody took goes to the queue (bell.go). So a silent connection is checked
	// rarely: an idle process's Redis load stays what its polling costs.
	for msg := range h.ps.Channel(redis.WithChannelHealthCheckInterval(hubHealthCheck)) {
		h.mu.Lock()
		if ring, ok := h.bells[msg.Channel]; ok {
			h.mu.Unlock()
			go ring(msg.Payload)
			continue
		}
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

// onBell has the subscription carry channel too, handing each message to ring: one
// connection for both, and no command while nothing happens.
func (h *hub) onBell(channel string, ring func(payload string)) error {
	h.mu.Lock()
	if h.bells == nil {
		h.bells = map[string]func(string){}
	}
	h.bells[channel] = ring
	h.mu.Unlock()
	return h.ps.Subscribe(context.Background(), channel)
}

func (h *hub) close() {
	h.ps.Close()
}

// Wait blocks until the task is done or ctx ends. It registers for the completion message
// before reading the task, so a completion between the two is not missed.
func (q *Queue) Wait(ctx context.Context, id string) (broker.Task, error) {
	done, unregister := q.hub.register(id)
	defer unregister()
	if run := q.runs.get(id); run != nil { // running here: its end needs no Redis read
		awaitLocal(ctx, run, done)
	}
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
