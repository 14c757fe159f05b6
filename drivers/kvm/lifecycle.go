package kvm

import (
	"context"
	"errors"
	"fmt"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ interface {
	drivers.Destroyer
	drivers.Recoverer
	drivers.Expunger
} = (*Conn)(nil)

// Destroy implements drivers.Destroyer: the domain is forced off, then its definition gets the
// destroyed mark (lifecyclemark.go) with virDomainSetMetadata. A VM already marked keeps its
// first mark.
func (c *Conn) Destroy(ctx context.Context, nativeVMID string, at time.Time) error {
	d, x, err := c.definition(ctx, nativeVMID)
	if err != nil {
		return err
	}
	if err := c.SetPower(ctx, nativeVMID, model.PowerOff); err != nil {
		return err
	}
	if !destroyedAtOf(x).IsZero() {
		return nil
	}
	// libvirt puts the element into the namespace it is given, under the prefix.
	return c.setDestroyed(ctx, d, "<destroyed at='"+at.UTC().Format(time.RFC3339)+"'/>")
}

// Recover implements drivers.Recoverer: the destroyed mark is removed; the domain stays off.
func (c *Conn) Recover(ctx context.Context, nativeVMID string) error {
	d, x, err := c.definition(ctx, nativeVMID)
	if err != nil {
		return err
	}
	if destroyedAtOf(x).IsZero() {
		return model.Errorf(model.ErrConflict, "kvm %s: recover vm %s: it is not destroyed; destroy it first", c.set.provider, d.Name)
	}
	return c.setDestroyed(ctx, d, "")
}

// Expunge implements drivers.Expunger: the domain is undefined (with its NVRAM) and every disk
// volume it had is deleted. A disk that is not a volume of an active pool cannot be deleted
// through libvirt, so such a VM is refused before anything changes.
func (c *Conn) Expunge(ctx context.Context, nativeVMID string) error {
	d, x, err := c.definition(ctx, nativeVMID)
	if err != nil {
		return err
	}
	if destroyedAtOf(x).IsZero() {
		return model.Errorf(model.ErrConflict, "kvm %s: expunge vm %s: it is not destroyed; destroy it first", c.set.provider, d.Name)
	}
	var vols []libvirt.StorageVol
	err = c.run(ctx, "find disks of vm "+d.Name, func(l *libvirt.Libvirt) error {
		for _, dx := range x.Devices.Disks {
			if !dx.isDisk() {
				continue
			}
			v, err := c.volumeOf(l, dx)
			if hasCode(err, libvirt.ErrNoStorageVol) || hasCode(err, libvirt.ErrNoStoragePool) || errors.Is(err, model.ErrUnsupported) {
				return model.Errorf(model.ErrUnsupported, "kvm %s: expunge vm %s: disk %s (%s) is not a volume of an active storage pool, so it cannot be deleted (define a pool over its directory)", c.set.provider, d.Name, dx.Target.Dev, dx.fileName())
			}
			if err != nil {
				return err
			}
			vols = append(vols, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.SetPower(ctx, nativeVMID, model.PowerOff); err != nil {
		return err
	}
	err = c.run(ctx, "undefine vm "+d.Name, func(l *libvirt.Libvirt) error {
		err := l.DomainUndefineFlags(d, libvirt.DomainUndefineNvram|libvirt.DomainUndefineManagedSave)
		if hasCode(err, libvirt.ErrNoSupport) || hasCode(err, libvirt.ErrInvalidArg) {
			err = l.DomainUndefine(d) // drivers without NVRAM or managed save refuse the flags
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, v := range vols {
		err := c.run(ctx, fmt.Sprintf("delete disk %s/%s of vm %s", v.Pool, v.Name, d.Name), func(l *libvirt.Libvirt) error { return l.StorageVolDelete(v, 0) })
		if err != nil && !hasCode(err, libvirt.ErrNoStorageVol) {
			return err
		}
	}
	return nil
}

// definition reads a domain and its persistent definition (where the marks live).
func (c *Conn) definition(ctx context.Context, id string) (libvirt.Domain, domainXML, error) {
	d, err := c.domain(ctx, id)
	if err != nil {
		return d, domainXML{}, err
	}
	var desc string
	err = c.run(ctx, "read vm "+d.Name, func(l *libvirt.Libvirt) (err error) {
		desc, err = l.DomainGetXMLDesc(d, libvirt.DomainXMLInactive)
		return err
	})
	if err != nil {
		return d, domainXML{}, err
	}
	x, err := parseDomain(desc)
	if err != nil {
		return d, x, fmt.Errorf("kvm %s: vm %s: parse domain XML: %w", c.set.provider, d.Name, err)
	}
	return d, x, nil
}

// setDestroyed writes the destroyed mark into the definition; "" removes it.
func (c *Conn) setDestroyed(ctx context.Context, d libvirt.Domain, elem string) error {
	var meta libvirt.OptString
	if elem != "" {
		meta = libvirt.OptString{elem}
	}
	return c.run(ctx, "mark vm "+d.Name, func(l *libvirt.Libvirt) error {
		return l.DomainSetMetadata(d, int32(libvirt.DomainMetadataElement), meta, libvirt.OptString{cloneMarkPrefix}, libvirt.OptString{destroyedMarkNS}, libvirt.DomainAffectConfig)
	})
}
