package vcenter

import (
	"context"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// SetPower implements drivers.PowerController. "stop" is a hard power-off and "reboot" a hard
// reset: both work without VMware Tools and finish as a task the driver can wait on, whereas
// the guest-OS variants return before the guest acts. Asking for the state the VM is already
// in succeeds, so retried tasks are harmless.
func (c *Conn) SetPower(ctx context.Context, nativeVMID string, op drivers.PowerOp) error {
	if nativeVMID == "" {
		return model.Errorf(model.ErrInvalid, "vcenter: empty vm id")
	}
	vm := object.NewVirtualMachine(c.client, vmRef(nativeVMID))
	var (
		task *object.Task
		err  error
	)
	switch op {
	case drivers.PowerOn:
		task, err = vm.PowerOn(ctx)
	case drivers.PowerOff:
		task, err = vm.PowerOff(ctx)
	case drivers.Reboot:
		task, err = vm.Reset(ctx)
	default:
		return model.Errorf(model.ErrInvalid, "vcenter: unknown power operation %q", op)
	}
	if err == nil {
		err = task.Wait(ctx) // Wait, not WaitEx: WaitEx shares one collector across goroutines
	}
	if err == nil || alreadyIn(err, op) {
		return nil
	}
	return wrapErr(err, "%s vm %q", op, nativeVMID)
}

// alreadyIn reports whether err only says the VM is already where op would take it.
func alreadyIn(err error, op drivers.PowerOp) bool {
	var ips *types.InvalidPowerState
	if _, ok := fault.As(err, &ips); !ok || ips == nil {
		return false
	}
	switch op {
	case drivers.PowerOn:
		return ips.ExistingState == types.VirtualMachinePowerStatePoweredOn
	case drivers.PowerOff:
		return ips.ExistingState == types.VirtualMachinePowerStatePoweredOff
	}
	return false
}
