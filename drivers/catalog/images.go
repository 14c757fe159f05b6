package catalog

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// ListImages implements drivers.ImageCatalog: it pages through the region's images, start/limit,
// until it holds count items. The catalog may change between pages; an image seen twice is kept
// once, and a page that comes back empty ends the listing even if count said more.
func (c *Conn) ListImages(ctx context.Context) ([]model.Image, error) {
	out := []model.Image{}
	seen := map[string]bool{}
	for start := 0; ; {
		d, err := c.list(ctx, start, c.set.pageSize)
		if err != nil {
			return nil, err
		}
		for _, it := range d.Items {
			if it.CimgUUID == "" {
				return nil, c.errorf(nil, "item %d of the page at start %d has no cimgUuid", len(out), start)
			}
			if !seen[it.CimgUUID] {
				seen[it.CimgUUID] = true
				out = append(out, c.toImage(it))
			}
		}
		start += len(d.Items)
		if len(d.Items) == 0 || start >= d.Count {
			return out, nil
		}
	}
}

// toImage maps a catalog item. size is the image's stored size and requirement.minDiskSize the
// disk it needs, which is what the model calls ActualBytes and SizeBytes; the broker's DiDi
// dialect maps them back the same way, so a federated image reads the same at both ends.
func (c *Conn) toImage(it cimgItem) model.Image {
	img := model.Image{
		Provider:    c.set.provider,
		NativeID:    it.CimgUUID,
		Name:        it.Name,
		Description: it.Description,
		MediaType:   "RootVolumeTemplate",
		Platform:    it.Platform,
		OSFamily:    it.OSFamily,
		OSVersion:   it.OSVersion,
		OSArch:      it.OSArch,
		SizeBytes:   it.Requirement.MinDiskSize,
		ActualBytes: it.Size,
		Status:      it.Status,
	}
	if img.SizeBytes == 0 {
		img.SizeBytes = it.Size
	}
	if it.CreateTime > 0 {
		img.CreatedAt = time.UnixMilli(it.CreateTime).UTC()
	}
	if it.UpdateTime > 0 {
		img.UpdatedAt = time.UnixMilli(it.UpdateTime).UTC()
	}
	return img
}
