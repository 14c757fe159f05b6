package broker

import (
	"context"
	"slices"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// The listings of a provider's infrastructure (hosts, networks, storage) share one shape: each
// provider the caller sees and asked for, whose driver has the capability, is read from the
// listings inventory (listinv.go) or listed as a task on its queue, all at once; a provider
// that fails is reported beside the others' items.

// Listed is the items of one kind across the providers asked for, and the providers that could
// not be listed.
type Listed[T any] struct {
	Items  []T
	Failed []ProviderError
}

// TypeNetworkList lists one provider's networks.
const TypeNetworkList = "network:list"

// NetworkListResult is the Result of a TypeNetworkList task.
type NetworkListResult struct {
	Networks []model.Network `json:"networks"`
}

// TypeStorageList lists one provider's storage (datastores, pools).
const TypeStorageList = "storage:list"

// StorageListResult is the Result of a TypeStorageList task.
type StorageListResult struct {
	Storage []model.Storage `json:"storage"`
}

var (
	runNetworkList = listingRun("list networks", drivers.NetworkLister.ListNetworks, func(items []model.Network) NetworkListResult { return NetworkListResult{Networks: items} })
	runStorageList = listingRun("list storage", drivers.StorageLister.ListStorage, func(items []model.Storage) StorageListResult { return StorageListResult{Storage: items} })
)

// Networks lists the networks of the named providers the caller sees (every provider it sees
// when providers is nil), from the listings inventory where it holds a fresh list.
func (b *Broker) Networks(ctx context.Context, c model.Caller, providers []string) Listed[model.Network] {
	return listAcross(ctx, b, c, providers, networkListing)
}

// Storage lists the storage (datastores, storage pools) of the named providers the caller sees
// (every provider it sees when providers is nil), from the listings inventory where it holds a
// fresh list.
func (b *Broker) Storage(ctx context.Context, c model.Caller, providers []string) Listed[model.Storage] {
	return listAcross(ctx, b, c, providers, storageListing)
}

func (b *Broker) listProviderNetworks(ctx context.Context, c model.Caller, p model.Provider) ([]model.Network, error) {
	return listOn(ctx, b, c, p, TypeNetworkList, func(r NetworkListResult) []model.Network { return r.Networks })
}

func (b *Broker) listProviderStorage(ctx context.Context, c model.Caller, p model.Provider) ([]model.Storage, error) {
	return listOn(ctx, b, c, p, TypeStorageList, func(r StorageListResult) []model.Storage { return r.Storage })
}

// listAcross lists every visible provider named (all when names is nil) whose driver can list
// the kind, in parallel, each from the listings inventory or live (listing.of). The items are
// copied out, so a caller may change them without touching the followed lists.
func listAcross[T any](ctx context.Context, b *Broker, c model.Caller, names []string, k listing[T]) Listed[T] {
	var ps []model.Provider
	for _, p := range b.providers.Visible(c) {
		if (names == nil || slices.Contains(names, p.Name)) && k.has(p) {
			ps = append(ps, p)
		}
	}
	var out Listed[T]
	for _, l := range fanOut(ps, func(p model.Provider) ([]T, error) { return k.of(ctx, b, c, p) }) {
		if l.Err != nil {
			out.Failed = append(out.Failed, ProviderError{Provider: l.Provider.Name, Err: l.Err})
			continue
		}
		out.Items = append(out.Items, l.Value...)
	}
	return out
}
