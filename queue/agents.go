package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// agentRecordTTL keeps a silent agent's record long enough to say "offline since".
const agentRecordTTL = 7 * 24 * time.Hour

// Agents reads agent heartbeats from Redis. It implements broker.AgentRegistry.
type Agents struct{ rdb redis.UniversalClient }

var _ broker.AgentRegistry = (*Agents)(nil)

// NewAgents returns the Redis agent registry.
func NewAgents(rdb redis.UniversalClient) *Agents { return &Agents{rdb: rdb} }

// Agent reads one agent's last heartbeat.
func (r *Agents) Agent(ctx context.Context, clientid string) (broker.Agent, error) {
	b, err := r.rdb.Get(ctx, keys.Agent(clientid)).Bytes()
	if errors.Is(err, redis.Nil) {
		return broker.Agent{}, model.Errorf(model.ErrNotFound, "agent %q not found", clientid)
	}
	if err != nil {
		return broker.Agent{}, rediserr.Wrap("read agent", err)
	}
	var a broker.Agent
	return a, json.Unmarshal(b, &a)
}

// Agents lists every agent with a record.
func (r *Agents) Agents(ctx context.Context) ([]broker.Agent, error) {
	ids, err := r.rdb.SMembers(ctx, keys.Agents).Result()
	if err != nil {
		return nil, rediserr.Wrap("list agents", err)
	}
	var out []broker.Agent
	for _, id := range ids {
		a, err := r.Agent(ctx, id)
		if errors.Is(err, model.ErrNotFound) {
			r.rdb.SRem(ctx, keys.Agents, id) // its record expired: forget it
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Heartbeat announces one agent process and holds the agent's exclusive lock: one process per
// clientid, so that the process holding it may treat every active task of its queue that it
// is not running as a dead predecessor's.
type Heartbeat struct {
	rdb      redis.UniversalClient
	agent    broker.Agent
	interval time.Duration
	lockTTL  time.Duration
	log      *slog.Logger
	stop     chan struct{}
	done     chan struct{}
	lost     chan struct{}
}

// NewHeartbeat prepares the heartbeat of agent every interval (default 1s). The lock expires
// after 3 intervals without renewal, so a killed agent's successor waits at most that long.
func NewHeartbeat(rdb redis.UniversalClient, agent broker.Agent, interval time.Duration, log *slog.Logger) *Heartbeat {
	if interval == 0 {
		interval = time.Second
	}
	return &Heartbeat{rdb: rdb, agent: agent, interval: interval, lockTTL: 3 * interval, log: log,
		stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
}

// ErrAgentRunning means another live process holds the clientid.
var ErrAgentRunning = errors.New("another agent process holds this clientid")

// Acquire takes the agent's lock, waiting up to wait for a crashed predecessor's lock to expire.
func (h *Heartbeat) Acquire(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	logged := false
	for {
		ok, err := h.rdb.SetNX(ctx, keys.AgentLock(h.agent.ClientID), h.agent.Instance, h.lockTTL).Result()
		if err != nil {
			return rediserr.Wrap("agent lock", err)
		}
		if ok {
			return h.beat(ctx)
		}
		if time.Now().After(deadline) {
			holder, _ := h.rdb.Get(ctx, keys.AgentLock(h.agent.ClientID)).Result()
			return fmt.Errorf("agent %q: instance %s still holds the lock after %s: %w", h.agent.ClientID, holder, wait, ErrAgentRunning)
		}
		if !logged {
			h.log.Info("waiting for the previous agent's lock to expire", "clientid", h.agent.ClientID, "upTo", h.lockTTL)
			logged = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(h.interval / 4):
		}
	}
}

// renewScript extends the lock if this instance holds it (1), reports it missing (0) or held
// by another instance (-1).
var renewScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if v == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
elseif not v then
  return 0
end
return -1`)

// releaseScript deletes the lock only if this instance holds it.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)

// Run beats until Stop. If the lock is taken by another instance, Lost is closed: two
// processes for one clientid would each take the other's running tasks for orphans.
func (h *Heartbeat) Run() {
	defer close(h.done)
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.interval)
		n, err := renewScript.Run(ctx, h.rdb, []string{keys.AgentLock(h.agent.ClientID)}, h.agent.Instance, h.lockTTL.Milliseconds()).Int()
		if err == nil && n == 0 {
			// The lock expired (Redis was unreachable for a while) but nobody took it: retake it.
			var ok bool
			ok, err = h.rdb.SetNX(ctx, keys.AgentLock(h.agent.ClientID), h.agent.Instance, h.lockTTL).Result()
			if err == nil && !ok {
				n = -1
			}
		}
		if err == nil && n == -1 {
			h.log.Error("another agent process took this clientid's lock; stopping", "clientid", h.agent.ClientID)
			cancel()
			close(h.lost)
			return
		}
		if err == nil {
			err = h.beat(ctx)
		}
		cancel()
		if err != nil {
			h.log.Warn("heartbeat failed", "clientid", h.agent.ClientID, "err", err)
		}
	}
}

// Lost is closed when the lock was lost to another instance.
func (h *Heartbeat) Lost() <-chan struct{} { return h.lost }

func (h *Heartbeat) beat(ctx context.Context) error {
	a := h.agent
	a.LastSeen = time.Now()
	b, _ := json.Marshal(a)
	// The record, then the set (two slots on a Cluster): a listing forgets an id without a record.
	err := h.rdb.Set(ctx, keys.Agent(a.ClientID), b, agentRecordTTL).Err()
	if err == nil {
		err = h.rdb.SAdd(ctx, keys.Agents, a.ClientID).Err()
	}
	return rediserr.Wrap("heartbeat", err)
}

// Stop ends the heartbeat, records a graceful stop and releases the lock.
func (h *Heartbeat) Stop(ctx context.Context) error {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.done
	h.agent.Stopped = true
	err := h.beat(ctx)
	releaseScript.Run(ctx, h.rdb, []string{keys.AgentLock(h.agent.ClientID)}, h.agent.Instance)
	return err
}

// RecoverOrphans makes asynq recover at once the tasks a crashed predecessor left active in
// queue: it marks their leases long expired, and asynq's recoverer, which runs when a worker
// starts, puts them back for retry. Without it recovery waits for asynq's fixed 30s lease plus
// 30s clock-skew margin and its 1-minute recoverer period. Call it only while holding the
// queue's exclusive agent lock and before starting the worker: every active task is then an
// orphan. It relies on asynq's lease key (asynq:{queue}:lease, task id → expiry), stable in
// the pinned asynq v0.26.0.
func RecoverOrphans(ctx context.Context, rdb redis.UniversalClient, queue string) (int, error) {
	key := keys.AsynqLease(queue)
	ids, err := rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return 0, rediserr.Wrap("list leases", err)
	}
	for _, id := range ids {
		if err := rdb.ZAddXX(ctx, key, redis.Z{Score: 0, Member: id}).Err(); err != nil {
			return 0, rediserr.Wrap("expire lease", err)
		}
	}
	return len(ids), nil
}
