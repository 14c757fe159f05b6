package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Task ids are owned. Every task record is created under a claim, cb:taskclaim:{<id>}, taken
// atomically (claimScript) only when neither a claim nor a record exists for the id. The claim's
// value says how far the submission got, which spec it is for (a fingerprint) and which call took
// it (a nonce), so a call only ever changes or removes its own claim (compare-and-set). A
// caller-chosen id is also refused while asynq holds a task under it in any queue: a task whose
// record and claim expired stays in asynq for its own retention.
//
// The one id reuse allowed is a retry: the same spec under the same id returns the task it made.
// The spec names its provider (which the caller must see to submit) or its owner (the caller
// itself), so only a caller that may read the task can ever match it; any other reuse gets one
// answer (errIDInUse) that says nothing about the task that holds the id.

const (
	claimSubmitting = "submitting"
	claimSubmitted  = "submitted"
	// claimWait bounds how long a retry waits for the first submission to finish.
	claimWait = 2 * time.Second
)

// claim is a claim's value: "<state> <fingerprint> <nonce>". Claims written before fingerprints
// existed are a bare state, with neither.
type claim struct{ state, fp, nonce string }

func (c claim) String() string { return c.state + " " + c.fp + " " + c.nonce }

func parseClaim(s string) claim {
	f := strings.Fields(s)
	for len(f) < 3 {
		f = append(f, "")
	}
	return claim{state: f[0], fp: f[1], nonce: f[2]}
}

func newClaim(spec broker.TaskSpec) claim {
	var n [12]byte
	_, _ = rand.Read(n[:])
	return claim{state: claimSubmitting, fp: fingerprint(spec), nonce: hex.EncodeToString(n[:])}
}

// fingerprint identifies the work a spec asks for (Args compared as compact JSON).
func fingerprint(spec broker.TaskSpec) string {
	var args bytes.Buffer
	if json.Compact(&args, spec.Args) != nil {
		args.Reset()
		args.Write(spec.Args)
	}
	b, _ := json.Marshal([]string{spec.Type, spec.Provider, spec.ClientID, spec.VMID, spec.NativeID, spec.Owner, args.String()})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// claimScript takes the claim when the id has neither a claim nor a record. It answers
// {"ok"}, {"claim", value}, {"record", spec JSON} (a record without a claim: written before
// every record had one), or {"late"} when Redis's clock is past the call's deadline (deadline.go)
// and it did nothing. KEYS: claim, record. ARGV: claim value, ttl in ms, deadline in ms.
var claimScript = redis.NewScript(`
if ` + redisNowMs + ` > tonumber(ARGV[3]) then return {'late'} end
local c = redis.call('GET', KEYS[1])
if c then return {'claim', c} end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'record', redis.call('HGET', KEYS[2], 'spec') or ''}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {'ok'}
`)

// casClaimSrc replaces the claim by ARGV[2] (deletes it when ARGV[2] is empty) only while it
// is ARGV[1]: a call changes its own claim, never another's. KEYS: claim.
const casClaimSrc = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`

var casClaimScript = redis.NewScript(casClaimSrc)

// errIDInUse is the one answer to an id another task holds, whoever's and in whatever state.
func errIDInUse(id string) error {
	return model.Errorf(model.ErrInvalid, "task id %s is already in use: choose another (only a retry of the same request may repeat an id)", id)
}

// claimed is what claimID found: either the claim is now this call's (c), or the id names a
// task this same request made before (existing).
type claimed struct {
	c        claim
	existing *broker.Task
}

// claimID claims id for spec. chosen says the caller named the id, so asynq's queues are
// checked too (a fresh random id cannot be in them).
func (q *Queue) claimID(ctx context.Context, id string, spec broker.TaskSpec, chosen bool) (claimed, error) {
	mine := newClaim(spec)
	deadline := time.Now().Add(claimWait)
	for {
		res, err := claimScript.Run(ctx, q.rdb, []string{keys.Claim(id), keys.Record(id)}, mine.String(), q.cfg.Retention.Milliseconds(), q.writeDeadline(time.Now(), q.cfg.WriteWithin)).StringSlice()
		if err != nil {
			return claimed{}, rediserr.Wrap("claim task id", err)
		}
		switch res[0] {
		case "late":
			return claimed{}, errTooLate
		case "ok":
			if !chosen {
				return claimed{c: mine}, nil
			}
			held, err := q.heldByAsynq(ctx, id)
			if err == nil && !held {
				return claimed{c: mine}, nil
			}
			q.releaseClaim(ctx, id, mine)
			if err != nil {
				return claimed{}, err
			}
			return claimed{}, errIDInUse(id)
		case "record": // a record from before claims: same request only if the same spec
			var other broker.TaskSpec
			if json.Unmarshal([]byte(res[1]), &other) != nil || fingerprint(other) != mine.fp {
				return claimed{}, errIDInUse(id)
			}
			return q.existingTask(ctx, id)
		}
		theirs := parseClaim(res[1])
		if theirs.fp != mine.fp {
			return claimed{}, errIDInUse(id)
		}
		if theirs.state == claimSubmitted {
			return q.existingTask(ctx, id)
		}
		// The same request is being submitted by another call: wait for it. If it fails, its
		// claim goes and this call claims the id itself.
		if time.Now().After(deadline) {
			return claimed{}, model.Errorf(model.ErrUnavailable, "task id %s is being submitted by another request; retry", id)
		}
		select {
		case <-ctx.Done():
			return claimed{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (q *Queue) existingTask(ctx context.Context, id string) (claimed, error) {
	t, err := q.Get(ctx, id)
	if errors.Is(err, model.ErrNotFound) { // the claim outlived its record by a moment
		return claimed{}, errIDInUse(id)
	}
	if err != nil {
		return claimed{}, err
	}
	return claimed{existing: &t}, nil
}

// heldByAsynq reports whether any asynq queue holds a task with this id, in any state. asynq
// only refuses an id within one queue, and keeps finished tasks longer than our records.
func (q *Queue) heldByAsynq(ctx context.Context, id string) (bool, error) {
	names, err := q.rdb.SMembers(ctx, keys.AsynqAllQueues).Result()
	if err != nil {
		return false, rediserr.Wrap("list queues", err)
	}
	if len(names) == 0 {
		return false, nil
	}
	cmds := make([]*redis.IntCmd, len(names))
	_, err = q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range names {
			cmds[i] = p.Exists(ctx, keys.AsynqTask(n, id))
		}
		return nil
	})
	if err != nil {
		return false, rediserr.Wrap("look up task id", err)
	}
	for _, c := range cmds {
		if c.Val() > 0 {
			return true, nil
		}
	}
	return false, nil
}

// releaseClaim removes c if it is still this call's claim: a refused or failed submission
// frees the id it claimed and touches nothing else.
func (q *Queue) releaseClaim(ctx context.Context, id string, c claim) {
	err := casClaimScript.Run(context.WithoutCancel(ctx), q.rdb, []string{keys.Claim(id)}, c.String(), "").Err()
	if err != nil {
		q.cfg.Logger.Warn("task id claim not released; the id stays taken until it expires", "task", id, "err", err)
	}
}
