package test

import (
	"errors"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/harness"
)

// Recover and expunge ask the provider whether a VM is destroyed, not the inventory: the
// inventory follows a watch that may report an older state after a destroy's own write (a
// recover just before it, say), and a VM destroyed a moment ago must expunge all the same. A
// VM the provider holds not destroyed is refused there, and kept.
func TestLifecycleAsksTheProviderNotTheInventory(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	br := b.App.Broker()
	inv := redisstore.NewInventory(b.Redis.Client(t))
	vmid := vmidOf(t, br, "vc1", "DC0_H0_VM1")

	task, err := br.SubmitExpunge(ctx(t), model.System, vmid)
	if done := waitTask(t, br, task, err); done.State != broker.TaskFailed || !errors.Is(done.Err, model.ErrConflict) {
		t.Fatalf("expunge of a VM not destroyed: %s %v, want failed with a conflict", done.State, done.Err)
	}
	if _, err := b.Sims[0].VMID(ctx(t), "DC0_H0_VM1"); err != nil {
		t.Fatalf("the refused expunge removed the VM: %v", err)
	}

	task, err = br.SubmitDestroy(ctx(t), model.System, vmid)
	if done := waitTask(t, br, task, err); done.State != broker.TaskSucceeded {
		t.Fatalf("destroy: %s %v", done.State, done.Err)
	}
	stale := vmRef(t, br, vmid)
	stale.DestroyedAt = time.Time{} // as a late watch report of an earlier state has it
	if err := inv.Apply(ctx(t), "vc1", []inventory.Change{{Op: inventory.Upsert, ID: vmid, VM: &stale}}); err != nil {
		t.Fatal(err)
	}
	task, err = br.SubmitExpunge(ctx(t), model.System, vmid)
	if done := waitTask(t, br, task, err); done.State != broker.TaskSucceeded {
		t.Fatalf("expunge of a destroyed VM the inventory shows not destroyed: %s %v, want succeeded", done.State, done.Err)
	}
	if _, err := b.Sims[0].VMID(ctx(t), "DC0_H0_VM1"); err == nil {
		t.Error("the simulator still has the expunged VM")
	}
}
