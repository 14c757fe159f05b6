package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/adapters"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Logins counts login attempts in Redis, one small hash per account or client address, so the
// throttle holds across replicas. Each operation touches one key (Cluster-safe).
type Logins struct{ rdb redis.UniversalClient }

// NewLogins returns the attempt store.
func NewLogins(rdb redis.UniversalClient) *Logins { return &Logins{rdb: rdb} }

// attemptScript: a key still waiting gets its remaining wait and no count; otherwise the attempt
// is counted and, from the last free one on, sets the wait for the next. ARGV: now ms, free, base ms,
// max ms, window ms.
var attemptScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local untl = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if untl > now then return untl - now end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local ttl = tonumber(ARGV[5])
local free = tonumber(ARGV[2])
if n >= free then
  local d = tonumber(ARGV[3]) * 2 ^ math.min(n - free, 40)
  if d > tonumber(ARGV[4]) then d = tonumber(ARGV[4]) end
  redis.call('HSET', KEYS[1], 'until', now + d)
  ttl = ttl + d
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
`)

// Attempt implements adapters.AttemptStore.
func (l *Logins) Attempt(ctx context.Context, key string, p adapters.AttemptPolicy) (time.Duration, error) {
	ms, err := attemptScript.Run(ctx, l.rdb, []string{keys.Login(key)}, time.Now().UnixMilli(), p.FreeAttempts,
		p.BaseDelay.Milliseconds(), p.MaxDelay.Milliseconds(), p.Window.Milliseconds()).Int64()
	if err != nil {
		return 0, rediserr.Wrap("count login attempt", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Reset implements adapters.AttemptStore.
func (l *Logins) Reset(ctx context.Context, key string) error {
	return rediserr.Wrap("reset login attempts", l.rdb.Del(ctx, keys.Login(key)).Err())
}
