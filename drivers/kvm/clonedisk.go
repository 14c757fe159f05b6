package kvm

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"path"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
)

// copyDisk copies the volume behind disk node dn and points dn's source at the copy.
func (c *Conn) copyDisk(ctx context.Context, dn *node, clone string, state model.PowerState) (libvirt.StorageVol, error) {
	source, target := dn.elem("source"), dn.elem("target")
	if source == nil || target == nil {
		return libvirt.StorageVol{}, model.Errorf(model.ErrUnsupported, "kvm %s: clone %s: a disk has no source or target", c.set.provider, clone)
	}
	dx := diskXML{}
	dx.Source.File, dx.Source.Dev = source.attr("file"), source.attr("dev")
	dx.Source.Pool, dx.Source.Volume = source.attr("pool"), source.attr("volume")
	dx.Target.Dev = target.attr("dev")
	what := fmt.Sprintf("clone %s: copy disk %s (%s)", clone, dx.Target.Dev, dx.fileName())

	var src, nv libvirt.StorageVol
	var pool libvirt.StoragePool
	var volDesc string
	var capa uint64
	err := c.run(ctx, what, func(l *libvirt.Libvirt) (err error) {
		if src, err = c.volumeOf(l, dx); err != nil {
			return err
		}
		if _, capa, _, err = l.StorageVolGetInfo(src); err != nil {
			return err
		}
		if volDesc, err = l.StorageVolGetXMLDesc(src, 0); err != nil {
			return err
		}
		pool, err = l.StoragePoolLookupByName(src.Pool)
		return err
	})
	var le libvirt.Error
	if errors.As(err, &le) && (hasCode(err, libvirt.ErrNoStorageVol) || hasCode(err, libvirt.ErrNoStoragePool)) {
		return nv, model.Errorf(model.ErrUnsupported, "kvm %s: %s: not a volume of an active storage pool, so it cannot be copied (define a pool over its directory): %s", c.set.provider, what, le.Message)
	}
	if err != nil {
		return nv, err
	}
	var vx volXML
	_ = xml.Unmarshal([]byte(volDesc), &vx)
	name := clone + "-" + dx.Target.Dev + path.Ext(src.Name)
	spec := volumeSpec(name, capa, vx.Target.Format.Type)

	if err := c.volumeFree(ctx, what, pool, name); err != nil {
		return nv, err
	}
	var newPath string
	err = c.runLong(ctx, what, func(l *libvirt.Libvirt) (err error) {
		if nv, err = l.StorageVolCreateXMLFrom(pool, spec, src, 0); err != nil {
			return err
		}
		newPath, err = l.StorageVolGetPath(nv)
		return err
	})
	if err != nil && nv.Name == "" && state != model.PoweredOff && model.KindOf(err) == "internal" {
		// qemu-img cannot open an image a running QEMU holds the write lock on.
		return nv, fmt.Errorf("%w: the source vm is %s: stop it before cloning: %w", err, state, model.ErrConflict)
	}
	if err != nil {
		return nv, err
	}
	switch {
	case dx.Source.Pool != "":
		source.setAttr("volume", nv.Name)
	case dx.Source.File != "":
		source.setAttr("file", newPath)
	default:
		source.setAttr("dev", newPath)
	}
	return nv, nil
}

// volumeSpec is the XML of a new volume: capacity is required by StorageVolCreateXMLFrom.
func volumeSpec(name string, capacity uint64, format string) string {
	var b bytes.Buffer
	b.WriteString("<volume><name>")
	_ = xml.EscapeText(&b, []byte(name))
	fmt.Fprintf(&b, "</name><capacity unit='bytes'>%d</capacity>", capacity)
	if format != "" {
		b.WriteString("<target><format type='")
		_ = xml.EscapeText(&b, []byte(format))
		b.WriteString("'/></target>")
	}
	b.WriteString("</volume>")
	return b.String()
}

// volumeFree fails with ErrConflict when pool already has a volume called name.
func (c *Conn) volumeFree(ctx context.Context, what string, pool libvirt.StoragePool, name string) error {
	return c.run(ctx, what, func(l *libvirt.Libvirt) error {
		_, err := l.StorageVolLookupByName(pool, name)
		if err == nil {
			return model.Errorf(model.ErrConflict, "volume %s/%s exists", pool.Name, name)
		}
		if hasCode(err, libvirt.ErrNoStorageVol) {
			return nil
		}
		return err
	})
}
