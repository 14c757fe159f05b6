package redisstore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

// bound is how long a test waits for an invalidation over pub/sub: the claim is
// milliseconds; the caches' ttl is set far above it, so only the message can pass the test.
const bound = 5 * time.Second

// clock is a settable time for the cache's ttl.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// replica is one process's cached session store, following until the test ends.
func replica(t *testing.T, r *redistest.Server, ttl time.Duration, clk *clock) *CachedSessions {
	s := NewCachedSessions(r.Client(t), "test", ttl)
	if clk != nil {
		s.now = clk.now
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() { cancel(); <-done })
	wait.For(t, bound, "subscribed", s.isLive)
	return s
}

func (s *CachedSessions) isLive() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.live }

func (s *CachedSessions) cached(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.entries[id]
	return ok
}

func gone(s *CachedSessions, id string) func() bool {
	return func() bool {
		_, err := s.Get(context.Background(), id)
		return errors.Is(err, model.ErrNotFound)
	}
}

// TestCachedSessionsEndEverywhere: two replicas on one Redis. A session read on B is served
// from B's memory (deleting the key behind the cache's back does not end it there); a logout on
// A ends it on B through the announcement alone (B's ttl is an hour).
func TestCachedSessionsEndEverywhere(t *testing.T) {
	r := redistest.Start(t)
	a, b := replica(t, r, time.Hour, nil), replica(t, r, time.Hour, nil)
	ctx := context.Background()
	for _, id := range []string{"s1", "s2"} {
		if err := a.Put(ctx, id, []byte(`{"id":"`+id+`"}`), time.Hour); err != nil {
			t.Fatal(err)
		}
		if v, err := b.Get(ctx, id); err != nil || string(v) != `{"id":"`+id+`"}` {
			t.Fatalf("B reads %s: %s %v", id, v, err)
		}
	}
	// Served from memory: the key deleted without an announcement still answers on B.
	r.Client(t).Del(ctx, keys.Session("test", "s2"))
	if _, err := b.Get(ctx, "s2"); err != nil {
		t.Fatalf("B's cached s2: %v", err)
	}

	if ok, err := a.Delete(ctx, "s1"); !ok || err != nil {
		t.Fatalf("logout on A: %v %v", ok, err)
	}
	if !gone(a, "s1")() {
		t.Error("A still accepts s1 after its own logout")
	}
	wait.For(t, bound, "s1 ended on B", gone(b, "s1"))
	if _, err := b.Get(ctx, "s2"); err != nil {
		t.Errorf("s2 ended with s1: %v", err)
	}
}

// TestCachedSessionsTTLBound: an end that B never hears of (the key deleted without an
// announcement, as with a lost message) stops working on B once ttl has passed.
func TestCachedSessionsTTLBound(t *testing.T) {
	r := redistest.Start(t)
	clk := &clock{t: time.Now()}
	const ttl = 2 * time.Second
	b := replica(t, r, ttl, clk)
	ctx := context.Background()
	b.Sessions.Put(ctx, "s", []byte("x"), time.Hour)
	if _, err := b.Get(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	r.Client(t).Del(ctx, keys.Session("test", "s"))
	clk.add(ttl - time.Millisecond)
	if _, err := b.Get(ctx, "s"); err != nil {
		t.Errorf("within ttl: %v, want the cached copy", err)
	}
	clk.add(time.Millisecond)
	if !gone(b, "s")() {
		t.Error("past ttl: still served")
	}
}

// TestCachedSessionsNeverOutliveRedis: a copy expires when the session does in Redis, however
// long the cache's ttl.
func TestCachedSessionsNeverOutliveRedis(t *testing.T) {
	r := redistest.Start(t)
	clk := &clock{t: time.Now()}
	b := replica(t, r, time.Hour, clk)
	ctx := context.Background()
	b.Put(ctx, "s", []byte("x"), 10*time.Second)
	if _, err := b.Get(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	until := b.entries["s"].until
	b.mu.Unlock()
	if left := until.Sub(clk.now()); left > 10*time.Second || left <= 0 {
		t.Errorf("cached for %v, want at most the session's 10s", left)
	}
}

// TestCachedSessionsOffWithoutSubscription: when the subscription breaks, nothing is served
// from memory (a missed announcement cannot be noticed) until it is back; Flush (the data-loss
// hook) empties the cache.
func TestCachedSessionsOffWithoutSubscription(t *testing.T) {
	r := redistest.Start(t)
	b := replica(t, r, time.Hour, nil)
	ctx := context.Background()
	b.Put(ctx, "s", []byte("x"), time.Hour)
	b.Get(ctx, "s")
	if !b.cached("s") {
		t.Fatal("not cached")
	}
	r.Client(t).Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub")
	wait.For(t, bound, "cache emptied on the broken subscription", func() bool { return !b.cached("s") })
	wait.For(t, bound, "subscribed again", b.isLive)

	b.Get(ctx, "s")
	b.Flush(ctx)
	if b.cached("s") {
		t.Error("Flush kept s")
	}
}

// TestCachedSessionsDisabled: ttl <= 0 reads Redis every time.
func TestCachedSessionsDisabled(t *testing.T) {
	r := redistest.Start(t)
	s := NewCachedSessions(r.Client(t), "test", -1)
	s.Run(context.Background(), slog.Default()) // returns at once
	ctx := context.Background()
	s.Put(ctx, "s", []byte("x"), time.Hour)
	if _, err := s.Get(ctx, "s"); err != nil || s.cached("s") {
		t.Errorf("Get: %v, cached %v", err, s.cached("s"))
	}
}
