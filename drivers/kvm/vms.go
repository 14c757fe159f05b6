package kvm

import (
	"context"
	"fmt"
	"strings"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/uuid"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.VMLister = (*Conn)(nil)

// ListVMs lists every domain, running or not. libvirt has no templates: Template stays false.
func (c *Conn) ListVMs(ctx context.Context) ([]model.VM, error) {
	var doms []libvirt.Domain
	err := c.run(ctx, "list domains", func(l *libvirt.Libvirt) (err error) {
		doms, _, err = l.ConnectListAllDomains(1, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	vms := make([]model.VM, 0, len(doms))
	for _, d := range doms {
		vm, err := c.vm(ctx, d)
		if hasNotFound(err) {
			continue // undefined between the list and the read
		}
		if err != nil {
			return nil, err
		}
		vms = append(vms, vm)
	}
	return vms, nil
}

// vm reads one domain's state and XML into the model, disks included.
func (c *Conn) vm(ctx context.Context, d libvirt.Domain) (model.VM, error) {
	var state int32
	var desc string
	var ifaces []libvirt.DomainInterface
	err := c.run(ctx, "read vm "+d.Name, func(l *libvirt.Libvirt) (err error) {
		if state, _, err = l.DomainGetState(d, 0); err != nil {
			return err
		}
		if desc, err = l.DomainGetXMLDesc(d, 0); err != nil {
			return err
		}
		if powerState(state) == model.PoweredOn {
			// Leases need a libvirt network and a guest that asked for one: best effort.
			ifaces, _ = l.DomainInterfaceAddresses(d, uint32(libvirt.DomainInterfaceAddressesSrcLease), 0)
		}
		return nil
	})
	if err != nil {
		return model.VM{}, err
	}
	x, err := parseDomain(desc)
	if err != nil {
		return model.VM{}, fmt.Errorf("kvm %s: vm %s: parse domain XML: %w", c.set.provider, d.Name, err)
	}
	vm := model.VM{
		Provider:   c.set.provider,
		NativeID:   uuid.UUID(d.UUID).String(),
		Name:       d.Name,
		PowerState: powerState(state),
		CPUs:       x.VCPU.Max,
		MemoryMB:   int64(x.Memory.bytes() >> 20),
		GuestOS:    x.OS.ID,
		CloneMark:  cloneMarkOf(x),
		// libvirt records no configuration change time: ModifiedAt stays zero.
		Description: x.Description,
		Image:       imageMarkOf(x),
		DestroyedAt: destroyedAtOf(x),
		HostID:      c.hostname(ctx), // a libvirt connection reaches one host
	}
	if n := num(x.VCPU.Current); n > 0 {
		vm.CPUs = n
	}
	// The same disks ListDisks reads, from the XML already in hand: dialects (the ZStack
	// QueryVolume) render them from the VM inventory.
	if vm.Disks, err = c.disksOf(ctx, d, x); err != nil {
		return model.VM{}, err
	}
	ips := map[string][]string{}
	for _, i := range ifaces {
		for _, mac := range i.Hwaddr {
			for _, a := range i.Addrs {
				ips[strings.ToLower(mac)] = append(ips[strings.ToLower(mac)], a.Addr)
			}
		}
	}
	nets, err := c.nicNetworks(ctx, x.Devices.Interfaces)
	if err != nil {
		return model.VM{}, err
	}
	for n, i := range x.Devices.Interfaces {
		mac := strings.ToLower(i.MAC.Address)
		vm.NICs = append(vm.NICs, model.NIC{MAC: mac, IPs: ips[mac], Network: nets[n], Device: i.Model.Type})
	}
	return vm, nil
}

// powerState maps virDomainState onto the model's vSphere vocabulary.
func powerState(s int32) model.PowerState {
	switch libvirt.DomainState(s) {
	case libvirt.DomainRunning, libvirt.DomainBlocked, libvirt.DomainShutdown:
		return model.PoweredOn // "shutdown" means shutting down: still on
	case libvirt.DomainShutoff, libvirt.DomainCrashed:
		return model.PoweredOff
	case libvirt.DomainPaused, libvirt.DomainPmsuspended:
		return model.Suspended
	}
	return model.PowerUnknown
}

// domain finds a VM by its native id (domain UUID) or, failing the UUID form, by name.
func (c *Conn) domain(ctx context.Context, id string) (libvirt.Domain, error) {
	if strings.TrimSpace(id) == "" {
		return libvirt.Domain{}, model.Errorf(model.ErrInvalid, "kvm %s: empty vm id", c.set.provider)
	}
	var d libvirt.Domain
	err := c.run(ctx, fmt.Sprintf("look up vm %q", id), func(l *libvirt.Libvirt) (err error) {
		if u, perr := uuid.Parse(id); perr == nil && len(id) == 36 {
			d, err = l.DomainLookupByUUID(libvirt.UUID(u))
			return err
		}
		d, err = l.DomainLookupByName(id)
		return err
	})
	if hasNotFound(err) {
		return d, model.Errorf(model.ErrNotFound, "kvm %s: vm %q", c.set.provider, id)
	}
	return d, err
}

func hasNotFound(err error) bool { return hasCode(err, libvirt.ErrNoDomain) }
