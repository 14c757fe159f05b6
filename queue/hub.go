package queue

import (
	"context"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// hub fans the completion channel out to local waiters. One subscription per process, not one
// per waiting request: 64 concurrent sync requests cost one Redis connection, not 64.
type hub struct {
	ps  *redis.PubSub
	log *slog.Logger

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
}

func newHub(rdb redis.UniversalClient, log *slog.Logger) *hub {
	h := &hub{ps: rdb.Subscribe(context.Background(), doneChannel), log: log, waiters: map[string]map[chan struct{}]struct{}{}}
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
