package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// flushAll is the SessionEvents message that ends every cached session (data loss on one
// replica's watch, an operator's flush).
const flushAll = "*"

// sessionCacheMax bounds the cached sessions; past it the cache starts over (a flood of
// logins costs Redis reads, not memory).
const sessionCacheMax = 100_000

// CachedSessions is Sessions with each replica's copy of the sessions it has read, so a
// request in a session needs no Redis read (issue 17). It stays correct across replicas:
//
//   - a logout (Delete) on any replica is announced on keys.SessionEvents; every replica drops
//     its copy when the message arrives (a pub/sub round trip, milliseconds);
//   - a copy is served only while this replica is subscribed to that channel, so no message
//     can be missed unnoticed: on a broken subscription the cache empties and every read goes
//     to Redis until it is subscribed again;
//   - a copy lives at most ttl, and never past the session's own expiry in Redis (its PTTL,
//     read with it): an expired session stops working on every replica when it expires;
//   - a read that raced an invalidation (it started before the message) is not cached.
//
// So a session ended anywhere stops working everywhere within the pub/sub delivery time, and
// in any case within ttl. After Redis lost its data, Flush (an Epoch hook) empties the cache.
type CachedSessions struct {
	*Sessions
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cachedSession
	gen     uint64 // bumped by every invalidation
	live    bool   // subscribed to the invalidations: copies may be served
}

type cachedSession struct {
	v     []byte
	until time.Time
}

// NewCachedSessions returns the session store of one dialect with its cache; ttl bounds how
// long a copy is served (ttl <= 0 caches nothing). The cache serves once Run is subscribed.
func NewCachedSessions(rdb redis.UniversalClient, namespace string, ttl time.Duration) *CachedSessions {
	return &CachedSessions{Sessions: NewSessions(rdb, namespace), ttl: ttl, now: time.Now, entries: map[string]cachedSession{}}
}

// Get reads a session from the cache, else from Redis (caching it).
func (s *CachedSessions) Get(ctx context.Context, id string) ([]byte, error) {
	s.mu.Lock()
	e, ok := s.entries[id]
	if ok && s.live && s.now().Before(e.until) {
		s.mu.Unlock()
		return e.v, nil
	}
	gen, live := s.gen, s.live
	s.mu.Unlock()
	if !live || s.ttl <= 0 {
		return s.Sessions.Get(ctx, id)
	}

	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, keys.Session(s.namespace, id))
		pttl = p.PTTL(ctx, keys.Session(s.namespace, id))
		return nil
	})
	v, gerr := get.Bytes()
	if errors.Is(gerr, redis.Nil) {
		return nil, model.Errorf(model.ErrNotFound, "session %s not found or expired", id)
	}
	if err != nil {
		return nil, rediserr.Wrap("read session", err)
	}
	life := s.ttl
	if d, err := pttl.Result(); err == nil && d >= 0 { // -1: no expiry; -2: gone since the GET
		life = min(life, d)
	}
	s.mu.Lock()
	if s.gen == gen && s.live && life > 0 {
		if len(s.entries) >= sessionCacheMax {
			clear(s.entries)
		}
		s.entries[id] = cachedSession{v: v, until: s.now().Add(life)}
	}
	s.mu.Unlock()
	return v, nil
}

// Put stores a session.
func (s *CachedSessions) Put(ctx context.Context, id string, v []byte, ttl time.Duration) error {
	s.invalidate(id)
	return s.Sessions.Put(ctx, id, v, ttl)
}

// Delete ends a session here at once and announces it to every replica. The announcement
// follows the delete: a replica that reads the session again between the two finds it gone.
func (s *CachedSessions) Delete(ctx context.Context, id string) (bool, error) {
	s.invalidate(id)
	ok, err := s.Sessions.Delete(ctx, id)
	if err != nil {
		return ok, err
	}
	return ok, rediserr.Wrap("announce session end", s.rdb.Publish(ctx, keys.SessionEvents(s.namespace), id).Err())
}

// Flush drops every cached session. It is an Epoch hook: Redis lost its data, and the
// sessions with it; every replica's own Epoch notices within redis.loss_check_interval.
func (s *CachedSessions) Flush(context.Context) {
	s.invalidate(flushAll)
}

func (s *CachedSessions) invalidate(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if id == flushAll {
		clear(s.entries)
		return
	}
	delete(s.entries, id)
}

func (s *CachedSessions) setLive(live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.live = live
	clear(s.entries) // what was cached before (re)subscribing may have ended meanwhile
}

// Run follows the invalidations until ctx ends; the cache serves only while it is subscribed.
func (s *CachedSessions) Run(ctx context.Context, log *slog.Logger) {
	if s.ttl <= 0 {
		return
	}
	runFollower(ctx, log, "session cache (off meanwhile)", s.follow, func() { s.setLive(false) })
}

// alive is the message a replica sends itself on a quiet channel: a connection that died
// silently (no FIN) shows as the message not coming back, and ends the subscription within two
// intervals; copies cached meanwhile live at most ttl.
const alive = "~"

var errSilent = errors.New("the session channel went silent: its connection is presumed dead")

func (s *CachedSessions) follow(ctx context.Context) error {
	ch := keys.SessionEvents(s.namespace)
	pinged := false
	return subscribe(ctx, s.rdb, ch, min(s.ttl, time.Second), func(e event) error {
		switch {
		case e.idle && pinged:
			return errSilent
		case e.idle:
			pinged = true
			return s.rdb.Publish(ctx, ch, alive).Err()
		case e.subscribed:
			s.setLive(true)
		case e.payload != alive:
			s.invalidate(e.payload)
		}
		pinged = false
		return nil
	})
}
