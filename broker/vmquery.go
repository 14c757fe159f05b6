package broker

import (
	"context"
	"fmt"
	"slices"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// VMQueryResult is one page of the VMs a query matched, Total counting every match, plus the
// providers that could not be searched (Failed) and those searched in an inventory that may be
// out of date (Stale). A failed provider does not empty the answer: the others' VMs are there.
type VMQueryResult struct {
	Total  int
	VMs    []model.VM
	Failed []ProviderError
	Stale  []SyncStatus
}

// QueryVMs runs an inventory query (conditions on model.VM JSON paths, sort, page) over the VMs
// of the providers the caller sees; q.Providers narrows that further. Providers the inventory
// serves are searched in memory; the others (no inventory, or not loaded yet) are listed live,
// and their VMs are searched together with the inventory's matches so that one sort and one
// page cover both. A malformed condition is an error wrapping model.ErrInvalid; a search still
// running when ctx is done stops with one wrapping model.ErrTimeout.
func (b *Broker) QueryVMs(ctx context.Context, c model.Caller, q inventory.Query) (VMQueryResult, error) {
	var providers []model.Provider
	for _, p := range b.providers.Visible(c) {
		if q.Providers == nil || slices.Contains(q.Providers, p.Name) {
			providers = append(providers, p)
		}
	}
	indexed, live, stale, err := b.splitBySync(ctx, providers)
	if err != nil {
		return VMQueryResult{}, err
	}
	res := VMQueryResult{Stale: stale}
	if len(live) == 0 && b.index == nil { // no provider to search
		_, err := inventory.NewIndex().QueryContext(ctx, q)
		return res, err
	}
	if len(live) == 0 {
		q.Providers = append([]string{}, indexed...) // never nil: nil would mean every provider
		r, err := b.index.QueryContext(ctx, q)
		if err != nil {
			return VMQueryResult{}, err
		}
		res.Total, res.VMs = r.Total, r.VMs
		return res, nil
	}
	// Check the conditions before listing anything: a malformed query costs no cloud calls.
	if _, err := inventory.NewIndex().QueryContext(ctx, inventory.Query{Conditions: q.Conditions, Sort: q.Sort, Start: q.Start, Joins: q.Joins}); err != nil {
		return VMQueryResult{}, err
	}
	// One snapshot per query: pages after the first read the first page's (livesnapshot.go).
	unpaged := q
	unpaged.Start, unpaged.Limit = 0, 0
	snap, err := b.liveVMs(ctx, c, live, unpaged, q.Start)
	if err != nil {
		return VMQueryResult{}, err
	}
	all := snap.vms
	res.Failed = snap.failed
	if len(indexed) > 0 {
		r, err := b.index.QueryContext(ctx, inventory.Query{Providers: indexed, Conditions: q.Conditions, Joins: q.Joins})
		if err != nil {
			return VMQueryResult{}, err
		}
		all = append(all, r.VMs...)
	}
	scratch := inventory.NewIndex()
	scratch.Reset(all)
	q.Providers = nil
	r, err := scratch.QueryContext(ctx, q)
	if err != nil {
		return VMQueryResult{}, err
	}
	res.Total, res.VMs = r.Total, r.VMs
	b.keepLive(ctx, snap, q.Limit > 0 && q.Start+q.Limit < r.Total)
	return res, nil
}

// VM returns one VM the caller sees, as the inventory (or a live listing) has it.
func (b *Broker) VM(ctx context.Context, c model.Caller, id string) (model.VM, error) {
	if !IsUUID(id) {
		return model.VM{}, model.Errorf(model.ErrNotFound, "vm %s not found", id)
	}
	r, err := b.QueryVMs(ctx, c, inventory.Query{
		Conditions: []inventory.Condition{{Field: "id", Op: inventory.OpEq, Values: []string{id}}}, Limit: 1,
	})
	if err != nil {
		return model.VM{}, err
	}
	if len(r.VMs) == 0 {
		if failed := visibleFailures(c, r.Failed, r.Stale); failed != "" {
			return model.VM{}, fmt.Errorf("vm %s not found, and %s: %w", id, failed, model.ErrUnavailable)
		}
		return model.VM{}, model.Errorf(model.ErrNotFound, "vm %s not found", id)
	}
	return r.VMs[0], nil
}
