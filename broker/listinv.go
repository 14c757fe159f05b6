package broker

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// The listings inventory (issues 16 and 17): every provider's images, hosts, networks and
// storage as last listed, kept in the shared store and followed in every replica's memory, so
// a listing needs no task per request. One replica per (kind, provider) refreshes the list
// every period (RefreshListing, scheduled in cmd/app); a list older than the inventory's
// maxAge (its refresher stopped) is not served, and a provider without a fresh list is listed
// live, as before, which also fills the inventory for the next request. The kinds are
// described in listkinds.go.

// ListKind names what a provider's list holds.
type ListKind string

// The kinds of list the inventory keeps.
const (
	ListImages   ListKind = "images"
	ListHosts    ListKind = "hosts"
	ListNetworks ListKind = "networks"
	ListStorage  ListKind = "storage"
)

// ProviderList is one provider's items of one kind as last listed, or why that listing
// failed. Only the field of its Kind is set: a typed field per kind keeps the followed lists
// decoded, so serving one is a map read.
type ProviderList struct {
	Kind     ListKind        `json:"kind"`
	Provider string          `json:"provider"`
	Images   []model.Image   `json:"images,omitempty"`
	Hosts    []model.Host    `json:"hosts,omitempty"`
	Networks []model.Network `json:"networks,omitempty"`
	Storage  []model.Storage `json:"storage,omitempty"`
	// Err is the failure of the last listing (its kind survives the store); the items are
	// then empty: a provider that cannot be listed is reported, not shown from an older list.
	Err    *model.TaskError `json:"err,omitempty"`
	Listed time.Time        `json:"listed"`
}

// ListingStore keeps the lists where every replica reads them (redisstore.Listings).
type ListingStore interface {
	// ClaimListing is true for one caller per (kind, provider) per period: that replica
	// lists the provider's kind now.
	ClaimListing(ctx context.Context, kind ListKind, provider string, period time.Duration) (bool, error)
	// PutListing stores a list and tells every replica's follower.
	PutListing(ctx context.Context, l ProviderList) error
	// FollowedListing is the provider's list of the kind as this replica follows it; ok is
	// false when it holds none.
	FollowedListing(kind ListKind, provider string) (l ProviderList, ok bool)
}

// listingInventory is the broker's use of a ListingStore.
type listingInventory struct {
	store  ListingStore
	maxAge time.Duration
	now    func() time.Time
}

// WithListings serves the listings of every kind from store; lists older than maxAge are
// listed live.
func (b *Broker) WithListings(store ListingStore, maxAge time.Duration) *Broker {
	b.listings = &listingInventory{store: store, maxAge: maxAge, now: time.Now}
	return b
}

// ListKindsOf is the kinds provider p's driver can list, in a fixed order: what its refresher
// keeps in the inventory.
func ListKindsOf(p model.Provider) []ListKind {
	var out []ListKind
	for _, kind := range ListKinds() {
		if listingKinds[kind].can(p) {
			out = append(out, kind)
		}
	}
	return out
}

// RefreshListing lists the provider's items of the kind (a listing task on its queue, as any
// listing, in the background) and stores the list, or the failure, unless another replica
// holds this period's claim. It reports whether it listed.
func (b *Broker) RefreshListing(ctx context.Context, kind ListKind, p model.Provider, period time.Duration) (bool, error) {
	k, ok := listingKinds[kind]
	if b.listings == nil || !ok {
		return false, nil
	}
	mine, err := b.listings.store.ClaimListing(ctx, kind, p.Name, period)
	if err != nil || !mine {
		return false, err
	}
	return true, k.refresh(ctx, b, p)
}

// of is a provider's items of kind k from the inventory if it holds a fresh list, else listed
// live for c (and stored).
func (k listing[T]) of(ctx context.Context, b *Broker, c model.Caller, p model.Provider) ([]T, error) {
	inv := b.listings
	if inv != nil {
		if l, ok := inv.store.FollowedListing(k.kind, p.Name); ok && inv.now().Sub(l.Listed) < inv.maxAge {
			if l.Err != nil {
				return nil, l.Err
			}
			return k.get(l), nil
		}
	}
	items, err := k.live(ctx, b, c, p)
	if inv != nil && ctx.Err() == nil { // a caller gone is not the provider's failure
		if perr := k.put(ctx, inv, p, items, err); perr != nil {
			b.log.Debug("list not stored", "kind", k.kind, "provider", p.Name, "err", perr)
		}
	}
	return items, err
}

// refresh lists the provider's items as the broker itself (a background task, not in any
// caller's recent tasks) and stores them.
func (k listing[T]) refresh(ctx context.Context, b *Broker, p model.Provider) error {
	items, err := k.live(ctx, b, model.System, p)
	return k.put(ctx, b.listings, p, items, err)
}

// live lists the provider's items by a task, each stamped with its provider.
func (k listing[T]) live(ctx context.Context, b *Broker, c model.Caller, p model.Provider) ([]T, error) {
	items, err := k.list(b, ctx, c, p)
	for i := range items {
		k.stamp(&items[i], p.Name)
	}
	return items, err
}

func (k listing[T]) put(ctx context.Context, inv *listingInventory, p model.Provider, items []T, err error) error {
	l := ProviderList{Kind: k.kind, Provider: p.Name, Listed: inv.now()}
	if err != nil {
		l.Err = model.NewTaskError(err)
	} else {
		k.set(&l, items)
	}
	return inv.store.PutListing(ctx, l)
}
