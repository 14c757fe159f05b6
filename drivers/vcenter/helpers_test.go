package vcenter_test

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
)

// fixtureVM is the VM the conformance suite power-cycles and clones.
const fixtureVM = "DC0_H0_VM0"

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startSim starts a private simulator for one test and stops it when the test ends.
func startSim(t testing.TB, opts ...vcsim.Option) *vcsim.Sim {
	t.Helper()
	sim, err := vcsim.Start(opts...)
	if err != nil {
		t.Fatalf("vcsim.Start: %v", err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// openConn opens the driver on sim; the connection is closed before the simulator stops.
func openConn(t testing.TB, sim *vcsim.Sim) *vcenter.Conn {
	t.Helper()
	c, err := vcenter.Open(testContext(t), sim.Config("test"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// vmID looks up a VM's moref through the simulator's API, independently of the driver.
func vmID(t testing.TB, sim *vcsim.Sim, name string) string {
	t.Helper()
	id, err := sim.VMID(testContext(t), name)
	if err != nil {
		t.Fatalf("VMID(%s): %v", name, err)
	}
	return id
}

// govmomiClient is a plain govmomi client on sim, used to arrange fixtures without going
// through the driver under test.
func govmomiClient(t testing.TB, sim *vcsim.Sim) *govmomi.Client {
	t.Helper()
	c, err := govmomi.NewClient(testContext(t), sim.URL(), true)
	if err != nil {
		t.Fatalf("govmomi login: %v", err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

// makeTemplate clones src (powered off) as name, sets its guest id and annotation and marks it
// a template, returning its moref value.
func makeTemplate(t testing.TB, sim *vcsim.Sim, c *govmomi.Client, src, name, guestID, note string) string {
	t.Helper()
	ctx := testContext(t)
	vm := object.NewVirtualMachine(c.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: vmID(t, sim, src)})
	var props mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"parent", "resourcePool"}, &props); err != nil {
		t.Fatal(err)
	}
	task, err := vm.Clone(ctx, object.NewFolder(c.Client, *props.Parent), name,
		types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: props.ResourcePool}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
	tpl := object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference))
	task, err = tpl.Reconfigure(ctx, types.VirtualMachineConfigSpec{GuestId: guestID, Annotation: note})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("reconfigure %s: %v", name, err)
	}
	if err := tpl.MarkAsTemplate(ctx); err != nil {
		t.Fatalf("mark %s as template: %v", name, err)
	}
	return tpl.Reference().Value
}
