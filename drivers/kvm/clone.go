package kvm

import (
	"context"
	"crypto/rand"
	"fmt"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.Cloner = (*Conn)(nil)

// Clone copies a VM: each cloned disk's storage volume is copied in its own pool
// (StorageVolCreateXMLFrom, named "<clone>-<target><ext>"), and the domain XML is defined again
// with the new name, no UUID (libvirt makes one), fresh 52:54:00 MAC addresses and its own
// NVRAM. Full=false copies only the first (root) disk and leaves data disks out of the clone:
// sharing them would let two guests write one disk. Every disk cloned must be a storage volume.
// On failure the volumes already copied are deleted. spec.Mark goes into the domain's
// metadata (clonemark.go).
//
// A running QEMU guest holds a write lock on its images, so cloning it fails with
// model.ErrConflict: stop it first (libvirt's test driver has no such lock).
// If PowerOn is set and the start fails, the defined clone is returned with the error.
func (c *Conn) Clone(ctx context.Context, nativeVMID string, spec drivers.CloneSpec) (model.VM, error) {
	progress := func(p int) {
		if spec.Progress != nil {
			spec.Progress(p)
		}
	}
	if spec.Name == "" {
		return model.VM{}, model.Errorf(model.ErrInvalid, "kvm %s: clone needs a name", c.set.provider)
	}
	src, err := c.domain(ctx, nativeVMID)
	if err != nil {
		return model.VM{}, err
	}
	if err := c.nameFree(ctx, spec.Name); err != nil {
		return model.VM{}, err
	}
	progress(0)
	state, err := c.state(ctx, src)
	if err != nil {
		return model.VM{}, err
	}
	var desc string
	err = c.run(ctx, "read vm "+src.Name, func(l *libvirt.Libvirt) (err error) {
		desc, err = l.DomainGetXMLDesc(src, libvirt.DomainXMLInactive|libvirt.DomainXMLSecure)
		return err
	})
	if err != nil {
		return model.VM{}, err
	}
	tree, err := parseTree(desc)
	dom := (*node)(nil)
	if err == nil {
		dom = tree.elem("domain")
	}
	if dom == nil || dom.elem("devices") == nil {
		return model.VM{}, fmt.Errorf("kvm %s: vm %s: unreadable domain XML: %v", c.set.provider, src.Name, err)
	}
	devices := dom.elem("devices")

	var copies []*node
	var dropped = map[*node]bool{}
	for _, dn := range devices.elems("disk") {
		if dev := dn.attr("device"); dev != "" && dev != "disk" {
			continue
		}
		if len(copies) > 0 && !spec.Full {
			dropped[dn] = true
			continue
		}
		copies = append(copies, dn)
	}
	devices.remove(func(n *node) bool { return dropped[n] })

	var created []libvirt.StorageVol
	rollback := func() {
		for _, v := range created {
			_ = c.run(context.WithoutCancel(ctx), "delete volume "+v.Name, func(l *libvirt.Libvirt) error { return l.StorageVolDelete(v, 0) })
		}
	}
	for i, dn := range copies {
		nv, err := c.copyDisk(ctx, dn, spec.Name, state)
		if nv.Name != "" {
			created = append(created, nv)
		}
		if err != nil {
			rollback()
			return model.VM{}, err
		}
		progress(10 + 80*(i+1)/len(copies))
	}

	rewriteIdentity(dom, spec.Name)
	setCloneMark(dom, spec.Mark)
	newXML, err := tree.String()
	if err != nil {
		rollback()
		return model.VM{}, fmt.Errorf("kvm %s: clone %s: render domain XML: %w", c.set.provider, spec.Name, err)
	}
	var nd libvirt.Domain
	err = c.run(ctx, "define clone "+spec.Name, func(l *libvirt.Libvirt) (err error) {
		nd, err = l.DomainDefineXML(newXML)
		return err
	})
	if err != nil {
		rollback()
		return model.VM{}, err
	}
	if spec.PowerOn {
		err = c.run(ctx, "start clone "+spec.Name, func(l *libvirt.Libvirt) error { return l.DomainCreate(nd) })
	}
	vm, verr := c.vm(ctx, nd)
	if err == nil {
		err = verr
	}
	progress(100)
	return vm, err
}

// nameFree fails with ErrConflict when a domain already has the name.
func (c *Conn) nameFree(ctx context.Context, name string) error {
	err := c.run(ctx, fmt.Sprintf("look up vm %q", name), func(l *libvirt.Libvirt) error {
		_, err := l.DomainLookupByName(name)
		return err
	})
	switch {
	case err == nil:
		return model.Errorf(model.ErrConflict, "kvm %s: a vm named %q exists", c.set.provider, name)
	case hasNotFound(err):
		return nil
	}
	return err
}

// rewriteIdentity gives the domain XML a new name, lets libvirt pick a UUID, regenerates MACs,
// drops host-side tap names and the NVRAM path, which must not be shared with the source.
func rewriteIdentity(dom *node, name string) {
	if n := dom.elem("name"); n != nil {
		n.setText(name)
	}
	dom.remove(func(n *node) bool { return n.start.Name.Local == "uuid" })
	if osn := dom.elem("os"); osn != nil {
		osn.remove(func(n *node) bool { return n.start.Name.Local == "nvram" })
	}
	if devices := dom.elem("devices"); devices != nil {
		for _, ifc := range devices.elems("interface") {
			if mac := ifc.elem("mac"); mac != nil {
				mac.setAttr("address", newMAC())
			}
			ifc.remove(func(n *node) bool { return n.start.Name.Local == "target" })
		}
	}
}

// newMAC returns a random address in QEMU's locally administered 52:54:00 range.
func newMAC() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2])
}
