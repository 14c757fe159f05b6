package broker

import (
	"context"

	"cloudbroker/broker/model"
)

// ProviderStatus is a provider the caller sees and where its inventory sync stands.
type ProviderStatus struct {
	model.Provider
	// Sync is nil when the broker keeps no inventory or the provider was never watched.
	Sync *SyncStatus
}

// ProviderStatuses lists the providers the caller sees with their sync status.
func (b *Broker) ProviderStatuses(ctx context.Context, c model.Caller) ([]ProviderStatus, error) {
	var statuses map[string]SyncStatus
	if b.inv != nil {
		var err error
		if statuses, err = b.servedStatuses(ctx); err != nil {
			return nil, err
		}
	}
	var out []ProviderStatus
	for _, p := range b.providers.Visible(c) {
		ps := ProviderStatus{Provider: p}
		if st, ok := statuses[p.Name]; ok {
			ps.Sync = &st
		}
		out = append(out, ps)
	}
	return out, nil
}
