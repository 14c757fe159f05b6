package broker

import (
	"context"
	"fmt"
	"slices"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// HostUUID is the id a host is known by: derived from (provider, native id) in a namespace of
// its own, like VMUUID.
func HostUUID(provider, nativeID string) string { return DerivedUUID("host", provider, nativeID) }

// TypeHostList lists one provider's hosts with their capacity.
const TypeHostList = "host:list"

// HostListResult is the Result of a TypeHostList task.
type HostListResult struct {
	Hosts []model.Host `json:"hosts"`
}

// HostCapacity is a host and what the VMs placed on it take of it.
type HostCapacity struct {
	model.Host
	// AllocatedCPUs and AllocatedMemoryBytes sum the vCPUs and memory of the powered-on VMs on
	// the host: what a scheduler counts as taken, whatever the guests use right now.
	AllocatedCPUs        int64
	AllocatedMemoryBytes int64
}

// HostsResult is the hosts of the providers asked for, and those that could not be listed.
type HostsResult struct {
	Hosts  []HostCapacity
	Failed []ProviderError
}

// Hosts lists the hosts of the named providers the caller sees (every provider it sees when
// providers is nil), from the listings inventory where it holds a fresh list, else each
// provider as a task where its worker is, in parallel. Allocation comes from the VM inventory
// (or a live VM listing when the broker keeps none).
func (b *Broker) Hosts(ctx context.Context, c model.Caller, providers []string) (HostsResult, error) {
	hosts := listAcross(ctx, b, c, providers, hostListing)

	out := HostsResult{Failed: hosts.Failed}
	var listed []string
	for _, h := range hosts.Items {
		if !slices.Contains(listed, h.Provider) {
			listed = append(listed, h.Provider)
		}
		out.Hosts = append(out.Hosts, HostCapacity{Host: h})
	}
	if len(listed) == 0 {
		return out, nil
	}
	vms, err := b.allVMs(ctx, c, listed)
	if err != nil {
		return HostsResult{}, err
	}
	at := map[[2]string]int{} // (provider, host native id) → index in out.Hosts
	for i, h := range out.Hosts {
		at[[2]string{h.Provider, h.NativeID}] = i
	}
	for _, vm := range vms {
		i, ok := at[[2]string{vm.Provider, vm.HostID}]
		if !ok || vm.Template || vm.PowerState != model.PoweredOn {
			continue
		}
		out.Hosts[i].AllocatedCPUs += int64(vm.CPUs)
		out.Hosts[i].AllocatedMemoryBytes += vm.MemoryMB << 20
	}
	return out, nil
}

// allVMs returns every VM of the providers: from the inventory for those it holds synced,
// listed live for the others (a provider still loading would otherwise look empty).
func (b *Broker) allVMs(ctx context.Context, c model.Caller, providers []string) ([]model.VM, error) {
	var ps []model.Provider
	for _, name := range providers {
		if p, ok := b.providers.Get(name); ok {
			ps = append(ps, p)
		}
	}
	indexed, live, _, err := b.splitBySync(ctx, ps)
	if err != nil {
		return nil, err
	}
	var out []model.VM
	if len(indexed) > 0 {
		res, err := b.index.Query(inventory.Query{Providers: indexed})
		if err != nil {
			return nil, err
		}
		out = res.VMs
	}
	if len(live) > 0 {
		vms, failed, err := b.listLive(ctx, c, live)
		if err != nil {
			return nil, err
		}
		if len(failed) > 0 { // hosts listed but VMs not: an allocation of 0 would be a lie
			return nil, fmt.Errorf("VMs of provider %q could not be listed: %w", failed[0].Provider, failed[0].Err)
		}
		out = append(out, vms...)
	}
	return out, nil
}

func (b *Broker) listProviderHosts(ctx context.Context, c model.Caller, p model.Provider) ([]model.Host, error) {
	return listOn(ctx, b, c, p, TypeHostList, func(r HostListResult) []model.Host { return r.Hosts })
}

var runHostList = listingRun("list hosts", drivers.CapacityReporter.ListHosts, func(items []model.Host) HostListResult { return HostListResult{Hosts: items} })
