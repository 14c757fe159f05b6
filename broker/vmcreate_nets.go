package broker

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"cloudbroker/broker/model"
)

// createNetworks checks a create's networks against the networks of p, the image's provider,
// that the caller sees, and returns their names in NIC order. A network of another provider,
// or one p does not have, is refused naming it as the caller did.
func (b *Broker) createNetworks(ctx context.Context, c model.Caller, p model.Provider, req CreateRequest) ([]string, error) {
	if len(req.Networks) == 0 {
		return nil, nil
	}
	for _, n := range req.Networks {
		if n.Provider != p.Name {
			return nil, model.Errorf(model.ErrInvalid, "network %s is on provider %q, not on provider %q where image %s is: a VM's networks are its provider's", cmp.Or(n.As, n.Name), n.Provider, p.Name, req.Image)
		}
	}
	// The listings inventory's copy where fresh; the driver checks again before it makes anything.
	nets := b.Networks(ctx, c, []string{p.Name})
	if len(nets.Failed) > 0 {
		return nil, fmt.Errorf("the networks of provider %q could not be listed: %w", p.Name, nets.Failed[0].Err)
	}
	names := make([]string, len(req.Networks))
	for i, n := range req.Networks {
		if !slices.ContainsFunc(nets.Items, func(m model.Network) bool { return m.Name == n.Name }) {
			return nil, model.Errorf(model.ErrInvalid, "network %s is not a network of provider %q, where image %s is", cmp.Or(n.As, n.Name), p.Name, req.Image)
		}
		names[i] = n.Name
	}
	return names, nil
}
