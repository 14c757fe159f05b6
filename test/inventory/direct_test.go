package inventory_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/test/harness"
)

// find returns the listed VM with the given name, if any.
func find(t *testing.T, b *harness.Broker, name string) (vmRow, bool) {
	for _, vm := range list(t, b).VMs {
		if vm.Name == name {
			return vm, true
		}
	}
	return vmRow{}, false
}

// A VM created, renamed, powered off and destroyed directly in the simulator, not through the
// broker, appears, changes and disappears in the broker's listing within a bounded time.
func TestDirectChangesReachTheInventory(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: fast})
	b.WaitSynced(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u := *b.Sims[0].URL()
	gc, err := govmomi.NewClient(ctx, &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, User: u.User}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Logout(context.Background())
	native, err := b.Sims[0].VMID(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	src := object.NewVirtualMachine(gc.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: native})
	var props mo.VirtualMachine
	if err := src.Properties(ctx, src.Reference(), []string{"parent", "resourcePool"}, &props); err != nil {
		t.Fatal(err)
	}
	run := func(what string, task *object.Task, err error) {
		t.Helper()
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatalf("%s in the simulator: %v", what, err)
		}
	}
	task, err := src.Clone(ctx, object.NewFolder(gc.Client, *props.Parent), "direct-1",
		types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: props.ResourcePool}, PowerOn: true})
	run("clone", task, err)
	eventually(t, "created VM listed", func() bool { _, ok := find(t, b, "direct-1"); return ok })
	created, _ := find(t, b, "direct-1")
	vm := object.NewVirtualMachine(gc.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: created.NativeID})

	task, err = vm.Rename(ctx, "direct-renamed")
	run("rename", task, err)
	eventually(t, "rename listed under the same vmid", func() bool {
		r, ok := find(t, b, "direct-renamed")
		return ok && r.VMID == created.VMID
	})

	task, err = vm.PowerOff(ctx)
	run("power off", task, err)
	eventually(t, "power off listed", func() bool {
		r, ok := find(t, b, "direct-renamed")
		return ok && r.PowerState == "poweredOff"
	})

	task, err = vm.Destroy(ctx)
	run("destroy", task, err)
	eventually(t, "destroyed VM gone", func() bool { _, ok := find(t, b, "direct-renamed"); return !ok })
}

// A dropped vCenter session ends the watch; the next one starts with a full load, which the
// provider's status counts. The period is an hour, so only the drop can cause the reload.
func TestSessionDropFollowedByFullReload(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: func(c *config.Config) {
		fast(c)
		c.Inventory.Period = config.Duration(time.Hour)
	}})
	loads := func() int {
		ps, err := b.App.Broker().ProviderStatuses(context.Background(), model.System)
		if err != nil || len(ps) == 0 || ps[0].Sync == nil {
			return 0
		}
		return ps[0].Sync.FullLoads
	}
	b.WaitSynced(t)
	before := loads()
	if _, err := b.Sims[0].DropSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a full reload after the session drop", func() bool { return loads() > before })
}
