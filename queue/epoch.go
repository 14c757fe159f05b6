package queue

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/queue/internal/keys"
)

// Redis can lose its data while every process keeps running: a restart without persistence,
// FLUSHALL, a failover to an empty replica. Nothing in Redis says so; what is gone is simply
// absent. So every process checks a marker, cb:epoch, on a short period: a hash holding a
// random id and when it was made (Redis's clock). A marker that is missing, or holds another
// id than the one this process saw last, means the data it knew is gone: the process then
// runs its re-establish hooks (OnLoss), each putting back what that process owns (queue
// registration, clean-up jobs, inventory watches and follower). Heartbeats need no hook: they
// rewrite their keys on every beat.
//
// The marker's "lost" field is set (to the new marker's time) by the first process that knew
// the previous marker: tasks dated before it whose record is missing were lost, not expired
// (lost.go). A Redis emptied while every process was down too cannot be told from a new one.
//
// The same check reads Redis's clock, for writes that must not apply once their caller gave
// up (taskclaim.go, queue.go), and notes whether Redis answered, so liveness judged from
// heartbeats can ignore a stall of Redis itself (ReachableSince).

// epochScript returns the marker's id, its "lost" time (” if no loss is known) and Redis's
// clock in ms, making the marker (ARGV[1] as id) if it is missing. ARGV[2] is the id this
// process saw last (” on its first check): if the marker has another, the data was lost.
var epochScript = redis.NewScript(`
local t = redis.call('TIME')
local now = string.format('%d', t[1] * 1000 + math.floor(t[2] / 1000))
local id = redis.call('HGET', KEYS[1], 'id')
if not id then
  id = ARGV[1]
  redis.call('HSET', KEYS[1], 'id', id, 'since', now)
end
if ARGV[2] ~= '' and ARGV[2] ~= id then
  redis.call('HSETNX', KEYS[1], 'lost', redis.call('HGET', KEYS[1], 'since'))
end
return {id, redis.call('HGET', KEYS[1], 'lost') or '', now}
`)

// Epoch is one process's view of the marker. Start it, register hooks first.
type Epoch struct {
	rdb      redis.UniversalClient
	interval time.Duration
	log      *slog.Logger

	mu    sync.Mutex
	id    string // the marker this process saw last; "" before the first check
	hooks []func(context.Context)

	lost      atomic.Int64 // Redis ms of the last known loss; 0 if none
	offset    atomic.Int64 // Redis's clock minus ours, in ns
	reachable atomic.Int64 // unix ns since which every check succeeded (1: no failure seen); 0 while failing

	started  atomic.Bool
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// NewEpoch returns the check of the marker every interval (default 1s).
func NewEpoch(rdb redis.UniversalClient, interval time.Duration, log *slog.Logger) *Epoch {
	if interval <= 0 {
		interval = time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	e := &Epoch{rdb: rdb, interval: interval, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	// Reachable "since ever" until a check fails: a process judges only stalls it saw.
	e.reachable.Store(1)
	return e
}

// OnLoss registers f to run (in the checking goroutine, one hook after the other) each time
// this process finds Redis's data gone.
func (e *Epoch) OnLoss(f func(ctx context.Context)) {
	e.mu.Lock()
	e.hooks = append(e.hooks, f)
	e.mu.Unlock()
}

// Start checks once (a failure is logged: Redis may come later) and then every interval
// until Stop.
func (e *Epoch) Start() {
	e.Check(context.Background())
	e.started.Store(true)
	go e.loop()
}

// Stop ends the checks; safe to call twice, and without Start.
func (e *Epoch) Stop() {
	e.stopOnce.Do(func() {
		close(e.stop)
		if e.started.Load() {
			<-e.done
		}
	})
}

func (e *Epoch) loop() {
	defer close(e.done)
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.Check(context.Background())
		}
	}
}

// Check reads the marker once, runs the hooks if the data was lost, and reports whether it
// was. Tests call it to notice a loss without waiting for the period.
func (e *Epoch) Check(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, e.interval)
	defer cancel()
	e.mu.Lock()
	known := e.id
	e.mu.Unlock()
	sent := time.Now()
	res, err := epochScript.Run(ctx, e.rdb, []string{keys.Epoch}, NewTaskID(), known).StringSlice()
	got := time.Now()
	if err != nil || len(res) != 3 {
		if e.reachable.Swap(0) != 0 {
			e.log.Warn("redis unreachable", "err", err)
		}
		return false
	}
	e.reachable.CompareAndSwap(0, got.UnixNano())
	if ms, err := strconv.ParseInt(res[2], 10, 64); err == nil {
		mid := sent.Add(got.Sub(sent) / 2)
		e.offset.Store(time.UnixMilli(ms).Sub(mid).Nanoseconds())
	}
	if ms, err := strconv.ParseInt(res[1], 10, 64); err == nil {
		e.lost.Store(ms)
	}
	e.mu.Lock()
	e.id = res[0]
	hooks := e.hooks
	e.mu.Unlock()
	if known == "" || known == res[0] {
		return false
	}
	e.log.Warn("redis lost its data (the cb:epoch marker changed): re-establishing queues, clean-up jobs, watches",
		"was", known, "now", res[0])
	for _, h := range hooks {
		hctx, cancel := context.WithTimeout(context.Background(), 10*e.interval)
		h(hctx)
		cancel()
	}
	return true
}

// LostBefore is when Redis last lost its data, by its own clock (the new marker's time): a
// task dated before it whose record is missing was lost. ok is false if no loss is known.
func (e *Epoch) LostBefore() (time.Time, bool) {
	ms := e.lost.Load()
	return time.UnixMilli(ms), ms != 0
}

// RedisNow is Redis's clock as of the last check.
func (e *Epoch) RedisNow() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// ReachableSince is when Redis last became reachable from this process (every check since
// succeeded); zero while it is not.
func (e *Epoch) ReachableSince() time.Time {
	ns := e.reachable.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
