// Package broker is cloudbroker's core: the normalized model's services behind every dialect.
// It submits cloud operations as tasks, waits for them, and scopes everything to the caller.
// No vendor type (govmomi, libvirt, gin, asynq) appears here.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// Options configures a Broker. Zero fields take the documented defaults.
type Options struct {
	Tasks     TaskQueue
	Refs      RefStore
	Providers *Providers
	// Index is this replica's copy of the inventory and Inventory the shared one (for sync
	// statuses); both nil means VMs are listed live from the providers on every request.
	Index     *inventory.Index
	Inventory InventoryStore
	// Agents reads proxy agents' heartbeats; nil when no agent is used.
	Agents AgentRegistry
	// AgentOfflineAfter is how stale an agent's last heartbeat may be before its tasks fail
	// fast as offline. Default 5s.
	AgentOfflineAfter time.Duration
	// StoreReachableSince, if set, says since when this process has reached the store that
	// carries heartbeats (Redis) without a failure (zero while it cannot): a heartbeat gap
	// during which the store itself stalled is not the agent's (agents.go).
	StoreReachableSince func() time.Time
	// SyncTimeout bounds Wait. Default 30s.
	SyncTimeout time.Duration
	// RefreshInterval is the least time between two VM-id refreshes an unknown vmid triggers.
	// Default 10s, so a stream of bad ids cannot turn into a stream of full listings.
	RefreshInterval time.Duration
	Logger          *slog.Logger
}

// Broker serves the dialect adapters.
type Broker struct {
	tasks       TaskQueue
	refs        RefStore
	providers   *Providers
	agents      AgentRegistry
	index       *inventory.Index
	inv         InventoryStore
	live        *liveSnapshots    // nil: every live page lists again (livesnapshot.go)
	listings    *listingInventory // nil: every provider listing lists live (listinv.go)
	syncTimeout time.Duration

	agentOfflineAfter time.Duration
	reachableSince    func() time.Time
	log               *slog.Logger

	refreshEvery time.Duration
	refreshMu    sync.Mutex
	lastRefresh  time.Time
}

// New returns a Broker.
func New(o Options) *Broker {
	if o.SyncTimeout == 0 {
		o.SyncTimeout = 30 * time.Second
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = 10 * time.Second
	}
	if o.AgentOfflineAfter == 0 {
		o.AgentOfflineAfter = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Broker{tasks: o.Tasks, refs: o.Refs, providers: o.Providers, agents: o.Agents, index: o.Index, inv: o.Inventory, syncTimeout: o.SyncTimeout,
		agentOfflineAfter: o.AgentOfflineAfter, reachableSince: o.StoreReachableSince, log: o.Logger, refreshEvery: o.RefreshInterval}
}

// SyncTimeout is how long Wait waits.
func (b *Broker) SyncTimeout() time.Duration { return b.syncTimeout }

// Providers returns the provider registry.
func (b *Broker) Providers() *Providers { return b.providers }

// Task returns a task the caller may see.
func (b *Broker) Task(ctx context.Context, c model.Caller, id string) (Task, error) {
	if id == "" {
		return Task{}, model.Errorf(model.ErrInvalid, "taskid is required")
	}
	t, err := b.tasks.Get(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if !c.SeesTask(t.Spec.Provider, t.Spec.Owner) {
		// Same answer as for a task that does not exist: no tenant learns another's task ids.
		return Task{}, model.Errorf(model.ErrNotFound, "task %s not found or expired", id)
	}
	return t, b.settle(ctx, t) // e.g. register the ids of VMs it created (settle.go)
}

// resolveVM finds a VM the caller may see. With an inventory, an id it does not hold yet
// resolves as the inventory loads (ids.go); without one (or for a provider no watch has ever
// run for), an id never seen triggers one (rate-limited) refresh of the id mapping, so a VM
// created since the last listing is found on first use.
func (b *Broker) resolveVM(ctx context.Context, c model.Caller, vmid string) (VMRef, error) {
	if vmid == "" {
		return VMRef{}, model.Errorf(model.ErrInvalid, "vmid is required")
	}
	if b.index != nil {
		if vm, ok := b.index.Get(vmid); ok && c.Sees(vm.Provider) {
			return VMRef{Provider: vm.Provider, NativeID: vm.NativeID}, nil
		}
	}
	ref, err := b.refs.ResolveVM(ctx, vmid)
	live := b.inv == nil
	if errors.Is(err, model.ErrNotFound) && !live {
		ref, live, err = b.resolveFromInventory(ctx, c, vmid)
	}
	if live && errors.Is(err, model.ErrNotFound) && b.refreshAllowed() {
		b.log.InfoContext(ctx, "unknown vmid, refreshing VM ids", "vmid", vmid)
		page, lerr := b.ListVMs(ctx, model.System, ListVMsQuery{Limit: 1})
		if lerr != nil {
			b.log.WarnContext(ctx, "VM id refresh failed", "err", lerr)
		}
		ref, err = b.refs.ResolveVM(ctx, vmid)
		if errors.Is(err, model.ErrNotFound) {
			if failed := visibleFailures(c, page.Failed, page.Stale); len(failed) > 0 {
				// The VM may live on a provider we could not reach: say so, not "not found".
				return VMRef{}, fmt.Errorf("vm %s not found, and %s: %w", vmid, failed, model.ErrUnavailable)
			}
		}
	}
	if err != nil {
		return VMRef{}, err
	}
	if _, ok := b.providers.Get(ref.Provider); !ok || !c.Sees(ref.Provider) {
		return VMRef{}, model.Errorf(model.ErrNotFound, "vm %s not found", vmid)
	}
	return ref, nil
}

func (b *Broker) refreshAllowed() bool {
	b.refreshMu.Lock()
	defer b.refreshMu.Unlock()
	if time.Since(b.lastRefresh) < b.refreshEvery {
		return false
	}
	b.lastRefresh = time.Now()
	return true
}

// checkClientID refuses a request that names an agent which does not serve the provider.
func (b *Broker) checkClientID(provider, clientid string) (string, error) {
	p, _ := b.providers.Get(provider)
	if clientid != "" && clientid != p.ClientID {
		owner := p.ClientID
		if owner == "" {
			owner = "the broker itself (no clientid)"
		}
		return "", model.Errorf(model.ErrInvalid, "clientid %q does not serve provider %q (served by %s)", clientid, provider, owner)
	}
	return p.ClientID, nil
}

// visibleFailures describes the providers the caller sees that could not be listed, or whose
// inventory is stale because its last sync failed: an unknown id may be one of their VMs.
func visibleFailures(c model.Caller, failed []ProviderError, stale []SyncStatus) string {
	var parts []string
	for _, f := range failed {
		if c.Sees(f.Provider) {
			parts = append(parts, fmt.Sprintf("provider %q could not be listed (%v)", f.Provider, f.Err))
		}
	}
	for _, s := range stale {
		if c.Sees(s.Provider) {
			parts = append(parts, fmt.Sprintf("provider %q is unreachable (%s)", s.Provider, s.LastError))
		}
	}
	return strings.Join(parts, "; ")
}
