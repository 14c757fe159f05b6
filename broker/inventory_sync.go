package broker

import (
	"context"
	"time"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// TypeInventoryWatch keeps one provider's inventory current: a first full load, then the
// driver's change events, for one period; the broker's scheduler starts the next period. It
// runs on the provider's queue, so an agent syncs its own site.
const TypeInventoryWatch = "inventory:watch"

// Sync states of a provider's inventory.
const (
	SyncPending = "pending" // not watched yet: its first watch is scheduled, or its agent not yet heard from
	SyncLoading = "loading" // first full load in progress; nothing to serve yet
	SyncSynced  = "synced"  // loaded and following changes
	SyncError   = "error"   // the last watch failed; the last good inventory is served, stale
	SyncNone    = "none"    // the provider has no VMs to sync (a catalog of images; HasVMs)
)

// SyncStatus is where a provider's inventory sync stands. A failed sync is visible here,
// never silent; the VMs loaded before it stay readable, marked stale.
type SyncStatus struct {
	Provider    string    `json:"provider"`
	State       string    `json:"state"`
	LastSync    time.Time `json:"lastSync,omitzero"` // last time the inventory was known complete
	LastError   string    `json:"lastError,omitempty"`
	LastErrorAt time.Time `json:"lastErrorAt,omitzero"`
	// FullLoads counts full loads (the first, then one per reconnect or period).
	FullLoads int `json:"fullLoads"`
	VMs       int `json:"vms"`
}

// Stale reports whether the provider's VMs may be out of date.
func (s SyncStatus) Stale() bool { return s.State != SyncSynced && s.State != SyncNone }

// InventoryStore is the shared inventory (Redis): workers write it, every replica follows it.
type InventoryStore interface {
	// Apply writes changes of one provider atomically and publishes them to followers.
	Apply(ctx context.Context, provider string, changes []inventory.Change) error
	// VM reads one VM; ok is false when the inventory does not hold it.
	VM(ctx context.Context, id string) (vm model.VM, ok bool, err error)
	// VMIDs lists the broker uuids the store holds for a provider.
	VMIDs(ctx context.Context, provider string) ([]string, error)
	SetStatus(ctx context.Context, st SyncStatus) error
	Statuses(ctx context.Context) (map[string]SyncStatus, error)
}

// WatchArgs are a TypeInventoryWatch task's arguments.
type WatchArgs struct {
	// Period is how long this task follows changes before it ends and the next one starts
	// with a full load: the periodic reconcile that catches anything events missed.
	Period time.Duration `json:"period"`
}

// FollowedStatuses is an optional InventoryStore capability, found by type assertion: the
// sync statuses as this process's follower applied them, in one stream with the VMs it put in
// the index. ok is false when no follower runs here.
type FollowedStatuses interface {
	FollowedStatuses() (statuses map[string]SyncStatus, ok bool)
}

// servedStatuses are the statuses to serve the index by. Where this process follows the
// shared inventory they are the follower's own: the shared ones can say a provider is synced
// before this replica's index holds its VMs (a replica just started, or an event not yet
// read), and a list would then answer empty instead of listing live.
func (b *Broker) servedStatuses(ctx context.Context) (map[string]SyncStatus, error) {
	if f, ok := b.inv.(FollowedStatuses); ok {
		if st, ok := f.FollowedStatuses(); ok {
			return st, nil
		}
	}
	return b.inv.Statuses(ctx)
}
