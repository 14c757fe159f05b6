// Package stress puts a broker's providers under stress: tasks that time out beside the
// inventory watch, ids asked for while the inventory loads, and a soak of both with changes
// made directly in the vCenter (issue 19).
package stress

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
)

var admin = model.Caller{Name: "admin", AllProviders: true}

// provider is the one provider every test here runs: "vc1".
const provider = "vc1"

// start runs a broker on one simulator of n bulk VMs behind a fault proxy, with a short
// provider timeout, and watch periods long enough that only a failure can
// cause a reload. o may set NoWorker and a Tune applied after these settings.
func start(t *testing.T, n int, o harness.Options) *harness.Broker {
	t.Helper()
	sim, err := vcsim.Start(vcsim.WithBulkVMs(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	tune := o.Tune
	o.Sims, o.Proxied = []*vcsim.Sim{sim}, true
	o.Tune = func(c *config.Config) {
		c.Providers[0].Timeout = config.Duration(2 * time.Second)
		// A poll bound (10 s + the 2 s call timeout) the simulator meets under -race on a loaded
		// machine: a poll the watch gives up on takes its changes with it, and the one sent
		// after it races the abandoned one inside the simulator (same collector, same session).
		c.Providers[0].Options = map[string]string{vcenter.OptWatchMaxWait: "10s"}
		c.Inventory.Period = config.Duration(time.Hour)
		c.Inventory.ScheduleInterval = config.Duration(200 * time.Millisecond)
		if tune != nil {
			tune(c)
		}
	}
	return harness.Start(t, o)
}

// syncOf returns the provider's sync status (zero before its first watch starts).
func syncOf(t *testing.T, b *harness.Broker) broker.SyncStatus {
	t.Helper()
	ps, err := b.App.Broker().ProviderStatuses(context.Background(), model.System)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name == provider && p.Sync != nil {
			return *p.Sync
		}
	}
	return broker.SyncStatus{}
}

// waitSynced waits (generously) for the provider's first load.
func waitSynced(t *testing.T, b *harness.Broker) broker.SyncStatus {
	t.Helper()
	// The simulator's first load grows with its VMs (SOAK_VMS): allow 30 ms a VM beyond 45 s.
	bound := 45*time.Second + time.Duration(envInt("SOAK_VMS", 0))*30*time.Millisecond
	deadline := time.Now().Add(bound)
	for {
		if st := syncOf(t, b); st.State == broker.SyncSynced {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("provider not synced within %v: %+v", bound, syncOf(t, b))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// direct is a govmomi client on the simulator itself, not through the proxy: changes made
// with it are ones the broker did not make.
func direct(t *testing.T, b *harness.Broker) *govmomi.Client {
	t.Helper()
	u := *b.Sims[0].URL()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := govmomi.NewClient(ctx, &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, User: u.User}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

// bulkVM is the i-th bulk VM (1-based): its moref in the simulator and its broker uuid.
func bulkVM(t *testing.T, b *harness.Broker, i int) (native, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	native, err := b.Sims[0].VMID(ctx, fmt.Sprintf("DC0_BULK_VM%d", i))
	if err != nil {
		t.Fatal(err)
	}
	return native, broker.VMUUID(provider, native)
}

// setPower powers a VM on or off directly in the simulator.
func setPower(ctx context.Context, c *govmomi.Client, native string, on bool) error {
	vm := object.NewVirtualMachine(c.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: native})
	var task *object.Task
	var err error
	if on {
		task, err = vm.PowerOn(ctx)
	} else {
		task, err = vm.PowerOff(ctx)
	}
	if err == nil {
		err = task.Wait(ctx)
	}
	return err
}

// waitTask waits for a task to end and returns it.
func waitTask(t *testing.T, b *harness.Broker, id string, bound time.Duration) broker.Task {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		task, err := b.App.Broker().Task(context.Background(), admin, id)
		if err != nil {
			t.Fatalf("task %s: %v", id, err)
		}
		if task.State.Done() {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s still %s after %v", id, task.State, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
