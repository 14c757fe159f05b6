package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Sessions keeps login sessions in Redis, each under its id with a TTL, so that a session made
// on one broker replica is accepted by every other and expires by itself. What a session holds
// is the dialect's business: it is stored as opaque bytes.
type Sessions struct {
	rdb       redis.UniversalClient
	namespace string
}

// NewSessions returns the session store of one dialect (namespace keeps dialects apart).
func NewSessions(rdb redis.UniversalClient, namespace string) *Sessions {
	return &Sessions{rdb: rdb, namespace: namespace}
}

// Put stores a session until ttl runs out.
func (s *Sessions) Put(ctx context.Context, id string, v []byte, ttl time.Duration) error {
	return rediserr.Wrap("write session", s.rdb.Set(ctx, keys.Session(s.namespace, id), v, ttl).Err())
}

// Get reads a session; an unknown or expired id is an error wrapping model.ErrNotFound.
func (s *Sessions) Get(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, keys.Session(s.namespace, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, model.Errorf(model.ErrNotFound, "session %s not found or expired", id)
	}
	return b, rediserr.Wrap("read session", err)
}

// Delete ends a session; it reports whether there was one.
func (s *Sessions) Delete(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Del(ctx, keys.Session(s.namespace, id)).Result()
	return n > 0, rediserr.Wrap("delete session", err)
}
