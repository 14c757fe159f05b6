package kvm

import (
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"slices"
	"strconv"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/uuid"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.NetworkLister = (*Conn)(nil)

// networkXML is the part of a libvirt network's XML the driver reads.
type networkXML struct {
	Name    string `xml:"name"`
	Forward *struct {
		Mode string `xml:"mode,attr"`
	} `xml:"forward"`
	Bridge struct {
		Name string `xml:"name,attr"`
	} `xml:"bridge"`
	IPs []struct {
		Family  string `xml:"family,attr"`
		Address string `xml:"address,attr"`
		Netmask string `xml:"netmask,attr"`
		Prefix  string `xml:"prefix,attr"`
		Ranges  []struct {
			Start string `xml:"start,attr"`
			End   string `xml:"end,attr"`
		} `xml:"dhcp>range"`
	} `xml:"ip"`
}

// mode is the network's forward mode: libvirt's default for a bare <forward/> is nat, and a
// network without <forward> is isolated.
func (x networkXML) mode() string {
	if x.Forward == nil {
		return "isolated"
	}
	return cmp.Or(x.Forward.Mode, "nat")
}

// ListNetworks implements drivers.NetworkLister: every libvirt network, active or not, with its
// IPv4 addressing (the first IPv4 <ip>, its first DHCP range). A VM NIC names one by its
// libvirt name (nicNetworks).
func (c *Conn) ListNetworks(ctx context.Context) ([]model.Network, error) {
	var out []model.Network
	err := c.eachNetwork(ctx, func(n libvirt.Network, x networkXML, active bool) {
		net := model.Network{Provider: c.set.provider, NativeID: uuid.UUID(n.UUID).String(), Name: n.Name, Type: x.mode(), Active: active}
		net.CIDR, net.Gateway, net.RangeFrom, net.RangeTo = x.ipv4()
		out = append(out, net)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b model.Network) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// eachNetwork reads every network's XML and whether it is active.
func (c *Conn) eachNetwork(ctx context.Context, fn func(libvirt.Network, networkXML, bool)) error {
	return c.run(ctx, "list networks", func(l *libvirt.Libvirt) error {
		nets, _, err := l.ConnectListAllNetworks(1, 0)
		if err != nil {
			return err
		}
		for _, n := range nets {
			desc, err := l.NetworkGetXMLDesc(n, 0)
			if hasCode(err, libvirt.ErrNoNetwork) {
				continue // undefined meanwhile
			}
			if err != nil {
				return err
			}
			var x networkXML
			if err := xml.Unmarshal([]byte(desc), &x); err != nil {
				return fmt.Errorf("network %s: parse XML: %w", n.Name, err)
			}
			active, err := l.NetworkIsActive(n)
			if err != nil && !hasCode(err, libvirt.ErrNoNetwork) {
				return err
			}
			fn(n, x, active == 1)
		}
		return nil
	})
}

// ipv4 is the first IPv4 <ip>: the subnet in CIDR form, the host's address on it (the guests'
// gateway) and the first DHCP range.
func (x networkXML) ipv4() (cidr, gateway, from, to string) {
	for _, ip := range x.IPs {
		addr := net.ParseIP(ip.Address).To4()
		if (ip.Family != "" && ip.Family != "ipv4") || addr == nil {
			continue
		}
		mask := net.IPMask(net.ParseIP(ip.Netmask).To4())
		if n, err := strconv.Atoi(ip.Prefix); err == nil {
			mask = net.CIDRMask(n, 32)
		}
		if _, bits := mask.Size(); bits == 32 {
			cidr = (&net.IPNet{IP: addr.Mask(mask), Mask: mask}).String()
		}
		if len(ip.Ranges) > 0 {
			from, to = ip.Ranges[0].Start, ip.Ranges[0].End
		}
		return cidr, ip.Address, from, to
	}
	return "", "", "", ""
}

// bridgeNetworks maps the bridge each libvirt network owns (virbr0) to the network's name, so
// a NIC plugged into that bridge directly (type='bridge') names the network too.
func (c *Conn) bridgeNetworks(ctx context.Context) (map[string]string, error) {
	m := map[string]string{}
	err := c.eachNetwork(ctx, func(n libvirt.Network, x networkXML, _ bool) {
		if x.Bridge.Name != "" {
			m[x.Bridge.Name] = n.Name
		}
	})
	return m, err
}

// nicNetworks names the libvirt network each interface is on: its source network, or the
// network owning the bridge it is plugged into. A NIC on a bridge no libvirt network owns, a
// macvtap device or user networking is on no network ListNetworks lists: "".
func (c *Conn) nicNetworks(ctx context.Context, ifaces []ifaceXML) ([]string, error) {
	out := make([]string, len(ifaces))
	var bridges map[string]string
	for i, ifc := range ifaces {
		switch {
		case ifc.Source.Network != "":
			out[i] = ifc.Source.Network
		case ifc.Source.Bridge != "":
			if bridges == nil { // read only for VMs with a bridged NIC
				var err error
				if bridges, err = c.bridgeNetworks(ctx); err != nil {
					return nil, err
				}
			}
			out[i] = bridges[ifc.Source.Bridge]
		}
	}
	return out, nil
}
