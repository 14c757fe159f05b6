package zstack

import (
	"cmp"
	"context"
	"slices"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// QueryImage and QueryVolume read what the broker already holds: the listings inventory DiDi's
// image list reads (Broker.Images), and the disks of the caller's VMs in the VM inventory
// (no listing task for a synced provider).

// images are the images of the caller's providers from the listings inventory
// (Broker.Images), in ListImages' order: by name, then provider, then native id.
func (s *Server) images(ctx context.Context, caller model.Caller) (listed[imageInventory], error) {
	l := s.b.Images(ctx, caller, nil)
	slices.SortFunc(l.Items, func(a, b model.Image) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.NativeID, b.NativeID))
	})
	out := listed[imageInventory]{failed: l.Failed}
	for _, img := range l.Items {
		out.items = append(out.items, s.r.image(img))
	}
	return out, nil
}

// volumes are the disks of the caller's VMs (templates are images, not VMs: their disks are
// left out), as the VMs' allVolumes render them.
func (s *Server) volumes(ctx context.Context, caller model.Caller) (listed[volume], error) {
	res, err := s.b.QueryVMs(ctx, caller, inventory.Query{Conditions: []inventory.Condition{notTemplate}})
	if err != nil {
		return listed[volume]{}, err
	}
	out := listed[volume]{failed: res.Failed}
	for i := range res.VMs {
		out.items = append(out.items, s.r.volumes(&res.VMs[i])...)
	}
	return out, nil
}
