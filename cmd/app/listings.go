package app

import (
	"context"
	"sync"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
)

// listingMaxAge is how old a provider's list (images, hosts, networks, storage) may be and
// still be served: two missed refreshes and the longest listing; older, its refresher has
// stopped and the provider is listed live.
func listingMaxAge(cfg *config.Config) time.Duration {
	return 2*cfg.Inventory.ListingRefresh.D() + cfg.Tasks.SyncTimeout.D()
}

// refreshListings keeps every provider's list of every kind its driver can list fresh in the
// listings inventory. Every replica runs it; the claim (one per kind and provider per period)
// makes one replica list each each period. It checks four times a period, so a replica that
// stops is replaced within a quarter period of its claim's end. A provider's kinds are listed
// one after another, so the refresh takes one of its task slots (its concurrency cap), as the
// image refresh alone did, and the callers' tasks keep the others. The listings run as the
// broker itself (model.System): background tasks, in no caller's recent tasks.
func (a *App) refreshListings(ctx context.Context) {
	period := a.cfg.Inventory.ListingRefresh.D()
	t := time.NewTicker(period / 4)
	defer t.Stop()
	var running sync.Map // provider → refresh in flight here
	for {
		for _, p := range a.broker.Providers().Visible(model.System) {
			kinds := broker.ListKindsOf(p)
			if len(kinds) == 0 {
				continue
			}
			if _, busy := running.LoadOrStore(p.Name, true); busy {
				continue
			}
			go func() {
				defer running.Delete(p.Name)
				for _, kind := range kinds {
					if _, err := a.broker.RefreshListing(ctx, kind, p, period); err != nil && ctx.Err() == nil {
						a.log.Debug("list refresh failed", "kind", kind, "provider", p.Name, "err", err)
					}
				}
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
