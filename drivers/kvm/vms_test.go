package kvm_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"cloudbroker/broker/model"
)

func TestListVMs(t *testing.T) {
	c := openNode(t)
	vms, err := c.ListVMs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname() // the test driver reports the daemon's host name
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]model.VM{}
	for _, vm := range vms {
		got[vm.NativeID] = vm
	}
	tests := []struct {
		name string
		want model.VM
	}{
		{"running with lease", model.VM{
			Provider: "lab", NativeID: web1UUID, Name: "web-1", PowerState: model.PoweredOn, HostID: host,
			CPUs: 2, MemoryMB: 512, GuestOS: "http://debian.org/debian/12",
			// The test driver hands out deterministic fake leases on its "default" network.
			NICs: []model.NIC{{MAC: "52:54:00:11:22:33", IPs: []string{"192.168.122.3"}, Network: "default", Device: "virtio"}},
		}},
		{"shut off, bridged, current vcpus", model.VM{
			Provider: "lab", NativeID: db1UUID, Name: "db-1", PowerState: model.PoweredOff, HostID: host,
			CPUs: 1, MemoryMB: 1024,
			// br0 belongs to no libvirt network: the NIC is on none ListNetworks lists.
			NICs: []model.NIC{{MAC: "52:54:00:44:55:66", Device: "e1000"}},
		}},
		{"no NIC", model.VM{
			Provider: "lab", NativeID: orphanUUID, Name: "orphan-1", PowerState: model.PoweredOn, HostID: host,
			CPUs: 1, MemoryMB: 256,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Disks are ListDisks' (TestListDisks pins them; TestListVMsDisks checks they match).
			if diff := cmp.Diff(tt.want, got[tt.want.NativeID], cmpopts.IgnoreFields(model.VM{}, "Disks")); diff != "" {
				t.Errorf("ListVMs %s mismatch (-want +got):\n%s", tt.want.Name, diff)
			}
		})
	}
	if len(vms) != len(tests) {
		t.Errorf("ListVMs returned %d VMs, want %d", len(vms), len(tests))
	}
}
