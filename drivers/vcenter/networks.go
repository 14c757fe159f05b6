package vcenter

import (
	"cmp"
	"context"
	"slices"

	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.NetworkLister = (*Conn)(nil)

// networkTypes are the managed object types a VM NIC attaches to. A PropertySpec of type
// Network should match its subtypes, but each is named so no server (or simulator) has to.
var networkTypes = []string{"Network", "DistributedVirtualPortgroup", "OpaqueNetwork"}

// ListNetworks implements drivers.NetworkLister: every standard network, distributed port
// group (uplink groups included) and opaque network of the datacenters below the configured
// root, in one request. Names are what VM listings put in NIC.Network: a standard network's
// name is its NIC backing's deviceName, a port group's is looked up by its key. (A NIC on an
// opaque network names it only through VMware Tools' guest.net: its backing holds an NSX id.)
func (c *Conn) ListNetworks(ctx context.Context) ([]model.Network, error) {
	props := make([]types.PropertySpec, len(networkTypes))
	for i, t := range networkTypes {
		props[i] = types.PropertySpec{Type: t, PathSet: []string{"name", "summary.accessible"}}
	}
	objs, err := c.retrieve(ctx, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: c.root, Skip: types.NewBool(true), SelectSet: dcFolderSelectSet(tsDCNets, "networkFolder")}},
		PropSet:   props,
	})
	if err != nil {
		return nil, wrapErr(err, "list networks")
	}
	out := []model.Network{}
	for _, o := range objs {
		if !slices.Contains(networkTypes, o.Obj.Type) {
			continue // a distributed switch or a folder
		}
		n := model.Network{Provider: c.provider, NativeID: o.Obj.Value, Type: o.Obj.Type}
		for _, p := range o.PropSet {
			switch p.Name {
			case "name":
				n.Name, _ = p.Val.(string)
			case "summary.accessible":
				n.Active, _ = p.Val.(bool)
			}
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b model.Network) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
	return out, nil
}
