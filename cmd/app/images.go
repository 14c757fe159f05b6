package app

import (
	"context"
	"sync"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
)

// imageMaxAge is how old an image list may be and still be served: two missed refreshes and
// the longest listing; older, its refresher has stopped and the provider is listed live.
func imageMaxAge(cfg *config.Config) time.Duration {
	return 2*cfg.Inventory.ImageRefresh.D() + cfg.Tasks.SyncTimeout.D()
}

// refreshImages keeps every provider's image list in the image inventory fresh. Every replica
// runs it; the claim (one per provider per period) makes one replica list each provider each
// period. It checks four times a period, so a replica that stops is replaced within a quarter
// period of its claim's end.
func (a *App) refreshImages(ctx context.Context) {
	period := a.cfg.Inventory.ImageRefresh.D()
	t := time.NewTicker(period / 4)
	defer t.Stop()
	var running sync.Map // provider → refresh in flight here
	for {
		for _, p := range a.broker.Providers().Visible(model.System) {
			if !broker.HasImages(p) {
				continue
			}
			if _, busy := running.LoadOrStore(p.Name, true); busy {
				continue
			}
			go func() {
				defer running.Delete(p.Name)
				if _, err := a.broker.RefreshImages(ctx, p, period); err != nil && ctx.Err() == nil {
					a.log.Debug("image list refresh failed", "provider", p.Name, "err", err)
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
