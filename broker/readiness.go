package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cloudbroker/broker/model"
)

// Readiness reports whether this replica can do the caller's work: every provider the caller
// sees reachable, as the inventory sync (or the agent's heartbeat, for a provider an agent
// runs) last saw it. It returns nil when ready, otherwise an error wrapping
// model.ErrUnavailable that names every such provider that is not ready and why. Providers
// the caller does not see neither count nor appear: another tenant's outage is not this
// caller's, and its name and agent are not this caller's to read. Without an inventory the
// broker keeps no record of a provider's reachability, so only the agents are checked. Redis
// is checked by the adapter (reading the node registry needs it).
func (b *Broker) Readiness(ctx context.Context, c model.Caller) error {
	statuses, err := b.ProviderStatuses(ctx, c)
	if err != nil {
		return err
	}
	var problems []string
	for _, ps := range statuses {
		if err := b.checkAgent(ctx, ps.ClientID); err != nil {
			if !errors.Is(err, model.ErrUnavailable) {
				return err
			}
			problems = append(problems, fmt.Sprintf("provider %q: %s", ps.Name, strings.TrimSuffix(err.Error(), ": "+model.ErrUnavailable.Error())))
			continue
		}
		if b.inv == nil {
			continue
		}
		switch {
		case ps.Sync == nil || ps.Sync.State == SyncPending:
			problems = append(problems, fmt.Sprintf("provider %q: inventory not loaded yet", ps.Name))
		case ps.Sync.State == SyncLoading:
			problems = append(problems, fmt.Sprintf("provider %q: inventory still loading", ps.Name))
		case ps.Sync.State == SyncError:
			problems = append(problems, fmt.Sprintf("provider %q: unreachable: %s", ps.Name, ps.Sync.LastError))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("not ready: %s: %w", strings.Join(problems, "; "), model.ErrUnavailable)
	}
	return nil
}
