package vcenter_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter"
	"cloudbroker/test/faultproxy"
	"cloudbroker/test/wait"
)

// TestWatchResumesAfterFailedPolls: polls that fail on the way (the endpoint answers 503, then
// stalls past the poll bound) are asked again from the same version: a change made meanwhile
// arrives as one upsert, with no second load (no second VMSynced), and Watch does not end.
func TestWatchResumesAfterFailedPolls(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	proxy := faultproxy.New(t, sim.URL())
	cfg := sim.Config("test")
	cfg.URL, cfg.Timeout = proxy.URL.String(), 2*time.Second
	c, err := vcenter.Open(testContext(t), withOptions(cfg, vcenter.OptWatchMaxWait, "1s", vcenter.OptKeepAlive, "0", vcenter.OptWatchResume, "30s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	r := startWatch(t, c)
	_, synced := r.Synced(t, 0)
	from := synced + 1

	proxy.SetDown(true)
	time.Sleep(2 * time.Second) // several polls fail with 503
	vm := object.NewVirtualMachine(govmomiClient(t, sim).Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: vmID(t, sim, fixtureVM)})
	power := func(on bool) {
		t.Helper()
		task, err := vm.PowerOff(testContext(t))
		if on {
			task, err = vm.PowerOn(testContext(t))
		}
		if err == nil {
			err = task.Wait(testContext(t))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	abandoned := proxy.AbandonedPolls()
	power(false)
	proxy.SetDown(false)
	proxy.SetDelay(4 * time.Second) // longer than a poll may take (1s wait + 2s call timeout)
	time.Sleep(4 * time.Second)
	proxy.SetDelay(0)
	proxy.Flush()

	off := upsertOf(vm.Reference().Value, func(v model.VM) bool { return v.PowerState == model.PoweredOff })
	if !wait.Within(30*time.Second, func() bool { return slices.ContainsFunc(r.Since(from), off) }) {
		// A poll that reached the simulator and was then given up by the client (a loaded
		// machine answering a 1 s poll in over 3 s) took the pending change with it: vCenter
		// would answer the same version again, the simulator cannot. Only then is the change
		// made once more.
		lost := proxy.AbandonedPolls() - abandoned
		if lost == 0 {
			t.Fatalf("no power off after the outage within 30s, and no poll was abandoned")
		}
		t.Logf("%d watch polls abandoned after the outage: the simulator dropped their changes; powering on and off again", lost)
		power(true)
		power(false)
	}
	// Next fails the test if Watch ended: the change must come from the same watch.
	r.Next(t, from, "power off after the outage", off)
	for _, ev := range r.Since(from) {
		if ev.Kind == drivers.VMSynced {
			t.Fatalf("the watch loaded everything again (a second VMSynced) instead of resuming")
		}
	}
}
