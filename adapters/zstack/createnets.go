package zstack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// l3Order checks CreateVmInstance's l3NetworkUuids and defaultL3NetworkUuid and returns the
// uuids (lowercase) in NIC order: the default first (ZStack's default NIC is the VM's first),
// the others as given. The default must be one of the list; alone it names no network set.
func l3Order(uuids []string, def string) ([]string, error) {
	if def != "" && len(uuids) == 0 {
		return nil, model.Errorf(model.ErrInvalid, "params.defaultL3NetworkUuid is given without params.l3NetworkUuids: the default must be one of the VM's L3 networks")
	}
	out := make([]string, 0, len(uuids))
	for _, u := range uuids {
		if !broker.IsUUID(strings.ToLower(u)) {
			return nil, model.Errorf(model.ErrInvalid, "params.l3NetworkUuids: %q is not a uuid (32 hexadecimal characters)", shorten(u))
		}
		out = append(out, strings.ToLower(u))
	}
	if def == "" {
		return out, nil
	}
	at := slices.Index(out, strings.ToLower(def))
	if at < 0 {
		return nil, model.Errorf(model.ErrInvalid, "params.defaultL3NetworkUuid %q is not one of params.l3NetworkUuids", shorten(def))
	}
	return append(append([]string{out[at]}, out[:at]...), out[at+1:]...), nil
}

// createNetworks maps the L3 uuids to the networks the caller sees (any provider: the broker
// refuses one that is not the image's). A uuid that is no network the caller sees is refused
// naming it, whether it does not exist or is another tenant's.
func (s *Server) createNetworks(ctx context.Context, caller model.Caller, l3 []string) ([]broker.CreateNetwork, error) {
	if len(l3) == 0 {
		return nil, nil
	}
	nets := s.b.Networks(ctx, caller, nil)
	out := make([]broker.CreateNetwork, len(l3))
	for i, u := range l3 {
		at := slices.IndexFunc(nets.Items, func(n model.Network) bool { return l3UUIDOf(n.Provider, n.Name) == u })
		if at < 0 && len(nets.Failed) > 0 {
			// It may be a network of a provider that did not answer: say so, not "unknown".
			f := nets.Failed[0]
			return nil, fmt.Errorf("params.l3NetworkUuids: %s was not found, and the networks of provider %q could not be listed: %w", u, f.Provider, f.Err)
		}
		if at < 0 {
			return nil, model.Errorf(model.ErrInvalid, "params.l3NetworkUuids: %s is not an L3 network you see", u)
		}
		out[i] = broker.CreateNetwork{Provider: nets.Items[at].Provider, Name: nets.Items[at].Name, As: u}
	}
	return out, nil
}
