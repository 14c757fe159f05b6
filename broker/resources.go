package broker

import (
	"context"
	"slices"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// The listings of a provider's infrastructure (hosts, networks, storage) share one shape: each
// provider the caller sees and asked for, whose driver has the capability, is listed as a task
// on its queue, all at once; a provider that fails is reported beside the others' items.

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
// when providers is nil).
func (b *Broker) Networks(ctx context.Context, c model.Caller, providers []string) Listed[model.Network] {
	return listAcross(b, c, providers, can[drivers.NetworkLister], func(p model.Provider) ([]model.Network, error) {
		return listOn(ctx, b, c, p, TypeNetworkList, func(r NetworkListResult) []model.Network { return r.Networks })
	}, func(n *model.Network, p string) { n.Provider = p })
}

// Storage lists the storage (datastores, storage pools) of the named providers the caller sees
// (every provider it sees when providers is nil).
func (b *Broker) Storage(ctx context.Context, c model.Caller, providers []string) Listed[model.Storage] {
	return listAcross(b, c, providers, can[drivers.StorageLister], func(p model.Provider) ([]model.Storage, error) {
		return listOn(ctx, b, c, p, TypeStorageList, func(r StorageListResult) []model.Storage { return r.Storage })
	}, func(s *model.Storage, p string) { s.Provider = p })
}

// listAcross lists every visible provider named (all when names is nil) that has the
// capability, in parallel; stamp marks each item with its provider.
func listAcross[T any](b *Broker, c model.Caller, names []string, has func(model.Provider) bool, list func(model.Provider) ([]T, error), stamp func(*T, string)) Listed[T] {
	var ps []model.Provider
	for _, p := range b.providers.Visible(c) {
		if (names == nil || slices.Contains(names, p.Name)) && has(p) {
			ps = append(ps, p)
		}
	}
	var out Listed[T]
	for _, l := range fanOut(ps, list) {
		if l.Err != nil {
			out.Failed = append(out.Failed, ProviderError{Provider: l.Provider.Name, Err: l.Err})
			continue
		}
		for i := range l.Value {
			stamp(&l.Value[i], l.Provider.Name)
		}
		out.Items = append(out.Items, l.Value...)
	}
	return out
}
