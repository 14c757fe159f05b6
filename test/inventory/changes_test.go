package inventory_test

import (
	"context"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// A change made through the broker shows in the inventory without waiting for the next
// reconcile: the period here is an hour, so only the task's own update can bring it.
func TestBrokerChangesShowAtOnce(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: func(c *config.Config) {
		c.Inventory.Period = config.Duration(time.Hour)
		c.Inventory.ScheduleInterval = config.Duration(200 * time.Millisecond)
	}})
	b.WaitSynced(t)
	var src vmRow
	for _, vm := range list(t, b).VMs {
		if vm.Name == "DC0_H0_VM0" {
			src = vm
		}
	}
	ctx := context.Background()
	bk := b.App.Broker()

	task, err := bk.SubmitPower(ctx, model.System, src.VMID, model.PowerOff)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bk.Wait(ctx, model.System, task.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "power change in the list", func() bool {
		for _, vm := range list(t, b).VMs {
			if vm.VMID == src.VMID {
				return vm.PowerState == "poweredOff"
			}
		}
		return false
	})

	task, err = bk.SubmitClone(ctx, model.System, src.VMID, broker.CloneRequest{Names: []string{"inv-clone-1"}})
	if err != nil {
		t.Fatal(err)
	}
	done, err := bk.Wait(ctx, model.System, task.ID)
	if err != nil || done.State != broker.TaskSucceeded {
		t.Fatalf("clone: %v %+v", err, done.Err)
	}
	eventually(t, "clone in the list", func() bool {
		for _, vm := range list(t, b).VMs {
			if vm.Name == "inv-clone-1" {
				return true
			}
		}
		return false
	})
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	wait.For(t, 15*time.Second, what, ok)
}
