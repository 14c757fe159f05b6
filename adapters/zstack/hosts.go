package zstack

import (
	"context"
	"strings"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// hostInventory is ZStack's HostInventory. Capacities count as GetCpuMemoryCapacity counts
// them (capacity.go): CPUs in cores, memory in bytes, available what the powered-on VMs on the
// host leave. managementIp and architecture are left out where the driver cannot tell; cpuSockets,
// username and sshPort always (the broker does not manage hosts over SSH).
type hostInventory struct {
	UUID                    string `json:"uuid"`
	Name                    string `json:"name"`
	ZoneUUID                string `json:"zoneUuid"`
	ClusterUUID             string `json:"clusterUuid"`
	ManagementIP            string `json:"managementIp,omitempty"`
	HypervisorType          string `json:"hypervisorType"`
	State                   string `json:"state"`
	Status                  string `json:"status"`
	Architecture            string `json:"architecture,omitempty"`
	CPUNum                  int32  `json:"cpuNum"`
	TotalCPUCapacity        int64  `json:"totalCpuCapacity"`
	AvailableCPUCapacity    int64  `json:"availableCpuCapacity"`
	TotalMemoryCapacity     int64  `json:"totalMemoryCapacity"`
	AvailableMemoryCapacity int64  `json:"availableMemoryCapacity"`
}

// hostCapacity is a host's capacity as ZStack counts it.
type hostCapacity struct {
	totalCPU, availableCPU, totalMemory, availableMemory int64
}

func capacityOf(h broker.HostCapacity) hostCapacity {
	return hostCapacity{
		totalCPU: int64(h.CPUs), availableCPU: max(int64(h.CPUs)-h.AllocatedCPUs, 0),
		totalMemory: h.MemoryBytes, availableMemory: max(h.MemoryBytes-h.AllocatedMemoryBytes, 0),
	}
}

// hostStatusOf is ZStack's status of a host (Connected, Disconnected, Connecting): the driver's
// Status, else read from a State that holds the connection (vCenter's connectionState). A
// libvirt connection is its host: a driver saying nothing means Connected.
func hostStatusOf(h model.Host) string {
	if h.Status != "" {
		return h.Status
	}
	switch strings.ToLower(h.State) {
	case "", "connected":
		return "Connected"
	case "connecting":
		return "Connecting"
	}
	return "Disconnected" // disconnected, notResponding
}

// hostStateOf is ZStack's state (Enabled, Disabled, PreMaintenance, Maintenance): the
// driver's State unless it holds the connection, which says nothing of it.
func hostStateOf(h model.Host) string {
	switch strings.ToLower(h.State) {
	case "", "connected", "connecting", "disconnected", "notresponding":
		return "Enabled"
	}
	return h.State
}

func (r renderer) host(h broker.HostCapacity) hostInventory {
	p, c := r.provider(h.Provider), capacityOf(h)
	return hostInventory{
		UUID: broker.HostUUID(h.Provider, h.NativeID), Name: h.Name, ZoneUUID: zoneUUIDOf(p), ClusterUUID: clusterUUIDOf(p),
		ManagementIP: h.ManagementIP, HypervisorType: hypervisorOf(p), State: hostStateOf(h.Host), Status: hostStatusOf(h.Host),
		Architecture: h.Architecture, CPUNum: h.CPUs, TotalCPUCapacity: c.totalCPU, AvailableCPUCapacity: c.availableCPU,
		TotalMemoryCapacity: c.totalMemory, AvailableMemoryCapacity: c.availableMemory,
	}
}

// hosts are the hosts of the caller's providers.
func (s *Server) hosts(ctx context.Context, caller model.Caller) (listed[hostInventory], error) {
	res, err := s.b.Hosts(ctx, caller, nil)
	if err != nil {
		return listed[hostInventory]{}, err
	}
	out := listed[hostInventory]{failed: res.Failed}
	for _, h := range res.Hosts {
		out.items = append(out.items, s.r.host(h))
	}
	return out, nil
}
