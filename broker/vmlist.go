package broker

import (
	"cmp"
	"context"
	"slices"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// ListVMsQuery selects and pages VMs.
type ListVMsQuery struct {
	// ClientID and Provider, when set, keep only VMs served by that agent / provider.
	ClientID string
	Provider string
	// Offset and Limit page the sorted list. Limit 0 means DefaultPageSize.
	Offset, Limit int
}

// Paging limits.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// VMPage is one page of VMs plus the providers that could not be listed, and those whose
// VMs come from an inventory that may be out of date (its last sync failed).
type VMPage struct {
	Total  int
	VMs    []model.VM
	Failed []ProviderError
	Stale  []SyncStatus
}

// ProviderError says which provider failed and why; a failing provider does not empty the list.
type ProviderError struct {
	Provider string
	Err      error
}

// ListVMs lists the VMs of every provider the caller sees, each provider as its own task run
// where that provider's worker is, all in parallel, bounded by the sync timeout.
func (b *Broker) ListVMs(ctx context.Context, c model.Caller, q ListVMsQuery) (VMPage, error) {
	var err error
	if q.Limit, err = pageParams("offset", q.Offset, q.Limit); err != nil {
		return VMPage{}, err
	}
	var providers []model.Provider
	for _, p := range b.providers.Visible(c) {
		if (q.Provider == "" || p.Name == q.Provider) && (q.ClientID == "" || p.ClientID == q.ClientID) {
			providers = append(providers, p)
		}
	}
	if q.Provider != "" && len(providers) == 0 {
		return VMPage{}, model.Errorf(model.ErrNotFound, "provider %q not found", q.Provider)
	}

	indexed, live, stale, err := b.splitBySync(ctx, providers)
	if err != nil {
		return VMPage{}, err
	}
	page := VMPage{Stale: stale}
	var all []model.VM
	if len(indexed) > 0 {
		res, err := b.index.Query(inventory.Query{Providers: indexed})
		if err != nil {
			return VMPage{}, err
		}
		all = res.VMs
	}
	var snap liveListing
	if len(live) > 0 {
		// One snapshot per query: pages after the first read the first page's (livesnapshot.go).
		if snap, err = b.liveVMs(ctx, c, live, ListVMsQuery{ClientID: q.ClientID, Provider: q.Provider}, q.Offset); err != nil {
			return VMPage{}, err
		}
		all, page.Failed = append(all, snap.vms...), snap.failed
	}
	slices.SortFunc(all, func(a, b model.VM) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
	page.Total = len(all)
	page.VMs = pageOf(all, q.Offset, q.Limit)
	b.keepLive(ctx, snap, q.Offset+q.Limit < page.Total)
	return page, nil
}

// splitBySync sorts providers into those the inventory serves (it completed a load at least
// once) and those that must be listed live (no inventory, or not loaded yet). Providers
// without VMs (HasVMs) are in neither.
func (b *Broker) splitBySync(ctx context.Context, providers []model.Provider) (indexed []string, live []model.Provider, stale []SyncStatus, err error) {
	providers = slices.DeleteFunc(slices.Clone(providers), func(p model.Provider) bool { return !HasVMs(p) })
	if b.index == nil || b.inv == nil {
		return nil, providers, nil, nil
	}
	statuses, err := b.servedStatuses(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, p := range providers {
		st, ok := statuses[p.Name]
		if !ok || st.LastSync.IsZero() {
			live = append(live, p)
			continue
		}
		indexed = append(indexed, p.Name)
		if st.Stale() {
			stale = append(stale, st)
		}
	}
	return indexed, live, stale, nil
}

// listLive lists providers through tasks, in parallel, recording their ids.
func (b *Broker) listLive(ctx context.Context, c model.Caller, providers []model.Provider) ([]model.VM, []ProviderError, error) {
	results := fanOut(providers, func(p model.Provider) ([]model.VM, error) { return b.listProvider(ctx, c, p) })

	var failed []ProviderError
	var all []model.VM
	refs := map[string]VMRef{}
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, ProviderError{Provider: r.Provider.Name, Err: r.Err})
			continue
		}
		for _, vm := range r.Value {
			vm.Provider = r.Provider.Name
			vm.ID = VMUUID(vm.Provider, vm.NativeID)
			refs[vm.ID] = VMRef{Provider: vm.Provider, NativeID: vm.NativeID}
			all = append(all, vm)
		}
	}
	if len(refs) > 0 {
		if err := b.refs.PutVMRefs(ctx, refs); err != nil {
			return nil, nil, err
		}
	}
	return all, failed, nil
}

func (b *Broker) listProvider(ctx context.Context, c model.Caller, p model.Provider) ([]model.VM, error) {
	return listOn(ctx, b, c, p, TypeVMList, func(r VMListResult) []model.VM { return r.VMs })
}

var runVMList = listingRun("list VMs", drivers.VMLister.ListVMs, func(items []model.VM) VMListResult { return VMListResult{VMs: items} })
