// Package nodes lists the running broker replicas (a dialect may call them management nodes)
// and says whether this one is ready for a caller's work.
package nodes

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// Node is one running broker replica. Agents are not nodes: they run tasks, not the API.
type Node struct {
	// UUID is random per process start (32 hex), so a restarted replica is a new node.
	UUID string `json:"uuid"`
	// HostName is the name of the machine (or container) the replica runs on.
	HostName  string    `json:"hostName"`
	JoinDate  time.Time `json:"joinDate"`
	HeartBeat time.Time `json:"heartBeat"`
}

// Store reads the replicas' heartbeats; the queue package keeps them in Redis.
type Store interface {
	// Nodes lists the live nodes (heartbeat younger than the registry's bound), oldest first.
	Nodes(ctx context.Context) ([]Node, error)
	// Node returns a live node, or an error wrapping model.ErrNotFound for one that stopped,
	// died or never was.
	Node(ctx context.Context, uuid string) (Node, error)
}

// Core is what nodes need from the broker (*broker.Broker): whether the providers the caller
// sees are reachable from here.
type Core interface {
	Readiness(ctx context.Context, c model.Caller) error
}

// Deps are the service's dependencies besides its store.
type Deps struct {
	Core Core
}

// Service is the node service.
type Service struct {
	store Store
	core  Core
}

// New returns the node service over a store.
func New(store Store, d Deps) *Service { return &Service{store: store, core: d.Core} }

// List returns the live nodes, oldest first. Every caller sees every node: a node names no
// tenant's resource.
func (s *Service) List(ctx context.Context, _ model.Caller) ([]Node, error) {
	return s.store.Nodes(ctx)
}

// Get returns a live node (see Store.Node).
func (s *Service) Get(ctx context.Context, _ model.Caller, uuid string) (Node, error) {
	return s.store.Node(ctx, uuid)
}

// Readiness reports whether this replica can do the caller's work (broker.Broker.Readiness);
// whether the replica itself is registered is Get's to say.
func (s *Service) Readiness(ctx context.Context, c model.Caller) error {
	return s.core.Readiness(ctx, c)
}
