package zstack

import (
	"context"
	"net/netip"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// QueryL3Network and QueryPrimaryStorage: a provider's networks (vCenter networks and port
// groups, libvirt networks) and storage (datastores, storage pools), ids derived from
// (provider, name) as a VM's vmNics[].l3NetworkUuid and allVolumes[].primaryStorageUuid are.

// l3NetworkInventory is ZStack's L3NetworkInventory. l2NetworkUuid, dnsDomain, dns and
// networkServices are left out: the broker keeps no L2 networks, DNS or network services.
// ipRanges holds the provider's DHCP range where it manages addressing (libvirt), else is empty.
type l3NetworkInventory struct {
	UUID      string    `json:"uuid"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	ZoneUUID  string    `json:"zoneUuid"`
	State     string    `json:"state"`
	System    bool      `json:"system"`
	Category  string    `json:"category"`
	IPVersion int       `json:"ipVersion"`
	IPRanges  []ipRange `json:"ipRanges"`
}

// ipRange is ZStack's IpRangeInventory.
type ipRange struct {
	UUID          string `json:"uuid"`
	L3NetworkUUID string `json:"l3NetworkUuid"`
	Name          string `json:"name"`
	StartIP       string `json:"startIp"`
	EndIP         string `json:"endIp"`
	Netmask       string `json:"netmask,omitempty"`
	PrefixLen     int    `json:"prefixLen,omitempty"`
	Gateway       string `json:"gateway,omitempty"`
	NetworkCIDR   string `json:"networkCidr,omitempty"`
	IPVersion     int    `json:"ipVersion"`
}

// primaryStorageInventory is ZStack's PrimaryStorageInventory. The provider's capacity is both
// the logical and the physical one (the broker reserves nothing); systemUsedCapacity, mons and
// pools (Ceph) are left out. type is the provider's kind (VMFS, NFS, dir, logical ...).
type primaryStorageInventory struct {
	UUID                      string   `json:"uuid"`
	Name                      string   `json:"name"`
	ZoneUUID                  string   `json:"zoneUuid"`
	URL                       string   `json:"url,omitempty"`
	Type                      string   `json:"type,omitempty"`
	State                     string   `json:"state"`
	Status                    string   `json:"status"`
	TotalCapacity             int64    `json:"totalCapacity"`
	AvailableCapacity         int64    `json:"availableCapacity"`
	TotalPhysicalCapacity     int64    `json:"totalPhysicalCapacity"`
	AvailablePhysicalCapacity int64    `json:"availablePhysicalCapacity"`
	AttachedClusterUUIDs      []string `json:"attachedClusterUuids"`
}

func enabled(active bool) string {
	if active {
		return "Enabled"
	}
	return "Disabled"
}

func (r renderer) provider(name string) model.Provider {
	p, _ := r.providers.Get(name)
	p.Name = name
	return p
}

func (r renderer) l3Network(n model.Network) l3NetworkInventory {
	inv := l3NetworkInventory{
		UUID: l3UUIDOf(n.Provider, n.Name), Name: n.Name, Type: "L3BasicNetwork", ZoneUUID: zoneUUIDOf(r.provider(n.Provider)),
		State: enabled(n.Active), Category: "Private", IPVersion: 4, IPRanges: []ipRange{},
	}
	if n.RangeFrom != "" && n.RangeTo != "" {
		rg := ipRange{UUID: nameUUID("ip-range", inv.UUID, n.RangeFrom, n.RangeTo), L3NetworkUUID: inv.UUID, Name: n.Name,
			StartIP: n.RangeFrom, EndIP: n.RangeTo, Gateway: n.Gateway, NetworkCIDR: n.CIDR, IPVersion: ipVersion(n.RangeFrom)}
		if pfx, err := netip.ParsePrefix(n.CIDR); err == nil {
			rg.PrefixLen = pfx.Bits()
			if pfx.Addr().Is4() {
				rg.Netmask = netmask4(pfx.Bits())
			}
		}
		inv.IPVersion = rg.IPVersion
		inv.IPRanges = append(inv.IPRanges, rg)
	}
	return inv
}

// netmask4 writes an IPv4 prefix length as a dotted mask (24 → 255.255.255.0).
func netmask4(bits int) string {
	var b [4]byte
	for i := range b {
		n := min(max(bits-8*i, 0), 8)
		b[i] = byte(0xff << (8 - n))
	}
	return netip.AddrFrom4(b).String()
}

func (r renderer) primaryStorage(st model.Storage) primaryStorageInventory {
	p := r.provider(st.Provider)
	status := "Connected"
	if !st.Active {
		status = "Disconnected"
	}
	return primaryStorageInventory{
		UUID: storageUUID(st.Provider, st.Name), Name: st.Name, ZoneUUID: zoneUUIDOf(p), URL: st.URL, Type: st.Type,
		State: enabled(st.Active), Status: status, TotalCapacity: st.CapacityBytes, AvailableCapacity: st.FreeBytes,
		TotalPhysicalCapacity: st.CapacityBytes, AvailablePhysicalCapacity: st.FreeBytes, AttachedClusterUUIDs: []string{clusterUUIDOf(p)},
	}
}

// listedAs renders the items of a broker listing.
func listedAs[T, I any](l broker.Listed[T], render func(T) I) listed[I] {
	out := listed[I]{failed: l.Failed, items: make([]I, 0, len(l.Items))}
	for _, it := range l.Items {
		out.items = append(out.items, render(it))
	}
	return out
}

func (s *Server) l3Networks(ctx context.Context, caller model.Caller) (listed[l3NetworkInventory], error) {
	return listedAs(s.b.Networks(ctx, caller, nil), s.r.l3Network), nil
}

func (s *Server) primaryStorage(ctx context.Context, caller model.Caller) (listed[primaryStorageInventory], error) {
	return listedAs(s.b.Storage(ctx, caller, nil), s.r.primaryStorage), nil
}
