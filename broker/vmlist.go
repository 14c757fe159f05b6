package broker

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

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

// VMPage is one page of VMs plus the providers that could not be listed.
type VMPage struct {
	Total  int
	VMs    []model.VM
	Failed []ProviderError
}

// ProviderError says which provider failed and why; a failing provider does not empty the list.
type ProviderError struct {
	Provider string
	Err      error
}

// ListVMs lists the VMs of every provider the caller sees, each provider as its own task run
// where that provider's worker is, all in parallel, bounded by the sync timeout.
func (b *Broker) ListVMs(ctx context.Context, c Caller, q ListVMsQuery) (VMPage, error) {
	if q.Offset < 0 {
		return VMPage{}, model.Errorf(model.ErrInvalid, "offset %d must be >= 0", q.Offset)
	}
	if q.Limit < 0 || q.Limit > MaxPageSize {
		return VMPage{}, model.Errorf(model.ErrInvalid, "limit %d must be between 1 and %d", q.Limit, MaxPageSize)
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
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

	type outcome struct {
		vms []model.VM
		err error
	}
	results := make([]outcome, len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		wg.Go(func() {
			vms, err := b.listProvider(ctx, c, p)
			results[i] = outcome{vms, err}
		})
	}
	wg.Wait()

	var page VMPage
	var all []model.VM
	refs := map[string]VMRef{}
	for i, r := range results {
		if r.err != nil {
			page.Failed = append(page.Failed, ProviderError{Provider: providers[i].Name, Err: r.err})
			continue
		}
		for _, vm := range r.vms {
			vm.Provider = providers[i].Name
			vm.ID = VMUUID(vm.Provider, vm.NativeID)
			refs[vm.ID] = VMRef{Provider: vm.Provider, NativeID: vm.NativeID}
			all = append(all, vm)
		}
	}
	if len(refs) > 0 {
		if err := b.refs.PutVMRefs(ctx, refs); err != nil {
			return VMPage{}, err
		}
	}
	slices.SortFunc(all, func(a, b model.VM) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
	page.Total = len(all)
	lo, hi := min(q.Offset, len(all)), min(q.Offset+q.Limit, len(all))
	page.VMs = all[lo:hi]
	return page, nil
}

func (b *Broker) listProvider(ctx context.Context, c Caller, p model.Provider) ([]model.VM, error) {
	t, err := b.submit(ctx, TaskSpec{Type: TypeVMList, Provider: p.Name, ClientID: p.ClientID})
	if err != nil {
		return nil, err
	}
	t, err = b.Wait(ctx, c, t.ID)
	if err != nil {
		return nil, err
	}
	if t.State == TaskFailed {
		return nil, t.Err
	}
	var res VMListResult
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return nil, fmt.Errorf("task %s: decoding VM list: %w", t.ID, err)
	}
	return res.VMs, nil
}

func runVMList(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	vl, ok := c.(drivers.VMLister)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "list VMs")
	}
	vms, err := vl.ListVMs(ctx)
	if err != nil {
		return nil, err
	}
	return VMListResult{VMs: vms}, nil
}
