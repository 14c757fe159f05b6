package kvm

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/uuid"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.DiskLister = (*Conn)(nil)

// ListDisks reads a VM's virtual disks (not cdroms) from its live domain XML, in XML order.
// Labels follow vSphere ("Hard disk 1", ...) so the vcproxy dialect reads the same for KVM.
func (c *Conn) ListDisks(ctx context.Context, nativeVMID string) ([]model.Disk, error) {
	d, err := c.domain(ctx, nativeVMID)
	if err != nil {
		return nil, err
	}
	var desc string
	err = c.run(ctx, "read vm "+d.Name, func(l *libvirt.Libvirt) (err error) {
		desc, err = l.DomainGetXMLDesc(d, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	x, err := parseDomain(desc)
	if err != nil {
		return nil, fmt.Errorf("kvm %s: vm %s: parse domain XML: %w", c.set.provider, d.Name, err)
	}
	return c.disksOf(ctx, d, x)
}

// disksOf builds the model disks from a parsed domain XML; ListDisks and the VM listing (vm)
// share it so both read the same disks. Each disk costs one libvirt round (capacity: volume
// lookup, info and pool), so a listing costs one per disk of every VM.
func (c *Conn) disksOf(ctx context.Context, d libvirt.Domain, x domainXML) ([]model.Disk, error) {
	var disks []model.Disk
	for _, dx := range x.Devices.Disks {
		if !dx.isDisk() {
			continue
		}
		n := int32(len(disks))
		disk := model.Disk{
			Key:            n,
			Label:          "Hard disk " + strconv.Itoa(int(n)+1),
			ControllerType: dx.Target.Bus,
			UnitNumber:     n,
			FileName:       dx.fileName(),
			Format:         dx.Driver.Type,
			Target:         dx.Target.Dev,
			UUID:           diskUUID(d.UUID, dx),
		}
		if a := dx.Address; a != nil {
			switch a.Type {
			case "drive": // scsi, sata, ide: controller index, bus, unit on that bus
				disk.ControllerKey, disk.BusNumber, disk.UnitNumber = num(a.Controller), num(a.Bus), num(a.Unit)
			case "pci": // virtio-blk: one PCI device per disk; its slot is the unit
				disk.BusNumber, disk.UnitNumber = num(a.Bus), num(a.Slot)
			}
		}
		size, pool, err := c.capacity(ctx, d, dx)
		if err != nil {
			return nil, err
		}
		disk.CapacityBytes, disk.Storage = size, pool
		disks = append(disks, disk)
	}
	return disks, nil
}

// capacity asks the storage volume behind a disk, then the hypervisor (DomainGetBlockInfo),
// for the virtual size; pool is the storage pool holding that volume ("" for a file in no
// pool). A disk neither knows (a path outside every pool on a stopped domain) is listed with 0
// rather than failing the whole list; a dead connection still fails it.
func (c *Conn) capacity(ctx context.Context, d libvirt.Domain, dx diskXML) (size int64, pool string, err error) {
	err = c.run(ctx, "read capacity of "+dx.Target.Dev, func(l *libvirt.Libvirt) error {
		var n uint64
		vol, err := c.volumeOf(l, dx)
		if err == nil {
			if _, n, _, err = l.StorageVolGetInfo(vol); err == nil {
				if p, perr := l.StoragePoolLookupByVolume(vol); perr == nil {
					pool = p.Name
				}
			}
		}
		if err != nil {
			_, n, _, err = l.DomainGetBlockInfo(d, dx.Target.Dev, 0)
		}
		size = int64(n)
		return err
	})
	if errors.Is(err, model.ErrUnavailable) || errors.Is(err, model.ErrTimeout) {
		return 0, "", err
	}
	return size, pool, nil
}

// volumeOf finds the storage volume backing a disk.
func (c *Conn) volumeOf(l *libvirt.Libvirt, dx diskXML) (libvirt.StorageVol, error) {
	if dx.Source.Pool != "" {
		p, err := l.StoragePoolLookupByName(dx.Source.Pool)
		if err != nil {
			return libvirt.StorageVol{}, err
		}
		return l.StorageVolLookupByName(p, dx.Source.Volume)
	}
	if dx.path() == "" {
		return libvirt.StorageVol{}, model.Errorf(model.ErrUnsupported, "disk %s has no local source", dx.Target.Dev)
	}
	return l.StorageVolLookupByPath(dx.path())
}

// diskUUID is stable across reads: the serial or WWN the guest sees when set, else a name-based
// (SHA-1) UUID of the domain UUID and the target device.
func diskUUID(dom libvirt.UUID, dx diskXML) string {
	switch {
	case dx.Serial != "":
		return dx.Serial
	case dx.WWN != "":
		return dx.WWN
	}
	return uuid.NewSHA1(uuid.UUID(dom), []byte(dx.Target.Dev)).String()
}
