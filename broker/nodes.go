package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloudbroker/broker/model"
)

// ManagementNode is one running broker replica (ZStack calls the processes that serve its API
// management nodes). Agents are not nodes: they run tasks, not the API.
type ManagementNode struct {
	// UUID is random per process start (32 hex), so a restarted replica is a new node.
	UUID string `json:"uuid"`
	// HostName is the name of the machine (or container) the replica runs on.
	HostName  string    `json:"hostName"`
	JoinDate  time.Time `json:"joinDate"`
	HeartBeat time.Time `json:"heartBeat"`
}

// NodeRegistry reads the replicas' heartbeats; the queue package keeps them in Redis.
type NodeRegistry interface {
	// Nodes lists the live nodes (heartbeat younger than the registry's bound), oldest first.
	Nodes(ctx context.Context) ([]ManagementNode, error)
	// Node returns a live node, or an error wrapping model.ErrNotFound for one that stopped,
	// died or never was.
	Node(ctx context.Context, uuid string) (ManagementNode, error)
}

// Readiness reports whether this replica can do the caller's work: every provider the caller
// sees reachable, as the inventory sync (or the agent's heartbeat, for a provider an agent
// runs) last saw it. It returns nil when ready, otherwise an error wrapping
// model.ErrUnavailable that names every such provider that is not ready and why. Providers
// the caller does not see neither count nor appear: another tenant's outage is not this
// caller's, and its name and agent are not this caller's to read. Without an inventory the
// broker keeps no record of a provider's reachability, so only the agents are checked. Redis
// is checked by the adapter (reading the node registry needs it).
func (b *Broker) Readiness(ctx context.Context, c model.Caller) error {
	statuses, err := b.ProviderStatuses(ctx, c)
	if err != nil {
		return err
	}
	var problems []string
	for _, ps := range statuses {
		if err := b.checkAgent(ctx, ps.ClientID); err != nil {
			if !errors.Is(err, model.ErrUnavailable) {
				return err
			}
			problems = append(problems, fmt.Sprintf("provider %q: %s", ps.Name, strings.TrimSuffix(err.Error(), ": "+model.ErrUnavailable.Error())))
			continue
		}
		if b.inv == nil {
			continue
		}
		switch {
		case ps.Sync == nil || ps.Sync.State == SyncPending:
			problems = append(problems, fmt.Sprintf("provider %q: inventory not loaded yet", ps.Name))
		case ps.Sync.State == SyncLoading:
			problems = append(problems, fmt.Sprintf("provider %q: inventory still loading", ps.Name))
		case ps.Sync.State == SyncError:
			problems = append(problems, fmt.Sprintf("provider %q: unreachable: %s", ps.Name, ps.Sync.LastError))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("not ready: %s: %w", strings.Join(problems, "; "), model.ErrUnavailable)
	}
	return nil
}
