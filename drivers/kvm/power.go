package kvm

import (
	"context"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// SetPower starts, stops or reboots a VM and returns when libvirt reports the change done.
// Start and stop are idempotent (a VM already in the wanted state is not an error); start also
// resumes a paused VM. Without OptShutdownTimeout, stop is a forced power-off (DomainDestroy)
// and reboot a hard reset (DomainReset): immediate and obeyed by any guest. With it, stop asks
// the guest (ACPI) and forces the power-off after the timeout; reboot asks the guest.
func (c *Conn) SetPower(ctx context.Context, nativeVMID string, op drivers.PowerOp) error {
	switch op {
	case drivers.PowerOn, drivers.PowerOff, drivers.Reboot:
	default:
		return model.Errorf(model.ErrInvalid, "kvm %s: unknown power operation %q", c.set.provider, op)
	}
	d, err := c.domain(ctx, nativeVMID)
	if err != nil {
		return err
	}
	state, err := c.state(ctx, d)
	if err != nil {
		return err
	}
	what := string(op) + " vm " + d.Name
	switch op {
	case drivers.PowerOn:
		switch state {
		case model.PoweredOn:
			return nil
		case model.Suspended:
			return c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainResume(d) })
		}
		return c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainCreate(d) })
	case drivers.PowerOff:
		if state == model.PoweredOff {
			return nil
		}
		if c.set.stopGrace > 0 && state == model.PoweredOn {
			if off, err := c.shutdown(ctx, d); err != nil || off {
				return err
			}
		}
		err := c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainDestroy(d) })
		if hasCode(err, libvirt.ErrOperationInvalid) {
			return nil // it went off by itself meanwhile
		}
		return err
	default: // reboot
		if state != model.PoweredOn {
			return model.Errorf(model.ErrConflict, "kvm %s: cannot reboot vm %s: it is %s", c.set.provider, d.Name, state)
		}
		if c.set.stopGrace > 0 {
			return c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainReboot(d, 0) })
		}
		return c.run(ctx, what, func(l *libvirt.Libvirt) error { return l.DomainReset(d, 0) })
	}
}

// shutdown asks the guest to power off and polls until it has or the grace period ends.
func (c *Conn) shutdown(ctx context.Context, d libvirt.Domain) (off bool, err error) {
	err = c.run(ctx, "shut down vm "+d.Name, func(l *libvirt.Libvirt) error { return l.DomainShutdown(d) })
	if err != nil {
		return false, err
	}
	deadline := time.Now().Add(c.set.stopGrace)
	for time.Now().Before(deadline) {
		if s, err := c.state(ctx, d); err != nil || s == model.PoweredOff {
			return err == nil, err
		}
		select {
		case <-ctx.Done():
			return false, model.Errorf(model.ErrTimeout, "kvm %s: shut down vm %s: %v", c.set.provider, d.Name, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return false, nil
}

func (c *Conn) state(ctx context.Context, d libvirt.Domain) (model.PowerState, error) {
	var s int32
	err := c.run(ctx, "read state of vm "+d.Name, func(l *libvirt.Libvirt) (err error) {
		s, _, err = l.DomainGetState(d, 0)
		return err
	})
	return powerState(s), err
}
