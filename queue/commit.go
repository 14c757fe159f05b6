package queue

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// commitScript writes a task's record, its expiry and its claim in one step: the record and
// the claim share the task's hash tag (internal/keys), so this is one round trip where a
// submission used to claim, write the record and mark the claim submitted in three. It does
// nothing once Redis's clock is past the deadline (deadline.go).
//
// A fresh id (ARGV[3] empty) was not claimed before its enqueue: it is taken only if neither
// a claim nor a record exists, else the script answers -1 and writes nothing. A claimed id
// (ARGV[3] the call's claim) gets its record in any case, as before, and its claim becomes
// ARGV[4] only while it is still the call's own.
// KEYS: record, claim. ARGV: deadline ms, expiry unix ms, own claim (empty for a fresh id), new claim,
// claim ttl ms, then the record's field/value pairs.
var commitScript = redis.NewScript(`
if ` + redisNowMs + ` > tonumber(ARGV[1]) then return 0 end
local c = redis.call('GET', KEYS[2])
if ARGV[3] == '' then
  if c or redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
elseif c == ARGV[3] then
  redis.call('SET', KEYS[2], ARGV[4], 'KEEPTTL')
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
`)

// errIDTaken is a fresh id someone else claimed between its choice and its commit.
type errIDTaken struct{}

func (errIDTaken) Error() string { return "task id taken" }

// commit writes the record of task id, enqueued at enqueued, and marks its claim submitted
// (own is the claim the call took, or the zero claim for a fresh id, which commit claims).
func (q *Queue) commit(ctx context.Context, id string, own, submitted claim, enqueued, expire time.Time, fields ...any) error {
	c := q.commitOf(id, own, submitted, enqueued, RecordWindow(q.cfg.WriteWithin), expire, fields...)
	return commitResult(commitScript.Run(ctx, q.rdb, c.keys, c.args...).Int())
}

// commitOf is commit's script call, to run now or with the enqueue (enqueuecommit.go), that
// applies only within window of enqueued.
func (q *Queue) commitOf(id string, own, submitted claim, enqueued time.Time, window time.Duration, expire time.Time, fields ...any) *pipelinedCommit {
	ownVal := ""
	if own.state != "" {
		ownVal = own.String()
	}
	args := append([]any{q.writeDeadline(enqueued, window), expire.UnixMilli(), ownVal,
		submitted.String(), q.cfg.Retention.Milliseconds()}, fields...)
	return &pipelinedCommit{keys: []string{keys.Record(id), keys.Claim(id)}, args: args}
}

// commitResult is what commitScript's answer n means.
func commitResult(n int, err error) error {
	switch {
	case err != nil:
		return rediserr.Wrap("write task record", err)
	case n == 0:
		return errTooLate
	case n < 0:
		return errIDTaken{}
	}
	return nil
}
