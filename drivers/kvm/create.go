package kvm

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"path"
	"slices"
	"strings"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.Creator = (*Conn)(nil)

// Create implements drivers.Creator: the image volume (a volume of an active pool, by path) is
// copied into the disks pool (OptDisksPool) as "<name>-vda<ext>", and a domain is defined with
// that copy as its virtio root disk, spec's CPUs, memory and description, and the clone and
// image marks in its metadata. The domain type is the connection's ("test" on libvirt's test
// driver, "kvm" where the host offers it, else "qemu"). spec.Host must be this connection's
// host (its hostname), the only one. spec.Networks give it one virtio NIC on each libvirt
// network, in order (none otherwise). On failure the copied volume is deleted.
func (c *Conn) Create(ctx context.Context, spec drivers.CreateSpec) (model.VM, error) {
	progress := func(p int) {
		if spec.Progress != nil {
			spec.Progress(p)
		}
	}
	if spec.Name == "" || spec.CPUs <= 0 || spec.MemoryMB <= 0 {
		return model.VM{}, model.Errorf(model.ErrInvalid, "kvm %s: create needs a name, cpus and memory (got %q, %d, %d MB)", c.set.provider, spec.Name, spec.CPUs, spec.MemoryMB)
	}
	if err := c.nameFree(ctx, spec.Name); err != nil {
		return model.VM{}, err
	}
	domType, err := c.checkHost(ctx, spec.Host)
	if err != nil {
		return model.VM{}, err
	}
	if err := c.checkNetworks(ctx, spec.Networks); err != nil {
		return model.VM{}, err
	}
	progress(0)
	vol, err := c.copyImage(ctx, spec)
	if err != nil {
		return model.VM{}, err
	}
	progress(80)
	var d libvirt.Domain
	err = c.run(ctx, "define vm "+spec.Name, func(l *libvirt.Libvirt) (err error) {
		d, err = l.DomainDefineXML(createXML(domType, spec, c.set.disksPool, vol))
		return err
	})
	if err != nil {
		_ = c.run(context.WithoutCancel(ctx), "delete volume "+vol, func(l *libvirt.Libvirt) error {
			p, err := l.StoragePoolLookupByName(c.set.disksPool)
			if err != nil {
				return err
			}
			v, err := l.StorageVolLookupByName(p, vol)
			if err != nil {
				return err
			}
			return l.StorageVolDelete(v, 0)
		})
		return model.VM{}, err
	}
	if spec.PowerOn {
		err = c.run(ctx, "start vm "+spec.Name, func(l *libvirt.Libvirt) error { return l.DomainCreate(d) })
	}
	vm, verr := c.vm(ctx, d)
	if err == nil {
		err = verr
	}
	progress(100)
	return vm, err
}

// checkHost returns the domain type this connection defines, after checking that host (if
// set) is this connection's host.
func (c *Conn) checkHost(ctx context.Context, host string) (string, error) {
	var typ, caps string
	err := c.run(ctx, "read host", func(l *libvirt.Libvirt) (err error) {
		if typ, err = l.ConnectGetType(); err != nil {
			return err
		}
		caps, err = l.ConnectGetCapabilities()
		return err
	})
	if err != nil {
		return "", err
	}
	if name := c.hostname(ctx); host != "" && host != name {
		return "", model.Errorf(model.ErrNotFound, "kvm %s: host %q: this provider's only host is %q", c.set.provider, host, name)
	}
	switch {
	case strings.EqualFold(typ, "test"):
		return "test", nil
	case strings.Contains(caps, "<domain type='kvm'") || strings.Contains(caps, `<domain type="kvm"`):
		return "kvm", nil
	}
	return "qemu", nil
}

// copyImage copies the image volume into the disks pool and returns the copy's name.
func (c *Conn) copyImage(ctx context.Context, spec drivers.CreateSpec) (string, error) {
	what := fmt.Sprintf("create %s: copy image %s", spec.Name, spec.Image)
	var src libvirt.StorageVol
	var pool libvirt.StoragePool
	var capa uint64
	var format string
	err := c.run(ctx, what, func(l *libvirt.Libvirt) (err error) {
		if src, err = l.StorageVolLookupByPath(spec.Image); err != nil {
			return err
		}
		if _, capa, _, err = l.StorageVolGetInfo(src); err != nil {
			return err
		}
		desc, err := l.StorageVolGetXMLDesc(src, 0)
		if err != nil {
			return err
		}
		var vx volXML
		_ = xml.Unmarshal([]byte(desc), &vx)
		format = vx.Target.Format.Type
		pool, err = l.StoragePoolLookupByName(c.set.disksPool)
		return err
	})
	switch {
	case hasCode(err, libvirt.ErrNoStorageVol):
		return "", model.Errorf(model.ErrNotFound, "kvm %s: image %q is not a volume of an active storage pool", c.set.provider, spec.Image)
	case hasCode(err, libvirt.ErrNoStoragePool):
		return "", model.Errorf(model.ErrUnsupported, "kvm %s: the disks pool %q (option %s) is not an active storage pool", c.set.provider, c.set.disksPool, OptDisksPool)
	case err != nil:
		return "", err
	case format == "iso":
		return "", model.Errorf(model.ErrInvalid, "kvm %s: image %q is an ISO, not a disk image", c.set.provider, spec.Image)
	}
	name := spec.Name + "-vda" + path.Ext(src.Name)
	if err := c.volumeFree(ctx, what, pool, name); err != nil {
		return "", err
	}
	err = c.runLong(ctx, what, func(l *libvirt.Libvirt) error {
		_, err := l.StorageVolCreateXMLFrom(pool, volumeSpec(name, capa, format), src, 0)
		return err
	})
	return name, err
}

// createXML is the new domain's definition.
func createXML(domType string, spec drivers.CreateSpec, pool, vol string) string {
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	format := "raw"
	if strings.HasSuffix(vol, ".qcow2") {
		format = "qcow2"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<domain type='%s'><name>%s</name>", domType, esc(spec.Name))
	if spec.Description != "" {
		fmt.Fprintf(&b, "<description>%s</description>", esc(spec.Description))
	}
	b.WriteString("<metadata>")
	if spec.Mark != "" {
		b.WriteString(markElem("clone", cloneMarkNS, "task", spec.Mark))
	}
	b.WriteString(markElem("image", imageMarkNS, "path", spec.Image))
	b.WriteString("</metadata>")
	fmt.Fprintf(&b, "<memory unit='MiB'>%d</memory><vcpu>%d</vcpu>", spec.MemoryMB, spec.CPUs)
	b.WriteString("<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os><devices>")
	fmt.Fprintf(&b, "<disk type='volume' device='disk'><driver name='qemu' type='%s'/><source pool='%s' volume='%s'/><target dev='vda' bus='virtio'/></disk>",
		format, esc(pool), esc(vol))
	for _, n := range spec.Networks {
		fmt.Fprintf(&b, "<interface type='network'><source network='%s'/><model type='virtio'/></interface>", esc(n))
	}
	b.WriteString("</devices></domain>")
	return b.String()
}

// checkNetworks fails with model.ErrNotFound naming the first of names that is not a libvirt
// network, before anything is copied or defined.
func (c *Conn) checkNetworks(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	nets, err := c.ListNetworks(ctx)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !slices.ContainsFunc(nets, func(n model.Network) bool { return n.Name == name }) {
			return model.Errorf(model.ErrNotFound, "kvm %s: network %q is not a libvirt network of this host", c.set.provider, name)
		}
	}
	return nil
}
