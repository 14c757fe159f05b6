package vcenter

import (
	"cmp"
	"context"
	"slices"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.CapacityReporter = (*Conn)(nil)

var hostPaths = []string{
	"name",
	"summary.hardware",
	"summary.quickStats.overallMemoryUsage",
	"runtime.connectionState",
	"config.network.vnic", // the management address (managementIP)
}

// ListHosts implements drivers.CapacityReporter with one request for every host, clustered or
// standalone, below the configured root.
func (c *Conn) ListHosts(ctx context.Context) ([]model.Host, error) {
	objs, err := c.retrieve(ctx, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: c.root, Skip: types.NewBool(true), SelectSet: hostSelectSet()}},
		PropSet:   []types.PropertySpec{{Type: "HostSystem", PathSet: hostPaths}},
	})
	if err != nil {
		return nil, wrapErr(err, "list hosts")
	}
	out := make([]model.Host, 0, len(objs))
	for _, o := range objs {
		var h mo.HostSystem
		if err := load(o, &h); err != nil {
			return nil, wrapErr(err, "decode host %q", o.Obj.Value)
		}
		out = append(out, c.toHost(&h))
	}
	slices.SortFunc(out, func(a, b model.Host) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
	return out, nil
}

func (c *Conn) toHost(h *mo.HostSystem) model.Host {
	host := model.Host{
		Provider: c.provider,
		NativeID: h.Self.Value,
		Name:     h.Name,
		State:    string(h.Runtime.ConnectionState),
		Status:   hostStatus(h.Runtime.ConnectionState),
	}
	if h.Config != nil && h.Config.Network != nil {
		host.ManagementIP = managementIP(h.Config.Network.Vnic)
	}
	if hw := h.Summary.Hardware; hw != nil {
		host.CPUs = int32(hw.NumCpuCores)
		host.CPUMHz = hw.CpuMhz
		host.MemoryBytes = hw.MemorySize
		// overallMemoryUsage is in MB; a disconnected host reports 0, i.e. all free.
		used := int64(h.Summary.QuickStats.OverallMemoryUsage) << 20
		host.FreeMemoryBytes = max(hw.MemorySize-used, 0)
	}
	return host
}

// hostStatus maps runtime.connectionState onto ZStack's words. vCenter has no "connecting"
// state: a host not responding takes no operations, so it counts as disconnected.
func hostStatus(s types.HostSystemConnectionState) string {
	if s == types.HostSystemConnectionStateConnected {
		return "Connected"
	}
	return "Disconnected"
}

// managementIP is the IPv4 address of the host's first VMkernel NIC (vmk0, the management
// interface by default). summary.managementServerIp is the vCenter's address, not the host's,
// and the host's name need not be an address. govmomi's simulator fills vmk0 (127.0.0.1, or
// the address a host was added by). A host without one reports "", the model's unknown.
func managementIP(vnics []types.HostVirtualNic) string {
	for _, n := range vnics {
		if ip := n.Spec.Ip; ip != nil && ip.IpAddress != "" {
			return ip.IpAddress
		}
	}
	return ""
}
