package broker

import (
	"context"

	"cloudbroker/broker/inventory"
)

// reflectInInventory writes what a succeeded task changed into the shared inventory at once
// (its type's inventory function, tasktypes.go), so a clone or a power change shows in
// listings without waiting for the watch's next event or reconcile.
func (e *Executor) reflectInInventory(ctx context.Context, spec TaskSpec, res any) {
	changesOf := taskTypes[spec.Type].inventory
	if e.inv == nil || changesOf == nil {
		return
	}
	changes := changesOf(ctx, e.inv, spec, res)
	if len(changes) == 0 {
		return
	}
	if err := e.inv.Apply(ctx, spec.Provider, changes); err != nil {
		e.log.Warn("inventory not updated after task; the watch will catch up", "type", spec.Type, "provider", spec.Provider, "err", err)
	}
}

// cloneChanges: every clone a clone task made enters the inventory.
func cloneChanges(_ context.Context, _ InventoryStore, spec TaskSpec, res any) []inventory.Change {
	r, ok := res.(CloneResult)
	if !ok {
		return nil
	}
	var changes []inventory.Change
	for _, c := range r.Clones {
		if c.VM == nil {
			continue
		}
		vm := *c.VM
		vm.Provider, vm.ID = spec.Provider, VMUUID(spec.Provider, vm.NativeID)
		changes = append(changes, inventory.Change{Op: inventory.Upsert, ID: vm.ID, VM: &vm})
	}
	return changes
}

// powerChanges: the VM a power task changed takes its new state. A VM not in the inventory yet
// is left to the watch, which brings it with its state.
func powerChanges(ctx context.Context, inv InventoryStore, spec TaskSpec, res any) []inventory.Change {
	r, ok := res.(PowerResult)
	if !ok {
		return nil
	}
	vm, ok, err := inv.VM(ctx, spec.VMID)
	if err != nil || !ok {
		return nil
	}
	vm.PowerState = r.PowerState
	return []inventory.Change{{Op: inventory.Upsert, ID: vm.ID, VM: &vm}}
}
