package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Notifications keeps broker events in Redis, shared by every replica and agent. Keys share the
// {notes} hash tag so the scripts below also run on a Redis Cluster:
//
//	cb:{notes}:index      sorted set: uuid → time (ms), the order and the retention
//	cb:{notes}:data       hash: uuid → the notification's JSON as recorded
//	cb:{notes}:status     hash: uuid → "<status>:<lastOpMs>" once someone changed it
//	cb:{notes}:once:<key> marks an event already recorded (TTL: the retention)
//
// The list is bounded two ways, both applied whenever a notification is recorded: entries
// older than Retention go, then the oldest beyond MaxCount; readers also skip expired ones.
type Notifications struct {
	rdb       redis.UniversalClient
	retention time.Duration
	maxCount  int
	log       *slog.Logger
}

// NewNotifications returns the store. retention (default 7 days) and maxCount (default 1000)
// bound it.
func NewNotifications(rdb redis.UniversalClient, retention time.Duration, maxCount int, log *slog.Logger) *Notifications {
	if retention <= 0 {
		retention = 7 * 24 * time.Hour
	}
	if maxCount <= 0 {
		maxCount = 1000
	}
	if log == nil {
		log = slog.Default()
	}
	return &Notifications{rdb: rdb, retention: retention, maxCount: maxCount, log: log}
}

// addNoteScript records a notification unless its once key exists, then trims.
// KEYS: index, data, status, once (or a dummy when ARGV[1] is "0").
// ARGV: useOnce, uuid, timeMs, json, cutoffMs, retentionMs, maxCount.
var addNoteScript = redis.NewScript(`
if ARGV[1] == "1" then
  if not redis.call("SET", KEYS[4], ARGV[2], "NX", "PX", ARGV[6]) then return 0 end
end
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[2])
redis.call("HSET", KEYS[2], ARGV[2], ARGV[4])
local gone = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. ARGV[5])
local extra = redis.call("ZCARD", KEYS[1]) - #gone - tonumber(ARGV[7])
if extra > 0 then
  local oldest = redis.call("ZRANGEBYSCORE", KEYS[1], ARGV[5], "+inf", "LIMIT", 0, extra)
  for _, id in ipairs(oldest) do table.insert(gone, id) end
end
for _, id in ipairs(gone) do
  redis.call("ZREM", KEYS[1], id)
  redis.call("HDEL", KEYS[2], id)
  redis.call("HDEL", KEYS[3], id)
end
return 1`)

// Notify implements model.Notifier.
func (s *Notifications) Notify(ctx context.Context, n model.Notification, once string) error {
	now := time.Now()
	if n.UUID == "" {
		n.UUID = broker.NewDatedID(time.Now())
	}
	if n.Time.IsZero() {
		n.Time = now
	}
	if n.LastOpDate.IsZero() {
		n.LastOpDate = n.Time
	}
	if n.Status == "" {
		n.Status = model.NoticeUnread
	}
	if n.Arguments == nil {
		n.Arguments = []string{}
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	useOnce, onceKey := "0", keys.NotesOnce("-")
	if once != "" {
		useOnce, onceKey = "1", keys.NotesOnce(once)
	}
	err = addNoteScript.Run(ctx, s.rdb, []string{keys.NotesIndex, keys.NotesData, keys.NotesStatus, onceKey},
		useOnce, n.UUID, n.Time.UnixMilli(), b, now.Add(-s.retention).UnixMilli(), s.retention.Milliseconds(), s.maxCount).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return rediserr.Wrap("record notification", err)
	}
	return nil
}

// Notifications implements notify.Store: every unexpired notification, newest first.
func (s *Notifications) Notifications(ctx context.Context) ([]model.Notification, error) {
	cutoff := strconv.FormatInt(time.Now().Add(-s.retention).UnixMilli(), 10)
	ids, err := s.rdb.ZRevRangeByScore(ctx, keys.NotesIndex, &redis.ZRangeBy{Min: cutoff, Max: "+inf"}).Result()
	if err != nil {
		return nil, rediserr.Wrap("list notifications", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var data, status *redis.SliceCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		data = p.HMGet(ctx, keys.NotesData, ids...)
		status = p.HMGet(ctx, keys.NotesStatus, ids...)
		return nil
	})
	if err != nil {
		return nil, rediserr.Wrap("read notifications", err)
	}
	out := make([]model.Notification, 0, len(ids))
	for i, v := range data.Val() {
		raw, ok := v.(string)
		if !ok {
			continue // deleted meanwhile
		}
		var n model.Notification
		if err := json.Unmarshal([]byte(raw), &n); err != nil {
			s.log.Warn("skipping a corrupt notification", "uuid", ids[i], "err", err)
			continue
		}
		if st, ok := status.Val()[i].(string); ok {
			state, ms, _ := strings.Cut(st, ":")
			n.Status = state
			if t, err := strconv.ParseInt(ms, 10, 64); err == nil {
				n.LastOpDate = time.UnixMilli(t)
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// setNoteStatusScript sets the status of the notifications that exist. ARGV: value, uuids...
var setNoteStatusScript = redis.NewScript(`
for i = 2, #ARGV do
  if redis.call("HEXISTS", KEYS[1], ARGV[i]) == 1 then
    redis.call("HSET", KEYS[2], ARGV[i], ARGV[1])
  end
end
return 1`)

// SetNotificationsStatus implements notify.Store.
func (s *Notifications) SetNotificationsStatus(ctx context.Context, uuids []string, status string) error {
	args := []any{status + ":" + strconv.FormatInt(time.Now().UnixMilli(), 10)}
	for _, id := range uuids {
		args = append(args, id)
	}
	err := setNoteStatusScript.Run(ctx, s.rdb, []string{keys.NotesData, keys.NotesStatus}, args...).Err()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return rediserr.Wrap("update notifications", err)
}

// DeleteNotifications implements notify.Store.
func (s *Notifications) DeleteNotifications(ctx context.Context, uuids []string) error {
	if len(uuids) == 0 {
		return nil
	}
	members := make([]any, len(uuids))
	for i, id := range uuids {
		members[i] = id
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, keys.NotesIndex, members...)
		p.HDel(ctx, keys.NotesData, uuids...)
		p.HDel(ctx, keys.NotesStatus, uuids...)
		return nil
	})
	return rediserr.Wrap("delete notifications", err)
}
