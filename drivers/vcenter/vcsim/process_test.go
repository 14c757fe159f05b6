package vcsim_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/test/harness"
)

// A simulator in its own process serves the same model, takes the tools command over its
// stdin, and removes its datastores when closed.
func TestSimulatorInItsOwnProcess(t *testing.T) {
	sim := harness.StartSim(t)
	ctx := context.Background()
	id, err := sim.VMID(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SetToolsRunning(id, true); err != nil {
		t.Fatal(err)
	}
	c, err := govmomi.NewClient(ctx, sim.URL(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Logout(ctx) }()
	var vm mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
	if err := object.NewVirtualMachine(c.Client, ref).Properties(ctx, ref, []string{"guest.toolsRunningStatus"}, &vm); err != nil {
		t.Fatal(err)
	}
	if got := vm.Guest.ToolsRunningStatus; got != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		t.Errorf("tools after SetToolsRunning(true): %q", got)
	}
	if err := sim.SetToolsRunning("vm-none", true); err == nil || !strings.Contains(err.Error(), "no simulated vm vm-none") {
		t.Errorf("SetToolsRunning on no VM: %v", err)
	}
	dir, ok := sim.DatastoreDir("LocalDS_0")
	if _, err := os.Stat(dir); !ok || err != nil {
		t.Fatalf("datastore directory %q (%v): %v", dir, ok, err)
	}
	sim.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("datastore directory after Close: %v, want it removed", err)
	}
}
