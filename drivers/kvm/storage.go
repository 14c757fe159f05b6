package kvm

import (
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"slices"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/uuid"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.StorageLister = (*Conn)(nil)

// poolXML is the part of a storage pool's XML the driver reads.
type poolXML struct {
	Type   string `xml:"type,attr"`
	Target struct {
		Path string `xml:"path"`
	} `xml:"target"`
}

// ListStorage implements drivers.StorageLister: every storage pool, active or not, with the
// sizes pool info reports (an inactive pool reports none). A disk names its pool (poolOf).
func (c *Conn) ListStorage(ctx context.Context) ([]model.Storage, error) {
	var out []model.Storage
	err := c.run(ctx, "list storage pools", func(l *libvirt.Libvirt) error {
		pools, _, err := l.ConnectListAllStoragePools(1, 0)
		if err != nil {
			return err
		}
		for _, p := range pools {
			state, capacity, _, available, err := l.StoragePoolGetInfo(p)
			if err == nil {
				var desc string
				if desc, err = l.StoragePoolGetXMLDesc(p, 0); err == nil {
					var x poolXML
					if err := xml.Unmarshal([]byte(desc), &x); err != nil {
						return fmt.Errorf("pool %s: parse XML: %w", p.Name, err)
					}
					out = append(out, model.Storage{
						Provider: c.set.provider, NativeID: uuid.UUID(p.UUID).String(), Name: p.Name,
						Type: x.Type, URL: x.Target.Path,
						CapacityBytes: int64(capacity), FreeBytes: int64(available),
						Active: libvirt.StoragePoolState(state) == libvirt.StoragePoolRunning,
					})
				}
			}
			if err != nil && !hasCode(err, libvirt.ErrNoStoragePool) { // undefined meanwhile: skip
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b model.Storage) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}
