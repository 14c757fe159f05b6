package kvm

import (
	"cmp"
	"context"
	"encoding/xml"
	"slices"
	"strings"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.ImageCatalog = (*Conn)(nil)

var _ drivers.ISOLister = (*Conn)(nil)

// volume is one storage volume as the image listings need it.
type volume struct {
	name, path, format string
	capacity, alloc    int64
}

// volXML is the part of a storage volume's XML the driver reads.
type volXML struct {
	Target struct {
		Path   string `xml:"path"`
		Format struct {
			Type string `xml:"type,attr"`
		} `xml:"format"`
	} `xml:"target"`
}

// ListISOs lists the .iso volumes of every active pool: on a libvirt host any of them can be
// attached to any VM, so nativeVMID is only checked to exist.
func (c *Conn) ListISOs(ctx context.Context, nativeVMID string) ([]model.Image, error) {
	if nativeVMID != "" {
		if _, err := c.domain(ctx, nativeVMID); err != nil {
			return nil, err
		}
	}
	var pools []libvirt.StoragePool
	err := c.run(ctx, "list storage pools", func(l *libvirt.Libvirt) (err error) {
		pools, _, err = l.ConnectListAllStoragePools(1, libvirt.ConnectListStoragePoolsActive)
		return err
	})
	if err != nil {
		return nil, err
	}
	var isos []model.Image
	for _, p := range pools {
		vols, err := c.volumes(ctx, p, func(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".iso") })
		if err != nil {
			return nil, err
		}
		for _, v := range vols {
			img := c.image(v)
			img.MediaType, img.Format = "ISO", "iso"
			isos = append(isos, img)
		}
	}
	sortImages(isos)
	return isos, nil
}

// ListImages lists the volumes of the images pool (OptImagesPool).
func (c *Conn) ListImages(ctx context.Context) ([]model.Image, error) {
	var pool libvirt.StoragePool
	err := c.run(ctx, "look up images pool "+c.set.imagesPool, func(l *libvirt.Libvirt) (err error) {
		pool, err = l.StoragePoolLookupByName(c.set.imagesPool)
		return err
	})
	if err != nil {
		return nil, err
	}
	vols, err := c.volumes(ctx, pool, func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	imgs := make([]model.Image, 0, len(vols))
	for _, v := range vols {
		img := c.image(v)
		img.MediaType = "RootVolumeTemplate"
		if v.format == "iso" || strings.HasSuffix(strings.ToLower(v.name), ".iso") {
			img.MediaType, img.Format = "ISO", "iso"
		}
		imgs = append(imgs, img)
	}
	sortImages(imgs)
	return imgs, nil
}

// sortImages orders by name, then path, so listings do not depend on pool enumeration order.
func sortImages(imgs []model.Image) {
	slices.SortFunc(imgs, func(a, b model.Image) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.NativeID, b.NativeID))
	})
}

func (c *Conn) image(v volume) model.Image {
	return model.Image{
		Provider:    c.set.provider,
		NativeID:    v.path,
		Name:        v.name,
		Format:      v.format,
		SizeBytes:   v.capacity,
		ActualBytes: v.alloc,
		URL:         v.path,
		Status:      "Ready",
	}
}

// volumes reads the volumes of pool whose names keep accepts. The pool is refreshed first (best
// effort) so files copied into a directory pool behind libvirt's back show up.
func (c *Conn) volumes(ctx context.Context, pool libvirt.StoragePool, keep func(string) bool) ([]volume, error) {
	var out []volume
	err := c.run(ctx, "list volumes of pool "+pool.Name, func(l *libvirt.Libvirt) error {
		_ = l.StoragePoolRefresh(pool, 0) // fails while a clone writes into the pool: list anyway
		vols, _, err := l.StoragePoolListAllVolumes(pool, 1, 0)
		if err != nil {
			return err
		}
		for _, sv := range vols {
			if !keep(sv.Name) {
				continue
			}
			v := volume{name: sv.Name, path: sv.Key}
			_, capa, alloc, err := l.StorageVolGetInfo(sv)
			if hasCode(err, libvirt.ErrNoStorageVol) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
			v.capacity, v.alloc = int64(capa), int64(alloc)
			desc, err := l.StorageVolGetXMLDesc(sv, 0)
			if err != nil {
				return err
			}
			var x volXML
			if err := xml.Unmarshal([]byte(desc), &x); err == nil {
				v.format = x.Target.Format.Type
				if x.Target.Path != "" {
					v.path = x.Target.Path
				}
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}
