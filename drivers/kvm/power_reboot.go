package kvm

import (
	"context"
	"log/slog"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
)

// reboot asks the guest to reboot (DomainReboot) and waits up to the grace period for a sign
// it did: a reboot event (QEMU reports the guest's reset) or a lifecycle event (a driver that
// reboots by stopping and starting). DomainReboot itself succeeds whether or not the guest
// acts on the ACPI request, and the domain stays running either way, so events are the only
// evidence. Without events from the daemon, the reboot is taken as done.
func (c *Conn) reboot(ctx context.Context, d libvirt.Domain) (bool, error) {
	seen, stop, err := c.domainEvents(ctx, d)
	if err != nil {
		return false, err
	}
	defer stop()
	if err := c.run(ctx, "reboot vm "+d.Name, func(l *libvirt.Libvirt) error { return l.DomainReboot(d, 0) }); err != nil {
		return false, err
	}
	if seen == nil {
		return true, nil
	}
	t := time.NewTimer(c.set.stopGrace)
	defer t.Stop()
	select {
	case <-seen:
		return true, nil
	case <-t.C:
		return false, nil
	case <-ctx.Done():
		return false, model.Errorf(model.ErrTimeout, "kvm %s: reboot vm %s: %v", c.set.provider, d.Name, ctx.Err())
	}
}

// domainEvents subscribes to d's reboot and lifecycle events; seen gets a value once one has
// arrived. stop ends the subscriptions and drains them (go-libvirt blocks on an unread event).
// A daemon without events gives a nil seen.
func (c *Conn) domainEvents(ctx context.Context, d libvirt.Domain) (seen <-chan struct{}, stop func(), err error) {
	sctx, cancel := context.WithCancel(context.Background())
	hit := make(chan struct{}, 1)
	for _, id := range []libvirt.DomainEventID{libvirt.DomainEventIDReboot, libvirt.DomainEventIDLifecycle} {
		var ch <-chan any
		err := c.run(ctx, "subscribe to events of vm "+d.Name, func(l *libvirt.Libvirt) (err error) {
			ch, err = l.SubscribeEvents(sctx, id, nil)
			return err
		})
		if err != nil {
			cancel()
			if hasCode(err, libvirt.ErrNoSupport) || hasCode(err, libvirt.ErrOperationUnsupported) {
				slog.Warn("kvm: no domain events from this daemon; a guest reboot is not confirmed", "provider", c.set.provider, "err", err)
				return nil, func() {}, nil
			}
			return nil, nil, err
		}
		go func() {
			for ev := range ch {
				if eventDomain(ev) == d.UUID {
					select {
					case hit <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	return hit, cancel, nil
}

func eventDomain(ev any) libvirt.UUID {
	switch e := ev.(type) {
	case *libvirt.DomainEventCallbackRebootMsg:
		return e.Msg.Dom.UUID
	case *libvirt.DomainEventCallbackLifecycleMsg:
		return e.Msg.Dom.UUID
	}
	return libvirt.UUID{}
}
