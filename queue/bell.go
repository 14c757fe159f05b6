package queue

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
)

// The doorbell: asynq's worker finds new tasks by polling, and an idle agent sleeps up to a
// poll interval between looks. A sync request's task for an agent (broker.Waited) is offered
// to it instead: its record is written with an offer ("inline" = "offer:<until ms>") and the
// agent's bell rings (a pub/sub message on keys.Bell, which the agent's one subscription
// hears: an idle agent sends no command for it). The agent takes the offer (takeOfferScript)
// and runs the task inline at once. No listener, or no taker within offerWait (the agent is
// busy, away, or missed the message), and the broker withdraws the offer and queues the task
// under its id: an accepted task always runs, at worst at the next poll, as before.

// offerWait is how long an offered task waits for its agent before it is queued.
const offerWait = time.Second

// offerPrefix marks an offered task's "inline" field.
const offerPrefix = "offer:"

// submitOffered writes the task's record with an offer and rings the agent's bell.
func (q *Queue) submitOffered(ctx context.Context, id string, spec broker.TaskSpec, own claim) (broker.Task, error) {
	until := time.Now().Add(offerWait)
	offer := offerPrefix + strconv.FormatInt(until.UnixMilli(), 10)
	t, payload, qname, err := q.commitLeased(ctx, id, spec, own, broker.TaskPending, offer)
	if err != nil {
		return broker.Task{}, err
	}
	n, err := q.rdb.Publish(ctx, keys.Bell(spec.ClientID), id).Result()
	if err != nil || n == 0 { // nobody listens: queue it now
		q.withdraw(id, spec, payload, qname, offer)
		return t, nil
	}
	go func() {
		time.Sleep(time.Until(until))
		q.withdraw(id, spec, payload, qname, offer)
	}()
	return t, nil
}

// withdrawScript turns an offer nobody took into a lease of the withdrawing broker's, so
// exactly one of the agent and the broker goes on with the task. KEYS: record. ARGV: the
// offer, the lease's end (ms).
var withdrawScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'inline') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'inline', ARGV[2])
return 1
`)

// withdraw queues an offered task nobody took.
func (q *Queue) withdraw(id string, spec broker.TaskSpec, payload []byte, qname, offer string) {
	ctx := context.Background()
	n, err := withdrawScript.Run(ctx, q.rdb, []string{keys.Record(id)}, offer, time.Now().Add(inlineLease).UnixMilli()).Int()
	if err != nil {
		// Redis is away: keep trying to queue it, as a withdrawn offer (handOff retries).
		q.cfg.Logger.Warn("could not withdraw an offered task; queuing it anyway", "task", id, "err", err)
	} else if n == 0 {
		return // the agent took it
	}
	q.handOff(id, spec, payload, qname, q.cfg.MaxRetry, 0)
}

// takeOfferScript takes an offered task for the agent that heard its bell: its lease
// replaces the offer. It answers the spec, or nil when the offer is gone (taken, withdrawn,
// canceled). KEYS: record. ARGV: the lease's end (ms).
var takeOfferScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'inline')
if not v or string.sub(v, 1, 6) ~= 'offer:' or redis.call('HEXISTS', KEYS[1], 'canceledMs') == 1 then return false end
redis.call('HSET', KEYS[1], 'inline', ARGV[1])
return redis.call('HGET', KEYS[1], 'spec')
`)

// ServeBells has w take the tasks offered to clientid (q's subscription hears the bell) and
// run them inline. Call it once w consumes clientid's queue; the queue is registered with
// asynq now, as ServeInline does for a broker's worker.
func (w *Worker) ServeBells(q *Queue, clientid string) error {
	qname := QueueFor(clientid)
	q.registerRunQueues(qname)
	return q.hub.onBell(keys.Bell(clientid), func(id string) {
		if !broker.IsUUID(id) {
			return
		}
		ctx := context.Background()
		raw, err := takeOfferScript.Run(ctx, w.rdb, []string{keys.Record(id)}, time.Now().Add(inlineLease).UnixMilli()).Text()
		if err != nil { // gone (redis.Nil), or Redis away: the broker queues it
			return
		}
		var spec broker.TaskSpec
		if json.Unmarshal([]byte(raw), &spec) != nil {
			return
		}
		w.startInline(q, id, spec, []byte(raw), qname, nil)
	})
}

// offered reads an "inline" field: the offer's end when it is an offer.
func offered(v string) (time.Time, bool) {
	ms, ok := strings.CutPrefix(v, offerPrefix)
	if !ok {
		return time.Time{}, false
	}
	n, _ := strconv.ParseInt(ms, 10, 64)
	return time.UnixMilli(n), true
}
