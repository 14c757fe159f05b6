package app

import (
	"context"
	"net"
	"os"
	"strings"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/nodes"
	"cloudbroker/queue/redisstore"
)

// nodeMembership makes this process a management node: a random uuid per start, registered
// in Redis by heartbeat while it runs (agents.heartbeat_interval), listed while its last
// heartbeat is younger than agents.offline_after, and removed at once on a graceful stop.
type nodeMembership struct {
	node     nodes.Node
	registry *redisstore.Nodes
	beat     *redisstore.NodeBeat
}

func (a *App) newNodeMembership() *nodeMembership {
	return &nodeMembership{
		node:     nodes.Node{UUID: broker.NewUUID(), HostName: hostName(a.cfg.Listen)},
		registry: redisstore.NewNodes(a.rdb, a.cfg.Agents.OfflineAfter.D()),
	}
}

// hostName is the machine's (or container's) name, what ZStack's "宿主机名称" (host machine
// name) asks for and what an operator finds the replica by; the listen address would often
// be 0.0.0.0 or a loopback address that says nothing. Without a name, the listen host.
func hostName(listen string) string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" {
		return strings.Trim(host, "[]")
	}
	return "localhost"
}

// NodeID is this process's management node uuid.
func (a *App) NodeID() string { return a.node.node.UUID }

// joinNodes registers this process and starts its heartbeat.
func (a *App) joinNodes() {
	n := a.node.node
	n.JoinDate = time.Now()
	a.node.beat = a.node.registry.Join(n, a.cfg.Agents.HeartbeatInterval.D(), a.log)
	a.log.Info("management node joined", "node", n.UUID, "hostName", n.HostName)
}

// leaveNodes removes this process from the management nodes; safe to call twice.
func (a *App) leaveNodes() {
	if a.node == nil || a.node.beat == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.node.beat.Leave(ctx); err != nil {
		a.log.Warn("management node could not deregister; it disappears once its heartbeat expires",
			"node", a.node.node.UUID, "after", a.cfg.Agents.OfflineAfter.D(), "err", err)
	}
}
