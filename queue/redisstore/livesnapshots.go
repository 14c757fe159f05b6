package redisstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Live snapshots (broker/livesnapshot.go), shared by every replica so that paging through a
// query reads one snapshot whichever replica a page lands on:
//
//	cb:{livesnap}:<key>   the snapshot, gzipped JSON, expiring after the TTL
//	cb:{livesnap}:index   sorted set: snapshot key → expiry (ms), to bound how many are kept
//
// One hash tag puts them in one Cluster slot, so the script below may touch them all.

// MaxLiveSnapshots bounds the snapshots kept (each is every VM listed, gzipped): past it, the
// one closest to expiring goes, and a page still reading it lists again.
const MaxLiveSnapshots = 64

// LiveSnapshots is the Redis store of live snapshots.
type LiveSnapshots struct{ rdb redis.UniversalClient }

// NewLiveSnapshots returns the Redis live snapshot store.
func NewLiveSnapshots(rdb redis.UniversalClient) *LiveSnapshots { return &LiveSnapshots{rdb: rdb} }

// putLiveSnapScript stores a snapshot and trims the index: expired entries, then the ones
// closest to expiring beyond the cap. KEYS: snapshot, index; ARGV: data, ttl ms, now ms, cap.
var putLiveSnapScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[2]), KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`)

// PutLiveSnapshot keeps s under key for ttl.
func (l *LiveSnapshots) PutLiveSnapshot(ctx context.Context, key string, s broker.LiveSnapshot, ttl time.Duration) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // JSON of VMs shrinks ~10×; speed matters more
	if err := json.NewEncoder(zw).Encode(s); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	err := putLiveSnapScript.Run(ctx, l.rdb, []string{keys.LiveSnap(key), keys.LiveSnapIndex},
		buf.Bytes(), max(ttl.Milliseconds(), 1), time.Now().UnixMilli(), MaxLiveSnapshots).Err()
	return rediserr.Wrap("put live snapshot", err)
}

// GetLiveSnapshot reads the snapshot under key, if it has not expired.
func (l *LiveSnapshots) GetLiveSnapshot(ctx context.Context, key string) (broker.LiveSnapshot, bool, error) {
	b, err := l.rdb.Get(ctx, keys.LiveSnap(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return broker.LiveSnapshot{}, false, nil
	}
	if err != nil {
		return broker.LiveSnapshot{}, false, rediserr.Wrap("get live snapshot", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return broker.LiveSnapshot{}, false, fmt.Errorf("live snapshot %s: %w", key, err)
	}
	var s broker.LiveSnapshot
	if err := json.NewDecoder(zr).Decode(&s); err != nil {
		return broker.LiveSnapshot{}, false, fmt.Errorf("live snapshot %s: %w", key, err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil { // reach the end, where gzip checks the data
		return broker.LiveSnapshot{}, false, fmt.Errorf("live snapshot %s: %w", key, err)
	}
	return s, true, nil
}
