package kvm

import (
	"context"
	"encoding/xml"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.CapacityReporter = (*Conn)(nil)

// ListHosts reports the one host a libvirt connection reaches, named by its hostname.
// FreeMemoryBytes is left 0 when the driver cannot tell (the test driver with a node file).
func (c *Conn) ListHosts(ctx context.Context) ([]model.Host, error) {
	var h model.Host
	err := c.run(ctx, "read node info", func(l *libvirt.Libvirt) error {
		name, err := l.ConnectGetHostname()
		if err != nil {
			return err
		}
		_, memKiB, cpus, mhz, _, _, _, _, err := l.NodeGetInfo()
		if err != nil {
			return err
		}
		h = model.Host{
			Provider:     c.set.provider,
			NativeID:     name,
			Name:         name,
			State:        "Connected",
			Status:       "Connected", // the call just answered
			CPUs:         cpus,
			CPUMHz:       mhz,
			MemoryBytes:  int64(memKiB) * 1024,
			ManagementIP: c.set.managementIP,
		}
		if caps, err := l.ConnectGetCapabilities(); err == nil {
			h.Architecture = hostArch(caps)
		}
		if free, err := l.NodeGetFreeMemory(); err == nil {
			h.FreeMemoryBytes = int64(free)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return []model.Host{h}, nil
}

// hostname is the daemon's hostname (ListHosts' NativeID), read once per connection: a VM's
// HostID. "" when it cannot be read now (the next call tries again).
func (c *Conn) hostname(ctx context.Context) string {
	c.hostMu.Lock()
	defer c.hostMu.Unlock()
	if c.host == "" {
		_ = c.run(ctx, "read hostname", func(l *libvirt.Libvirt) (err error) {
			c.host, err = l.ConnectGetHostname()
			return err
		})
	}
	return c.host
}

// hostArch is the host CPU architecture in libvirt's capabilities XML ("x86_64"); "" when
// the XML does not say.
func hostArch(caps string) string {
	var x struct {
		Arch string `xml:"host>cpu>arch"`
	}
	if xml.Unmarshal([]byte(caps), &x) != nil {
		return ""
	}
	return x.Arch
}
