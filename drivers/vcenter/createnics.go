package vcenter

import (
	"context"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
)

// nicChanges are the clone spec's device changes that leave the new VM exactly one NIC per
// named network, in order: the template's NICs are reused in device order with their backing
// changed (a standard network by name, a distributed port group by its key and switch uuid),
// vmxnet3 NICs are added for extra networks and surplus NICs removed. Every name is looked up
// before any change is made, so an unknown one (model.ErrNotFound) clones nothing.
func (c *Conn) nicChanges(ctx context.Context, devices []types.BaseVirtualDevice, names []string) ([]types.BaseVirtualDeviceConfigSpec, error) {
	if len(names) == 0 {
		return nil, nil
	}
	nets, err := c.ListNetworks(ctx)
	if err != nil {
		return nil, err
	}
	backings := make([]types.BaseVirtualDeviceBackingInfo, len(names))
	for i, name := range names {
		// ListNetworks sorts by name then id: a name used in two datacenters takes the first.
		at := slices.IndexFunc(nets, func(n model.Network) bool { return n.Name == name })
		if at < 0 {
			return nil, model.Errorf(model.ErrNotFound, "network %q is not a network of this vCenter", name)
		}
		ref, ok := object.NewReference(c.client, types.ManagedObjectReference{Type: nets[at].Type, Value: nets[at].NativeID}).(object.NetworkReference)
		if !ok {
			return nil, model.Errorf(model.ErrUnsupported, "network %q (%s) cannot back a NIC", name, nets[at].Type)
		}
		if backings[i], err = ref.EthernetCardBackingInfo(ctx); err != nil {
			return nil, err
		}
	}
	cards := object.VirtualDeviceList(devices).SelectByType((*types.VirtualEthernetCard)(nil))
	var out []types.BaseVirtualDeviceConfigSpec
	for i, b := range backings {
		op, card := types.VirtualDeviceConfigSpecOperationEdit, types.BaseVirtualDevice(nil)
		if i < len(cards) {
			card = cards[i]
			card.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard().Backing = b
		} else {
			op = types.VirtualDeviceConfigSpecOperationAdd
			if card, err = (object.VirtualDeviceList{}).CreateEthernetCard("vmxnet3", b); err != nil {
				return nil, err
			}
			card.GetVirtualDevice().Key = int32(-100 - i) // each added device needs its own key
		}
		out = append(out, &types.VirtualDeviceConfigSpec{Operation: op, Device: card})
	}
	for _, card := range cards[min(len(backings), len(cards)):] {
		out = append(out, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationRemove, Device: card})
	}
	return out, nil
}
