package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// The VM lifecycle after creation, with ZStack's semantics: destroy powers a VM off and marks
// it Destroyed, keeping it and its disks; recover brings a destroyed VM back, stopped; expunge
// deletes a destroyed VM and its disks. The Destroyed mark lives on the provider (drivers.
// Destroyer), so every replica sees it and it survives Redis losing its data.
const (
	TypeVMDestroy = "vm:destroy"
	TypeVMRecover = "vm:recover"
	TypeVMExpunge = "vm:expunge"
)

// LifecycleResult is the Result of a destroy, recover or expunge task: the VM as it is after.
type LifecycleResult struct {
	VMID string `json:"vmid"`
	// DestroyedAt is when the VM was destroyed (destroy); zero after a recover or expunge.
	DestroyedAt time.Time `json:"destroyedAt,omitzero"`
	// Expunged is set once the VM and its disks are gone.
	Expunged bool `json:"expunged,omitempty"`
}

// LifecycleResult decodes the result of a succeeded destroy, recover or expunge task.
func (t Task) LifecycleResult() (LifecycleResult, error) {
	switch t.Spec.Type {
	case TypeVMDestroy, TypeVMRecover, TypeVMExpunge:
	default:
		return LifecycleResult{}, fmt.Errorf("task %s is a %s task, not a destroy, recover or expunge task", t.ID, t.Spec.Type)
	}
	var res LifecycleResult
	if t.State != TaskSucceeded {
		return res, fmt.Errorf("task %s is %s, not succeeded", t.ID, t.State)
	}
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return LifecycleResult{}, fmt.Errorf("task %s: decoding result: %w", t.ID, err)
	}
	return res, nil
}

// SubmitDestroy starts destroying a VM the caller sees. Destroying a destroyed VM succeeds
// and changes nothing.
func (b *Broker) SubmitDestroy(ctx context.Context, c model.Caller, vmid string, opts ...SubmitOption) (Task, error) {
	return b.submitLifecycle(ctx, c, TypeVMDestroy, vmid, opts)
}

// SubmitRecover starts recovering a destroyed VM the caller sees. A VM that is not destroyed
// fails the task with model.ErrConflict, and nothing changes: the driver checks the provider,
// not the inventory, which follows a watch that may not have seen a destroy just made yet.
func (b *Broker) SubmitRecover(ctx context.Context, c model.Caller, vmid string, opts ...SubmitOption) (Task, error) {
	return b.submitLifecycle(ctx, c, TypeVMRecover, vmid, opts)
}

// SubmitExpunge starts deleting a destroyed VM the caller sees, with its disks. A VM that is
// not destroyed fails the task with model.ErrConflict, and nothing changes (the driver checks
// the provider, as for SubmitRecover).
func (b *Broker) SubmitExpunge(ctx context.Context, c model.Caller, vmid string, opts ...SubmitOption) (Task, error) {
	return b.submitLifecycle(ctx, c, TypeVMExpunge, vmid, opts)
}

// lifecycleNeeds is the capability each lifecycle task needs, and what it is called for people.
var lifecycleNeeds = map[string]struct {
	can  func(model.Provider) bool
	what string
}{
	TypeVMDestroy: {can[drivers.Destroyer], "destroy VMs"},
	TypeVMRecover: {can[drivers.Recoverer], "recover destroyed VMs"},
	TypeVMExpunge: {can[drivers.Expunger], "expunge VMs"},
}

func (b *Broker) submitLifecycle(ctx context.Context, c model.Caller, typ, vmid string, opts []SubmitOption) (Task, error) {
	ref, err := b.resolveVM(ctx, c, vmid)
	if err != nil {
		return Task{}, err
	}
	p, _ := b.providers.Get(ref.Provider)
	if need := lifecycleNeeds[typ]; !need.can(p) {
		return Task{}, drivers.Unsupported(ref.Provider, need.what)
	}
	return b.submitOnVM(ctx, c, typ, vmid, "", nil, opts...)
}

func runDestroy(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	d, ok := c.(drivers.Destroyer)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "destroy VMs")
	}
	at := time.Now().UTC().Truncate(time.Second)
	if err := d.Destroy(ctx, spec.NativeID, at); err != nil {
		return nil, err
	}
	return LifecycleResult{VMID: spec.VMID, DestroyedAt: at}, nil
}

func runRecover(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	r, ok := c.(drivers.Recoverer)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "recover destroyed VMs")
	}
	if err := r.Recover(ctx, spec.NativeID); err != nil {
		return nil, err
	}
	return LifecycleResult{VMID: spec.VMID}, nil
}

func runExpunge(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	x, ok := c.(drivers.Expunger)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "expunge VMs")
	}
	if err := x.Expunge(ctx, spec.NativeID); err != nil {
		return nil, err
	}
	return LifecycleResult{VMID: spec.VMID, Expunged: true}, nil
}

// lifecycleChanges: the VM takes its new state at once (destroyed and off, recovered, gone).
// A VM not in the inventory yet is left to the watch.
func lifecycleChanges(ctx context.Context, inv InventoryStore, spec TaskSpec, res any) []inventory.Change {
	r, ok := res.(LifecycleResult)
	if !ok {
		return nil
	}
	if r.Expunged {
		return []inventory.Change{{Op: inventory.Delete, ID: spec.VMID}}
	}
	vm, ok, err := inv.VM(ctx, spec.VMID)
	if err != nil || !ok {
		return nil
	}
	vm.DestroyedAt = r.DestroyedAt
	if !r.DestroyedAt.IsZero() {
		vm.PowerState = model.PoweredOff
	}
	return []inventory.Change{{Op: inventory.Upsert, ID: vm.ID, VM: &vm}}
}

// refuseDestroyed refuses to act on a VM the inventory shows destroyed (ZStack allows only
// recover and expunge then): what names the refused action. A VM the caller does not see is
// left to the scope check, which answers as for one that does not exist.
func (b *Broker) refuseDestroyed(ctx context.Context, c model.Caller, vmid, what string) error {
	if b.inv == nil {
		return nil
	}
	if vm, ok, err := b.inv.VM(ctx, vmid); err == nil && ok && c.Sees(vm.Provider) && !vm.DestroyedAt.IsZero() {
		return model.Errorf(model.ErrConflict, "vm %s is destroyed: recover it before you %s it", vmid, what)
	}
	return nil
}
