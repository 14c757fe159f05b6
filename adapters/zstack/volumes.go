package zstack

import (
	"context"

	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// QueryImage and QueryVolume read what the broker already holds: the image inventory DiDi's
// image list reads (Broker.ListImages), and the disks of the caller's VMs in the VM inventory
// (no listing task for a synced provider).

// images are the images of the caller's providers, read a page at a time.
func (s *Server) images(ctx context.Context, caller model.Caller) (listed[imageInventory], error) {
	var out listed[imageInventory]
	for start := 0; ; start += broker.MaxPageSize {
		pg, err := s.b.ListImages(ctx, caller, broker.ListImagesQuery{Start: start, Limit: broker.MaxPageSize})
		if err != nil {
			return listed[imageInventory]{}, err
		}
		if start == 0 {
			out.failed = pg.Failed
		}
		for _, img := range pg.Images {
			out.items = append(out.items, s.r.image(img.Image))
		}
		if len(pg.Images) == 0 || start+len(pg.Images) >= pg.Total {
			return out, nil
		}
	}
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
