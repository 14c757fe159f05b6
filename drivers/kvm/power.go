package kvm

import (
	"context"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.PowerReporter = (*Conn)(nil)

// SetPower implements drivers.PowerController: Power without the outcome.
func (c *Conn) SetPower(ctx context.Context, nativeVMID string, op model.PowerOp) error {
	_, err := c.Power(ctx, nativeVMID, op)
	return err
}

// Power implements drivers.PowerReporter and returns when libvirt reports the change done.
// Start and stop are idempotent (a VM already in the wanted state is not an error); start also
// resumes a paused VM. Stop (cold) is DomainDestroy and reset DomainReset: immediate and obeyed
// by any guest. Shutdown (grace) is DomainShutdown (ACPI or agent), then DomainDestroy if the
// guest is not off within OptShutdownTimeout; reboot is DomainReboot, then DomainReset if the
// guest shows no reaction (no reboot or lifecycle event) within it. A guest with no OS, or
// one ignoring ACPI, thus takes the whole bound and is forced; the outcome says so.
func (c *Conn) Power(ctx context.Context, nativeVMID string, op model.PowerOp) (drivers.PowerOutcome, error) {
	if !validOp(op) {
		return drivers.PowerOutcome{}, model.Errorf(model.ErrInvalid, "kvm %s: unknown power operation %q", c.set.provider, op)
	}
	d, err := c.domain(ctx, nativeVMID)
	if err != nil {
		return drivers.PowerOutcome{}, err
	}
	state, err := c.state(ctx, d)
	if err != nil {
		return drivers.PowerOutcome{}, err
	}
	what := string(op) + " vm " + d.Name
	switch op {
	case model.PowerOn:
		if state == model.PoweredOn {
			return drivers.PowerOutcome{How: "already on"}, nil
		}
		if state == model.Suspended {
			return drivers.PowerOutcome{How: "resumed"}, c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainResume(d) })
		}
		return drivers.PowerOutcome{How: "powered on"}, c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainCreate(d) })
	case model.PowerOff, model.Shutdown:
		if state == model.PoweredOff {
			return drivers.PowerOutcome{How: "already off"}, nil
		}
		if op == model.PowerOff {
			return drivers.PowerOutcome{How: "forced off"}, c.destroy(ctx, d)
		}
		if state != model.PoweredOn {
			return drivers.PowerOutcome{How: "forced off: the guest is " + string(state) + " and cannot shut down", Forced: true}, c.destroy(ctx, d)
		}
		if c.set.stopGrace == 0 {
			return drivers.PowerOutcome{How: "forced off: " + OptShutdownTimeout + " is 0", Forced: true}, c.destroy(ctx, d)
		}
		off, err := c.shutdown(ctx, d)
		if err != nil {
			return drivers.PowerOutcome{}, err
		}
		if off {
			return drivers.PowerOutcome{How: "shut down by the guest"}, nil
		}
		return drivers.PowerOutcome{How: "forced off after " + c.set.stopGrace.String() + ": the guest did not shut down", Forced: true}, c.destroy(ctx, d)
	default: // reboot, reset
		if state != model.PoweredOn {
			return drivers.PowerOutcome{}, model.Errorf(model.ErrConflict, "kvm %s: cannot %s vm %s: it is %s", c.set.provider, op, d.Name, state)
		}
		reset := func(how string, forced bool) (drivers.PowerOutcome, error) {
			return drivers.PowerOutcome{How: how, Forced: forced}, c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainReset(d, 0) })
		}
		if op == model.Reset {
			return reset("reset", false)
		}
		if c.set.stopGrace == 0 {
			return reset("reset: "+OptShutdownTimeout+" is 0", true)
		}
		rebooted, err := c.reboot(ctx, d)
		if err != nil {
			return drivers.PowerOutcome{}, err
		}
		if rebooted {
			return drivers.PowerOutcome{How: "rebooted by the guest"}, nil
		}
		return reset("reset after "+c.set.stopGrace.String()+": the guest did not reboot", true)
	}
}

func validOp(op model.PowerOp) bool {
	switch op {
	case model.PowerOn, model.PowerOff, model.Shutdown, model.Reboot, model.Reset:
		return true
	}
	return false
}

// destroy forces the VM off.
func (c *Conn) destroy(ctx context.Context, d libvirt.Domain) error {
	err := c.run(ctx, "stop vm "+d.Name, func(l *libvirt.Libvirt) error { return l.DomainDestroy(d) })
	if hasCode(err, libvirt.ErrOperationInvalid) {
		return nil // it went off by itself meanwhile
	}
	return err
}

// shutdown asks the guest to power off and polls until it has or the grace period ends.
func (c *Conn) shutdown(ctx context.Context, d libvirt.Domain) (off bool, err error) {
	err = c.run(ctx, "shut down vm "+d.Name, func(l *libvirt.Libvirt) error { return l.DomainShutdown(d) })
	if err != nil {
		return false, err
	}
	deadline := time.Now().Add(c.set.stopGrace)
	for {
		if s, err := c.state(ctx, d); err != nil || s == model.PoweredOff {
			return err == nil, err
		}
		if !time.Now().Before(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, model.Errorf(model.ErrTimeout, "kvm %s: shut down vm %s: %v", c.set.provider, d.Name, ctx.Err())
		case <-time.After(min(250*time.Millisecond, time.Until(deadline))):
		}
	}
}

func (c *Conn) state(ctx context.Context, d libvirt.Domain) (model.PowerState, error) {
	var s int32
	err := c.run(ctx, "read state of vm "+d.Name, func(l *libvirt.Libvirt) (err error) {
		s, _, err = l.DomainGetState(d, 0)
		return err
	})
	return powerState(s), err
}
