package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
	"cloudbroker/broker/nodes"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// A broker replica announces itself under cb:node:<uuid>, a record whose TTL is the dead-after
// bound and which every heartbeat rewrites: Redis's own clock decides when a silent replica
// is gone, so replicas with skewed clocks never judge each other. cb:nodes indexes the uuids;
// a member whose record expired is pruned by whoever lists next.

// Nodes is the registry of running broker replicas. It implements nodes.Store.
type Nodes struct {
	rdb       redis.UniversalClient
	deadAfter time.Duration
}

// NewNodes returns the registry; a replica is listed until deadAfter (default 5s) passes
// without a heartbeat from it.
func NewNodes(rdb redis.UniversalClient, deadAfter time.Duration) *Nodes {
	return &Nodes{rdb: rdb, deadAfter: positiveOr(deadAfter, 5*time.Second)}
}

// Nodes lists the live replicas, oldest first.
func (n *Nodes) Nodes(ctx context.Context) ([]nodes.Node, error) {
	ids, err := n.rdb.SMembers(ctx, keys.Nodes).Result()
	if err != nil {
		return nil, rediserr.Wrap("list management nodes", err)
	}
	cmds := make([]*redis.StringCmd, len(ids))
	_, err = n.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, keys.Node(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, rediserr.Wrap("read management nodes", err)
	}
	var out []nodes.Node
	var gone []any
	for i, c := range cmds {
		b, err := c.Bytes()
		if errors.Is(err, redis.Nil) {
			gone = append(gone, ids[i])
			continue
		}
		var node nodes.Node
		if err != nil || json.Unmarshal(b, &node) != nil {
			continue // a record that cannot be read is not a node anyone can reach either
		}
		out = append(out, node)
	}
	if len(gone) > 0 {
		n.rdb.SRem(ctx, keys.Nodes, gone...) // best effort: the next listing retries
	}
	slices.SortFunc(out, func(a, b nodes.Node) int {
		return cmp.Or(a.JoinDate.Compare(b.JoinDate), cmp.Compare(a.UUID, b.UUID))
	})
	return out, nil
}

// Node returns one live replica.
func (n *Nodes) Node(ctx context.Context, uuid string) (nodes.Node, error) {
	b, err := n.rdb.Get(ctx, keys.Node(uuid)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nodes.Node{}, model.Errorf(model.ErrNotFound,
			"management node %s is not running (no heartbeat within %s)", uuid, n.deadAfter)
	}
	if err != nil {
		return nodes.Node{}, rediserr.Wrap("read management node", err)
	}
	var node nodes.Node
	return node, json.Unmarshal(b, &node)
}

// NodeBeat keeps one replica registered: a heartbeat every interval until Leave.
type NodeBeat struct {
	n        *Nodes
	node     nodes.Node
	interval time.Duration
	log      *slog.Logger
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// Join registers node (its UUID, HostName and JoinDate set) and heartbeats it every interval
// (default 1s; keep it under half the dead-after bound). A failed first beat is logged and
// retried by the next: the replica serves without Redis too, as far as it can.
func (n *Nodes) Join(node nodes.Node, interval time.Duration, log *slog.Logger) *NodeBeat {
	if interval <= 0 {
		interval = time.Second
	}
	h := &NodeBeat{n: n, node: node, interval: interval, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), interval)
	if err := h.beat(ctx); err != nil {
		log.Warn("management node registration failed; retrying with the next heartbeat", "node", node.UUID, "err", err)
	}
	cancel()
	go h.run()
	return h
}

func (h *NodeBeat) run() {
	defer close(h.done)
	t := time.NewTicker(h.interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.interval)
		err := h.beat(ctx)
		cancel()
		if err != nil && !failing { // log an outage once, not every beat
			h.log.Warn("management node heartbeat failed", "node", h.node.UUID, "err", err)
		}
		failing = err != nil
	}
}

func (h *NodeBeat) beat(ctx context.Context) error {
	node := h.node
	node.HeartBeat = time.Now()
	b, _ := json.Marshal(node)
	_, err := h.n.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, keys.Node(node.UUID), b, h.n.deadAfter)
		p.SAdd(ctx, keys.Nodes, node.UUID)
		return nil
	})
	return rediserr.Wrap("management node heartbeat", err)
}

// Leave stops the heartbeat and removes the replica at once, so a graceful stop is seen
// without waiting for the bound. It is safe to call more than once.
func (h *NodeBeat) Leave(ctx context.Context) error {
	var err error
	h.once.Do(func() {
		close(h.stop)
		<-h.done
		_, err = h.n.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, keys.Node(h.node.UUID))
			p.SRem(ctx, keys.Nodes, h.node.UUID)
			return nil
		})
		err = rediserr.Wrap("management node leave", err)
	})
	return err
}
