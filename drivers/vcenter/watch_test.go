package vcenter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/drivertest"
	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
)

// eventBound is how long a test waits for one event; changes in the simulator show up within
// its 20 ms update tick, so this only guards against hangs.
const eventBound = 60 * time.Second // generous: a liveness bound, not a timing; -race and parallel tests slow the simulator

// startWatch records what w.Watch emits (see drivertest.Recorder), waiting up to eventBound
// for each event.
func startWatch(t testing.TB, c *vcenter.Conn) *drivertest.Recorder {
	t.Helper()
	return drivertest.StartWatch(t, c, eventBound)
}

func isKind(k drivers.VMEventKind) func(drivers.VMEvent) bool {
	return func(ev drivers.VMEvent) bool { return ev.Kind == k }
}

func upsertOf(id string, ok func(model.VM) bool) func(drivers.VMEvent) bool {
	return func(ev drivers.VMEvent) bool {
		return ev.Kind == drivers.VMUpsert && ev.NativeID == id && ok(ev.VM)
	}
}

func deleteOf(id string) func(drivers.VMEvent) bool {
	return func(ev drivers.VMEvent) bool { return ev.Kind == drivers.VMDelete && ev.NativeID == id }
}

// upserted returns the VMs of a first load, checking it holds nothing but upserts.
func upserted(t testing.TB, load []drivers.VMEvent) []model.VM {
	t.Helper()
	vms := make([]model.VM, 0, len(load))
	for i, ev := range load {
		if ev.Kind != drivers.VMUpsert || ev.NativeID != ev.VM.NativeID {
			t.Fatalf("event %d of the first load = %s %s; want only upserts", i, ev.Kind, ev.NativeID)
		}
		vms = append(vms, ev.VM)
	}
	return vms
}

// TestWatchFirstLoadIsListVMs: the first load is exactly what ListVMs returns, in its order,
// then VMSynced; templates included.
func TestWatchFirstLoadIsListVMs(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vcsim.WithVMs(3))
	if _, err := sim.MakeTemplate(testContext(t), vcsim.Template{Source: fixtureVM, Name: "tpl-watch", GuestID: "centos7_64Guest"}); err != nil {
		t.Fatal(err)
	}
	c := openConn(t, sim)
	want, err := c.ListVMs(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	load, _ := startWatch(t, c).Synced(t, 0)
	if diff := cmp.Diff(want, upserted(t, load)); diff != "" {
		t.Errorf("first load differs from ListVMs (-ListVMs +Watch):\n%s", diff)
	}
}

// TestWatchSimulatorChanges: a VM created, renamed, powered on and off and destroyed directly
// in the simulator (through govmomi, not the driver) shows up as the matching event.
func TestWatchSimulatorChanges(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	r := startWatch(t, c)
	_, from := r.Synced(t, 0)

	ctx := testContext(t)
	gc := govmomiClient(t, sim)
	src := object.NewVirtualMachine(gc.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: vmID(t, sim, fixtureVM)})
	var props mo.VirtualMachine
	if err := src.Properties(ctx, src.Reference(), []string{"parent", "resourcePool"}, &props); err != nil {
		t.Fatal(err)
	}
	task, err := src.Clone(ctx, object.NewFolder(gc.Client, *props.Parent), "watch-new",
		types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: props.ResourcePool}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	vm := object.NewVirtualMachine(gc.Client, info.Result.(types.ManagedObjectReference))
	id := vm.Reference().Value

	step := func(what string, do func() (*object.Task, error), match func(model.VM) bool) {
		t.Helper()
		if do != nil {
			task, err := do()
			if err == nil {
				err = task.Wait(ctx)
			}
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		var ev drivers.VMEvent
		ev, from = r.Next(t, from, what, upsertOf(id, match))
		from++
		if ev.VM.Provider != "test" || len(ev.VM.Disks) == 0 || len(ev.VM.NICs) == 0 {
			t.Errorf("%s: upsert %+v lacks provider, disks or NICs", what, ev.VM)
		}
	}
	step("created", nil, func(v model.VM) bool { return v.Name == "watch-new" && v.PowerState == model.PoweredOff })
	step("renamed", func() (*object.Task, error) { return vm.Rename(ctx, "watch-renamed") },
		func(v model.VM) bool { return v.Name == "watch-renamed" })
	// The simulator announces a reconfigure's timestamp (config.modified) but not the
	// annotation it changed; the watch reads such a VM again.
	step("described", func() (*object.Task, error) {
		return vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{Annotation: "a note"})
	}, func(v model.VM) bool { return v.Description == "a note" })
	step("powered on", func() (*object.Task, error) { return vm.PowerOn(ctx) },
		func(v model.VM) bool { return v.PowerState == model.PoweredOn })
	step("powered off", func() (*object.Task, error) { return vm.PowerOff(ctx) },
		func(v model.VM) bool { return v.PowerState == model.PoweredOff && v.Name == "watch-renamed" })
	task, err = vm.Destroy(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	_, from = r.Next(t, from, "delete of the destroyed VM", deleteOf(id))

	// Other VMs were not reported as changed: the simulator re-announces every VM in a view
	// when the view's membership changes, and Watch drops updates that change nothing.
	for _, ev := range r.Since(from) {
		if ev.NativeID != id {
			t.Errorf("unexpected event after the delete: %s %s", ev.Kind, ev.NativeID)
		}
	}
}

// TestWatchSessionDrop: a terminated session ends Watch with ErrUnavailable within the long
// poll bound; a restart (on a session that is stale again) loads everything again and sends a
// new VMSynced.
func TestWatchSessionDrop(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c, err := vcenter.Open(testContext(t), withOptions(sim.Config("test"), vcenter.OptWatchMaxWait, "1s", vcenter.OptKeepAlive, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	r := startWatch(t, c)
	first, _ := r.Synced(t, 0)
	if n, err := sim.DropSessions(testContext(t)); err != nil || n != 1 {
		t.Fatalf("DropSessions = %d, %v; want the driver's one session", n, err)
	}
	start := time.Now()
	err = r.Wait(t, 15*time.Second)
	if !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("Watch after the session drop returned %v, want one wrapping model.ErrUnavailable", err)
	}
	t.Logf("Watch ended %v after the drop: %v", time.Since(start).Round(time.Millisecond), err)

	// The restart finds its session gone too (dropped again): its setup logs in again.
	if n, err := sim.DropSessions(testContext(t)); err != nil || n != 1 {
		t.Fatalf("second DropSessions = %d, %v; want the driver's re-established session", n, err)
	}
	again, _ := startWatch(t, c).Synced(t, 0)
	if diff := cmp.Diff(upserted(t, first), upserted(t, again)); diff != "" {
		t.Errorf("the restarted watch loaded something else (-first +restart):\n%s", diff)
	}
}

// TestWatchDatacenter: with the datacenter option only that datacenter's VMs are watched.
func TestWatchDatacenter(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vcsim.WithDatacenters(2))
	c, err := vcenter.Open(testContext(t), withOptions(sim.Config("test"), vcenter.OptDatacenter, "DC1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	load, _ := startWatch(t, c).Synced(t, 0)
	vms := upserted(t, load)
	if len(vms) != 4 {
		t.Errorf("watch of DC1 loaded %d VMs, want its 4", len(vms))
	}
	for _, vm := range vms {
		if !strings.HasPrefix(vm.Name, "DC1_") {
			t.Errorf("watch of DC1 reported %s", vm.Name)
		}
	}
}

// TestWatchPagedLoad: a first load larger than a page (the simulator pages at 100 objects at
// most) arrives whole, each VM once, before the one VMSynced, and equals ListVMs.
func TestWatchPagedLoad(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vcsim.WithBulkVMs(250))
	c, err := vcenter.Open(testContext(t), withOptions(sim.Config("test"), vcenter.OptWatchPageSize, "100"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	want, err := c.ListVMs(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 254 {
		t.Fatalf("ListVMs: %d VMs, want 254", len(want))
	}
	load, _ := startWatch(t, c).Synced(t, 0)
	if diff := cmp.Diff(want, upserted(t, load)); diff != "" {
		t.Errorf("paged first load differs from ListVMs (-ListVMs +Watch):\n%s", diff)
	}
}

// TestWatchCancel: cancelling the context ends Watch promptly even in the middle of a long
// poll, and leaves the connection usable.
func TestWatchCancel(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c, err := vcenter.Open(testContext(t), withOptions(sim.Config("test"), vcenter.OptWatchMaxWait, "60s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	r := startWatch(t, c)
	r.Synced(t, 0)
	time.Sleep(100 * time.Millisecond) // let the next long poll start; not an assertion
	start := time.Now()
	r.Cancel()
	if err := r.Wait(t, 5*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after cancel returned %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Watch took %v to return after cancel", d)
	}
	// The connection still works, and a new watch starts from scratch.
	if _, err := c.ListVMs(testContext(t)); err != nil {
		t.Fatalf("ListVMs after a cancelled watch: %v", err)
	}
	load, _ := startWatch(t, c).Synced(t, 0)
	if len(load) != 4 {
		t.Errorf("second watch loaded %d VMs, want 4", len(load))
	}
}

// TestWatchEmitError: an error from emit stops the watch and is returned as is.
func TestWatchEmitError(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	stop := errors.New("consumer full")
	n := 0
	err := c.Watch(testContext(t), func(drivers.VMEvent) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("Watch = %v, want the emit error itself", err)
	}
}
