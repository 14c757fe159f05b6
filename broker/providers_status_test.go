package broker

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// imagesOnly is a driver's connection that has images but no VMs, as a catalog's.
type imagesOnly struct{}

func (imagesOnly) Ping(context.Context) error { return nil }
func (imagesOnly) Close() error               { return nil }

func init() {
	drivers.RegisterOpener("test-images-only", func(context.Context, drivers.Config) (*imagesOnly, error) { return &imagesOnly{}, nil })
}

// Every provider has a documented sync state (never ""), and its VM count is what the index,
// and so a listing, holds: a clone written back after the full load counts at once.
func TestProviderStatusesStatesAndCounts(t *testing.T) {
	ix := inventory.NewIndex()
	ix.Reset([]model.VM{ // the full load saw 2 ("idx" synced with VMs 0 in the store); a clone added a third
		{ID: VMUUID("idx", "1"), Provider: "idx", NativeID: "1"},
		{ID: VMUUID("idx", "2"), Provider: "idx", NativeID: "2"},
		{ID: VMUUID("idx", "3"), Provider: "idx", NativeID: "3", Name: "clone"},
	})
	b := New(Options{Tasks: &memQueue{}, Refs: &memRefs{}, Index: ix, Inventory: statusStore{loaded: []string{"idx"}},
		Providers: NewProviders([]model.Provider{{Name: "idx"}, {Name: "new"}, {Name: "cat", Driver: "test-images-only"}})})
	ps, err := b.ProviderStatuses(tctx(t), model.System)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]any{}
	for _, p := range ps {
		got[p.Name] = [2]any{p.Sync.State, p.Sync.VMs}
	}
	want := map[string][2]any{"idx": {SyncSynced, 3}, "new": {SyncPending, 0}, "cat": {SyncNone, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states and counts (-want +got):\n%s", diff)
	}
	// A provider without VMs is not listed for VMs, nor named as failed.
	page, err := b.ListVMs(tctx(t), model.Caller{Name: "t", Providers: []string{"cat"}}, ListVMsQuery{})
	if err != nil || page.Total != 0 || len(page.Failed) != 0 {
		t.Errorf("listing a catalog's VMs: %+v, %v", page, err)
	}
}
