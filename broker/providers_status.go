package broker

import (
	"context"

	"cloudbroker/broker/model"
)

// ProviderStatus is a provider the caller sees and where its inventory sync stands.
type ProviderStatus struct {
	model.Provider
	// Sync is nil only when the broker keeps no inventory.
	Sync *SyncStatus
}

// ProviderStatuses lists the providers the caller sees with their sync status. Its VM count is
// the index's, so it follows clones and deletions as a listing does, not only full loads.
func (b *Broker) ProviderStatuses(ctx context.Context, c model.Caller) ([]ProviderStatus, error) {
	var statuses map[string]SyncStatus
	var counts map[string]int
	if b.inv != nil {
		var err error
		if statuses, err = b.servedStatuses(ctx); err != nil {
			return nil, err
		}
	}
	if b.index != nil {
		counts = b.index.CountByProvider()
	}
	var out []ProviderStatus
	for _, p := range b.providers.Visible(c) {
		ps := ProviderStatus{Provider: p}
		if b.inv != nil {
			st, ok := statuses[p.Name]
			switch {
			case !HasVMs(p):
				st = SyncStatus{Provider: p.Name, State: SyncNone}
			case !ok: // its first watch has not started: scheduled, or its agent not yet heard from
				st = SyncStatus{Provider: p.Name, State: SyncPending}
			}
			if counts != nil {
				st.VMs = counts[p.Name]
			}
			ps.Sync = &st
		}
		out = append(out, ps)
	}
	return out, nil
}
