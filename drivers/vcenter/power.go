package vcenter

import (
	"context"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.PowerReporter = (*Conn)(nil)

// SetPower implements drivers.PowerController: Power without the outcome.
func (c *Conn) SetPower(ctx context.Context, nativeVMID string, op model.PowerOp) error {
	_, err := c.Power(ctx, nativeVMID, op)
	return err
}

// Power implements drivers.PowerReporter. Start, stop and reset are vCenter tasks the driver
// waits on. Shutdown and reboot go through VMware Tools (ShutdownGuest, RebootGuest), which
// answer as soon as the request is handed to the guest: shutdown then waits up to the
// provider's shutdown_timeout for the VM to be off and forces it off after that; both force
// at once (PowerOff, Reset) when the tools are not running, as vCenter would refuse the guest
// call with ToolsUnavailable. Asking for the state the VM is already in succeeds, so retried
// tasks are harmless.
func (c *Conn) Power(ctx context.Context, nativeVMID string, op model.PowerOp) (drivers.PowerOutcome, error) {
	if nativeVMID == "" {
		return drivers.PowerOutcome{}, model.Errorf(model.ErrInvalid, "vcenter: empty vm id")
	}
	vm := object.NewVirtualMachine(c.client, vmRef(nativeVMID))
	switch op {
	case model.PowerOn:
		return drivers.PowerOutcome{How: "powered on"}, c.powerTask(ctx, vm, op, vm.PowerOn)
	case model.PowerOff:
		return drivers.PowerOutcome{How: "forced off"}, c.powerTask(ctx, vm, op, vm.PowerOff)
	case model.Reset:
		return drivers.PowerOutcome{How: "reset"}, c.powerTask(ctx, vm, op, vm.Reset)
	case model.Shutdown:
		return c.shutdownGuest(ctx, vm)
	case model.Reboot:
		return c.rebootGuest(ctx, vm)
	}
	return drivers.PowerOutcome{}, model.Errorf(model.ErrInvalid, "vcenter: unknown power operation %q", op)
}

// powerTask runs one of the power tasks and waits for it.
func (c *Conn) powerTask(ctx context.Context, vm *object.VirtualMachine, op model.PowerOp, start func(context.Context) (*object.Task, error)) error {
	task, err := start(ctx)
	if err == nil {
		err = task.Wait(ctx) // Wait, not WaitEx: WaitEx shares one collector across goroutines
	}
	if err == nil || alreadyIn(err, op) {
		return nil
	}
	return wrapErr(err, "%s vm %q", op, vm.Reference().Value)
}

// shutdownGuest is a grace stop: the guest shuts down, or is forced off.
func (c *Conn) shutdownGuest(ctx context.Context, vm *object.VirtualMachine) (drivers.PowerOutcome, error) {
	forced := func(why string) (drivers.PowerOutcome, error) {
		return drivers.PowerOutcome{How: "forced off: " + why, Forced: true}, c.powerTask(ctx, vm, model.PowerOff, vm.PowerOff)
	}
	st, err := c.guestState(ctx, vm)
	switch {
	case err != nil:
		return drivers.PowerOutcome{}, err
	case st.power == types.VirtualMachinePowerStatePoweredOff:
		return drivers.PowerOutcome{How: "already off"}, nil
	case st.power != types.VirtualMachinePowerStatePoweredOn:
		return forced("the VM is " + string(st.power) + ", its guest cannot shut down")
	case c.guestWait == 0:
		return forced(OptShutdownTimeout + " is 0")
	case !st.tools:
		return forced("VMware Tools not running")
	}
	if err := vm.ShutdownGuest(ctx); err != nil {
		if isToolsUnavailable(err) {
			return forced("VMware Tools not running")
		}
		if alreadyIn(err, model.PowerOff) {
			return drivers.PowerOutcome{How: "already off"}, nil
		}
		return drivers.PowerOutcome{}, wrapErr(err, "shut down guest of vm %q", vm.Reference().Value)
	}
	deadline := time.Now().Add(c.guestWait)
	for {
		st, err := c.guestState(ctx, vm)
		if err != nil {
			return drivers.PowerOutcome{}, err
		}
		if st.power == types.VirtualMachinePowerStatePoweredOff {
			return drivers.PowerOutcome{How: "shut down by the guest"}, nil
		}
		if !time.Now().Before(deadline) {
			return drivers.PowerOutcome{How: "forced off after " + c.guestWait.String() + ": the guest did not shut down", Forced: true},
				c.powerTask(ctx, vm, model.PowerOff, vm.PowerOff)
		}
		select {
		case <-ctx.Done():
			return drivers.PowerOutcome{}, model.Errorf(model.ErrTimeout, "vcenter: shut down vm %q: %v", vm.Reference().Value, ctx.Err())
		case <-time.After(min(pollEvery, time.Until(deadline))):
		}
	}
}

// rebootGuest asks VMware Tools to reboot the guest, and resets the VM where they cannot.
// vCenter tells nothing more once the tools took the request (the VM stays on throughout), so
// there is no wait: a guest that took it is rebooting.
func (c *Conn) rebootGuest(ctx context.Context, vm *object.VirtualMachine) (drivers.PowerOutcome, error) {
	reset := func(why string) (drivers.PowerOutcome, error) {
		return drivers.PowerOutcome{How: "reset: " + why, Forced: true}, c.powerTask(ctx, vm, model.Reset, vm.Reset)
	}
	st, err := c.guestState(ctx, vm)
	switch {
	case err != nil:
		return drivers.PowerOutcome{}, err
	case st.power != types.VirtualMachinePowerStatePoweredOn:
		return drivers.PowerOutcome{}, model.Errorf(model.ErrConflict, "vcenter: cannot reboot vm %q: it is %s", vm.Reference().Value, st.power)
	case c.guestWait == 0:
		return reset(OptShutdownTimeout + " is 0")
	case !st.tools:
		return reset("VMware Tools not running")
	}
	if err := vm.RebootGuest(ctx); err != nil {
		if isToolsUnavailable(err) {
			return reset("VMware Tools not running")
		}
		return drivers.PowerOutcome{}, wrapErr(err, "reboot guest of vm %q", vm.Reference().Value)
	}
	return drivers.PowerOutcome{How: "rebooted by the guest"}, nil
}

// pollEvery is how often a grace stop reads the power state while the guest shuts down.
const pollEvery = 250 * time.Millisecond

type guestState struct {
	power types.VirtualMachinePowerState
	tools bool // VMware Tools running in the guest
}

func (c *Conn) guestState(ctx context.Context, vm *object.VirtualMachine) (guestState, error) {
	props, err := c.vmProps(ctx, vm.Reference().Value, "runtime.powerState", "guest.toolsRunningStatus")
	if err != nil {
		return guestState{}, wrapErr(err, "read power state of vm %q", vm.Reference().Value)
	}
	st := guestState{power: props.Runtime.PowerState}
	if props.Guest != nil {
		st.tools = props.Guest.ToolsRunningStatus == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
	}
	return st, nil
}

func isToolsUnavailable(err error) bool {
	_, ok := fault.As(err, new(*types.ToolsUnavailable))
	return ok
}

// alreadyIn reports whether err only says the VM is already where op would take it.
func alreadyIn(err error, op model.PowerOp) bool {
	var ips *types.InvalidPowerState
	if _, ok := fault.As(err, &ips); !ok || ips == nil {
		return false
	}
	switch op {
	case model.PowerOn:
		return ips.ExistingState == types.VirtualMachinePowerStatePoweredOn
	case model.PowerOff:
		return ips.ExistingState == types.VirtualMachinePowerStatePoweredOff
	}
	return false
}
