package vcenter

import (
	"cmp"
	"context"
	"slices"

	"github.com/vmware/govmomi/vim25/mo"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.ImageCatalog = (*Conn)(nil)

// ListImages implements drivers.ImageCatalog: a vCenter's images are its templates. It is the
// same single request as ListVMs, keeping the template rows.
func (c *Conn) ListImages(ctx context.Context) ([]model.Image, error) {
	raw, _, err := c.fetchVMs(ctx, c.allVMs())
	if err != nil {
		return nil, wrapErr(err, "list images")
	}
	out := []model.Image{}
	for i := range raw {
		if v := &raw[i]; v.Config != nil && v.Config.Template {
			out = append(out, c.toImage(v))
		}
	}
	slices.SortFunc(out, func(a, b model.Image) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
	return out, nil
}

func (c *Conn) toImage(v *mo.VirtualMachine) model.Image {
	cfg := v.Config
	g := guestOS(cfg.GuestId, cfg.GuestFullName)
	img := model.Image{
		Provider:    c.provider,
		NativeID:    v.Self.Value,
		Name:        v.Name,
		Description: cfg.Annotation,
		MediaType:   "RootVolumeTemplate",
		Format:      "vmdk",
		Platform:    g.Platform,
		OSFamily:    g.Family,
		OSVersion:   g.Version,
		OSArch:      g.Arch,
		Status:      "Ready",
	}
	for _, d := range disksOf(cfg.Hardware.Device) {
		img.SizeBytes += d.CapacityBytes
	}
	if cfg.CreateDate != nil && !cfg.CreateDate.IsZero() {
		img.CreatedAt = cfg.CreateDate.UTC()
	}
	return img
}
