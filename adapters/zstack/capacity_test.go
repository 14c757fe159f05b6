package zstack_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
	"cloudbroker/test/govctest"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// capacityReply is GetCpuMemoryCapacity's answer.
type capacityReply struct {
	TotalCPU        int64 `json:"totalCpu"`
	AvailableCPU    int64 `json:"availableCpu"`
	TotalMemory     int64 `json:"totalMemory"`
	AvailableMemory int64 `json:"availableMemory"`
}

// placement is where QueryVmInstance says a VM is.
type placement struct {
	ZoneUUID    string `json:"zoneUuid"`
	ClusterUUID string `json:"clusterUuid"`
	HostUUID    string `json:"hostUuid"`
}

func placementOf(t *testing.T, b *harness.Broker, session, vm string) placement {
	t.Helper()
	var out struct {
		Inventories []placement `json:"inventories"`
	}
	call(t, b, "GET", "/zstack/v1/vm-instances?q=name="+url.QueryEscape(vm), session, nil).json(t, &out)
	if len(out.Inventories) != 1 || out.Inventories[0].HostUUID == "" {
		t.Fatalf("VM %s: %+v", vm, out.Inventories)
	}
	return out.Inventories[0]
}

// The capacity sums what govc, an independent client, reads of the simulators' hosts and the
// powered-on VMs on them; zone, cluster and host scopes select the right provider's hosts.
func TestCpuMemoryCapacity(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	admin := login(t, b, "admin", adminPass)
	var want [2]capacityReply
	for i, sim := range b.Sims {
		c := govctest.HostCapacity(t, sim.URL().String())
		want[i] = capacityReply{TotalCPU: c.CPUs, AvailableCPU: c.CPUs - c.AllocatedCPUs, TotalMemory: c.MemoryBytes, AvailableMemory: c.MemoryBytes - c.AllocatedMemory}
	}
	sum := capacityReply{
		TotalCPU: want[0].TotalCPU + want[1].TotalCPU, AvailableCPU: want[0].AvailableCPU + want[1].AvailableCPU,
		TotalMemory: want[0].TotalMemory + want[1].TotalMemory, AvailableMemory: want[0].AvailableMemory + want[1].AvailableMemory,
	}
	tenantA := login(t, b, "tenant-a", passA) // sees vc1 only
	vc1 := placementOf(t, b, tenantA, "DC0_H0_VM0")
	if vc1.ClusterUUID != clusterUUID("vc1") {
		t.Fatalf("tenant-a's VM is not in vc1: %+v", vc1)
	}

	tests := []struct {
		name, query, session string
		want                 capacityReply
	}{
		{"all", "all=true", admin, sum},
		{"zone of vc1 (vc2 is in it too)", "zoneUuids=" + vc1.ZoneUUID, admin, sum},
		{"cluster of vc1", "clusterUuids=" + vc1.ClusterUUID, admin, want[0]},
		{"zone as the tenant sees it", "zoneUuids=" + vc1.ZoneUUID, tenantA, want[0]},
		{"tenant sees vc1 only", "all=true", tenantA, want[0]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, b, "GET", "/zstack/v1/hosts/capacities/cpu-memory?"+tc.query, tc.session, nil)
			if r.Code != http.StatusOK {
				t.Fatalf("status %d: %s", r.Code, r.Body)
			}
			var got capacityReply
			r.json(t, &got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("capacity (-want +got):\n%s", diff)
			}
			if tc.name == "all" {
				goldenJSON(t, "capacity_all", r.Body)
			}
		})
	}

	t.Run("one host is part of its provider", func(t *testing.T) {
		var got capacityReply
		r := call(t, b, "GET", "/zstack/v1/hosts/capacities/cpu-memory?hostUuids="+vc1.HostUUID, admin, nil)
		r.json(t, &got)
		if r.Code != http.StatusOK || got.TotalCPU <= 0 || got.TotalCPU >= want[0].TotalCPU {
			t.Errorf("one host of vc1: %d %s; vc1 has %d cores", r.Code, r.Body, want[0].TotalCPU)
		}
	})
}

func TestCpuMemoryCapacityErrors(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	tenant := login(t, b, "tenant-a", passA) // sees vc1 only
	vc2 := placementOf(t, b, login(t, b, "tenant-b", passB), "DC0_H0_VM0")
	if vc2.ClusterUUID != clusterUUID("vc2") {
		t.Fatalf("tenant-b's VM is not in vc2: %+v", vc2)
	}
	tests := []struct{ name, query, golden string }{
		{"no scope", "", "capacity_no_scope"},
		{"bad all", "all=maybe", ""},
		{"cluster the caller cannot see", "clusterUuids=" + vc2.ClusterUUID, "capacity_unknown_cluster"},
		{"unknown host", "hostUuids=0123456789abcdef0123456789abcdef", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, b, "GET", "/zstack/v1/hosts/capacities/cpu-memory?"+tc.query, tenant, nil)
			if r.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.Code, r.Body)
			}
			if tc.golden != "" {
				goldenJSON(t, tc.golden, r.Body)
			}
		})
	}
}

// A provider whose hosts cannot be listed is named, not summed as zero; with every provider
// down the answer is the error. Hosts come from the listings inventory, so a provider down
// shows from its next refresh (listing_refresh plus one listing).
func TestCpuMemoryCapacityProviderDown(t *testing.T) {
	const refresh = 300 * time.Millisecond
	b := startBroker(t, brokerOpts{proxied: true, tune: func(c *config.Config) { c.Inventory.ListingRefresh = config.Duration(refresh) }})
	admin := login(t, b, "admin", adminPass)
	vc1 := govctest.HostCapacity(t, b.Sims[0].URL().String())
	b.Proxies[1].SetDown(true)
	var got struct {
		capacityReply
		FailedProviders []struct {
			Provider string `json:"provider"`
			Error    struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"failedProviders"`
	}
	var r response
	wait.For(t, refresh+10*time.Second, "vc2 reported failed", func() bool {
		got.FailedProviders = nil
		r = call(t, b, "GET", "/zstack/v1/hosts/capacities/cpu-memory?all=true", admin, nil)
		r.json(t, &got)
		return len(got.FailedProviders) > 0
	})
	if r.Code != http.StatusOK || got.TotalCPU != vc1.CPUs || len(got.FailedProviders) != 1 || got.FailedProviders[0].Provider != "vc2" || got.FailedProviders[0].Error.Code != "SYS.1006" {
		t.Errorf("vc2 down: %d %s; want vc1's %d cores and vc2 under failedProviders", r.Code, r.Body, vc1.CPUs)
	}
	b.Proxies[0].SetDown(true)
	wait.For(t, refresh+10*time.Second, "every provider down: 503", func() bool {
		r = call(t, b, "GET", "/zstack/v1/hosts/capacities/cpu-memory?all=true", admin, nil)
		return r.Code == http.StatusServiceUnavailable
	})
}
