package broker

import (
	"context"

	"cloudbroker/broker/inventory"
)

// reflectInInventory writes what a succeeded task changed into the shared inventory at once,
// so a clone or a power change shows in listings without waiting for the watch's next event
// or reconcile. The watch reports the same change later; applying it twice changes nothing.
func (e *Executor) reflectInInventory(ctx context.Context, spec TaskSpec, res any) {
	if e.inv == nil {
		return
	}
	var changes []inventory.Change
	switch r := res.(type) {
	case CloneResult:
		for _, c := range r.Clones {
			if c.VM == nil {
				continue
			}
			vm := *c.VM
			vm.Provider, vm.ID = spec.Provider, VMUUID(spec.Provider, vm.NativeID)
			changes = append(changes, inventory.Change{Op: inventory.Upsert, ID: vm.ID, VM: &vm})
		}
	case PowerResult:
		vm, ok, err := e.inv.VM(ctx, spec.VMID)
		if err != nil || !ok {
			return // not in the inventory yet: the watch will bring it with its state
		}
		vm.PowerState = r.PowerState
		changes = append(changes, inventory.Change{Op: inventory.Upsert, ID: vm.ID, VM: &vm})
	}
	if err := e.inv.Apply(ctx, spec.Provider, changes); err != nil {
		e.log.Warn("inventory not updated after task; the watch will catch up", "type", spec.Type, "provider", spec.Provider, "err", err)
	}
}
