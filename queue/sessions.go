package queue

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
)

// Sessions keeps login sessions in Redis, each under its id with a TTL, so that a session made
// on one broker replica is accepted by every other and expires by itself. What a session holds
// is the dialect's business: it is stored as opaque bytes.
type Sessions struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewSessions returns the session store of one dialect (namespace keeps dialects apart).
func NewSessions(rdb redis.UniversalClient, namespace string) *Sessions {
	return &Sessions{rdb: rdb, prefix: "cb:session:" + namespace + ":"}
}

// Put stores a session until ttl runs out.
func (s *Sessions) Put(ctx context.Context, id string, v []byte, ttl time.Duration) error {
	return redisErr("write session", s.rdb.Set(ctx, s.prefix+id, v, ttl).Err())
}

// Get reads a session; an unknown or expired id is an error wrapping model.ErrNotFound.
func (s *Sessions) Get(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.prefix+id).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, model.Errorf(model.ErrNotFound, "session %s not found or expired", id)
	}
	return b, redisErr("read session", err)
}

// Delete ends a session; it reports whether there was one.
func (s *Sessions) Delete(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Del(ctx, s.prefix+id).Result()
	return n > 0, redisErr("delete session", err)
}
