package vcenter

import (
	"cmp"
	"context"
	"slices"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
)

var hostPaths = []string{
	"name",
	"summary.hardware",
	"summary.quickStats.overallMemoryUsage",
	"runtime.connectionState",
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
