package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// TypeVMPower starts, stops or reboots a VM.
const TypeVMPower = "vm:power"

// powerArgs are a TypeVMPower task's Args.
type powerArgs struct {
	Op model.PowerOp `json:"op"`
}

// PowerResult is the Result of a TypeVMPower task: the operation done, how (by the guest or
// forced, when the driver says), and the power state the VM is in after it (the drivers
// return only once the change is done).
type PowerResult struct {
	VMID       string           `json:"vmid"`
	Op         model.PowerOp    `json:"op"`
	How        string           `json:"how,omitempty"`
	Forced     bool             `json:"forced,omitempty"`
	PowerState model.PowerState `json:"powerState"`
}

// PowerResult decodes the result of a succeeded power task.
func (t Task) PowerResult() (PowerResult, error) {
	if t.Spec.Type != TypeVMPower || t.State != TaskSucceeded {
		return PowerResult{}, fmt.Errorf("task %s is a %s task in state %s, not a succeeded %s task", t.ID, t.Spec.Type, t.State, TypeVMPower)
	}
	var res PowerResult
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return PowerResult{}, fmt.Errorf("task %s: decoding power result: %w", t.ID, err)
	}
	return res, nil
}

// validPowerOp refuses anything but the drivers' power operations.
func validPowerOp(op model.PowerOp) error {
	if slices.Contains(model.PowerOps, op) {
		return nil
	}
	ops := fmt.Sprint(model.PowerOps)
	ops = strings.ReplaceAll(ops[1:len(ops)-1], " ", ", ")
	if op == "" {
		return model.Errorf(model.ErrInvalid, "op is required: one of %s", ops)
	}
	return model.Errorf(model.ErrInvalid, "op %q is not one of %s", op, ops)
}

// poweredAfter is the state a VM is in once op is done.
func poweredAfter(op model.PowerOp) model.PowerState {
	if op == model.PowerOff || op == model.Shutdown {
		return model.PoweredOff
	}
	return model.PoweredOn
}

// SubmitPower starts a power operation (start, stop, shutdown, reboot, reset; see
// model.PowerOp) on a VM and returns the pending task. Start and stop of a VM already in that state succeed; a provider whose driver cannot
// change power fails the task with an error wrapping model.ErrUnsupported. opts may choose the
// task's id (WithID).
func (b *Broker) SubmitPower(ctx context.Context, c model.Caller, vmid string, op model.PowerOp, opts ...SubmitOption) (Task, error) {
	if err := validPowerOp(op); err != nil {
		return Task{}, err
	}
	if err := b.refuseDestroyed(ctx, c, vmid, string(op)); err != nil {
		return Task{}, err
	}
	return b.submitOnVM(ctx, c, TypeVMPower, vmid, "", powerArgs{Op: op}, opts...)
}

func runPower(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	pc, ok := c.(drivers.PowerController)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "change the power state of VMs")
	}
	var args powerArgs
	if err := json.Unmarshal(spec.Args, &args); err != nil {
		return nil, model.Errorf(model.ErrInvalid, "power task arguments: %v", err)
	}
	if err := validPowerOp(args.Op); err != nil {
		return nil, err
	}
	res := PowerResult{VMID: spec.VMID, Op: args.Op, PowerState: poweredAfter(args.Op)}
	if pr, ok := pc.(drivers.PowerReporter); ok {
		out, err := pr.Power(ctx, spec.NativeID, args.Op)
		if err != nil {
			return nil, err
		}
		res.How, res.Forced = out.How, out.Forced
		return res, nil
	}
	if err := pc.SetPower(ctx, spec.NativeID, args.Op); err != nil {
		return nil, err
	}
	return res, nil
}
