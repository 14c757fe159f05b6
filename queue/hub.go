package queue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/queue/internal/keys"
)

// hub fans the completion channel out to local waiters. One subscription per process, not one
// per waiting request: 64 concurrent sync requests cost one Redis connection, not 64.
//
// It listens to the completion channel only while someone here waits (and for hubLinger after
// the last): every task of the system announces its end there, and a process nobody waits in
// (an agent, a broker serving only async calls) would otherwise read every announcement of
// every site. A waiter that subscribes is told when Redis confirms the subscription (a wake-up
// like a completion's), and reads its task again: an announcement sent before then is missed,
// but its record already says done. Go-redis resubscribes after a reconnect, and that
// confirmation wakes every waiter too, so an outage's missed announcements cost no poll.
type hub struct {
	ps  *redis.PubSub
	log *slog.Logger

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
	// listening: the completion channel is to be subscribed; subscribed: the last command
	// sent for it was a SUBSCRIBE, unconfirmed of which Redis has not confirmed yet. linger
	// ends the subscription once nobody waits.
	listening, subscribed bool
	unconfirmed           int
	linger                *time.Timer
	lingerFor             time.Duration // hubLinger; shorter in tests
	// subscribing orders the commands that make subscribed follow listening (sync).
	subscribing sync.Mutex
	// bells are the handlers of other channels this subscription carries (bell.go).
	bells map[string]func(payload string)
}

// hubLinger is how long the hub keeps listening to completions after its last waiter left, so a
// process serving sync requests stays subscribed between them.
const hubLinger = time.Minute

func newHub(rdb redis.UniversalClient, log *slog.Logger) *hub {
	h := &hub{ps: rdb.Subscribe(context.Background()), log: log, waiters: map[string]map[chan struct{}]struct{}{}, lingerFor: hubLinger}
	h.linger = time.AfterFunc(hubLinger, h.stopListening)
	h.linger.Stop() // armed when the last waiter leaves
	go h.run()
	return h
}

// hubHealthCheck is how long the subscription may hear nothing before it pings Redis.
const hubHealthCheck = 30 * time.Second

func (h *hub) run() {
	// The channel reconnects by itself after a Redis outage, and its resubscription's
	// confirmation wakes every waiter; an offer nobody took goes to the queue (bell.go). So a
	// silent connection is checked rarely: an idle process's Redis load stays what its polling
	// costs.
	for m := range h.ps.ChannelWithSubscriptions(redis.WithChannelHealthCheckInterval(hubHealthCheck)) {
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && m.Channel == keys.TaskDone {
				h.confirmed()
			}
		case *redis.Message:
			h.deliver(m)
		}
	}
}

func (h *hub) deliver(msg *redis.Message) {
	h.mu.Lock()
	if ring, ok := h.bells[msg.Channel]; ok {
		h.mu.Unlock()
		go ring(msg.Payload)
		return
	}
	for ch := range h.waiters[msg.Payload] {
		wake(ch)
	}
	h.mu.Unlock()
}

// confirmed is Redis's answer to a SUBSCRIBE to the completion channel: once the last one sent
// is confirmed, every waiter reads its task again (see hub).
func (h *hub) confirmed() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unconfirmed = max(h.unconfirmed-1, 0)
	if h.unconfirmed > 0 || !h.subscribed {
		return
	}
	for _, chs := range h.waiters {
		for ch := range chs {
			wake(ch)
		}
	}
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// register has the hub wake the returned channel when task id's end is announced (or it may
// have been missed); call the func once the wait is over.
func (h *hub) register(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.waiters[id] == nil {
		h.waiters[id] = map[chan struct{}]struct{}{}
	}
	h.waiters[id][ch] = struct{}{}
	h.linger.Stop()
	started := !h.listening
	h.listening = true
	h.mu.Unlock()
	if started {
		go h.sync() // off the waiter's path: a reconnect may take a dial timeout
	}
	return ch, func() {
		h.mu.Lock()
		delete(h.waiters[id], ch)
		if len(h.waiters[id]) == 0 {
			delete(h.waiters, id)
		}
		if len(h.waiters) == 0 {
			h.linger.Reset(h.lingerFor)
		}
		h.mu.Unlock()
	}
}

// stopListening ends the completion subscription if nobody has waited for hubLinger.
func (h *hub) stopListening() {
	h.mu.Lock()
	stop := len(h.waiters) == 0 && h.listening
	if stop {
		h.listening = false
	}
	h.mu.Unlock()
	if stop {
		h.sync()
	}
}

// sync sends the command that makes the subscription what listening says, if it differs. The
// decision and its command are one step under subscribing, so the last command sent always
// matches the last decision.
func (h *hub) sync() {
	h.subscribing.Lock()
	defer h.subscribing.Unlock()
	h.mu.Lock()
	want := h.listening
	if want == h.subscribed {
		h.mu.Unlock()
		return
	}
	h.subscribed = want
	if want {
		h.unconfirmed++
	}
	h.mu.Unlock()
	if want {
		if err := h.ps.Subscribe(context.Background(), keys.TaskDone); err != nil {
			// Go-redis subscribes again when it reconnects; the waiter's fallback poll covers it.
			h.log.Warn("no subscription to task completions yet; waiters poll", "err", err)
		}
		return
	}
	if err := h.ps.Unsubscribe(context.Background(), keys.TaskDone); err != nil {
		h.log.Debug("completion subscription not ended; it ends with the connection", "err", err)
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
	h.linger.Stop()
	h.ps.Close()
}
