package kvm

import (
	"context"

	libvirt "github.com/digitalocean/go-libvirt"
)

// Libvirt returns the go-libvirt client under c, for tests that change a test:/// node file's
// domains behind the driver's back: each connection to a node file has its own copy, so the
// change must go through the Conn's own connection.
func Libvirt(ctx context.Context, c *Conn) (*libvirt.Libvirt, error) {
	lk, err := c.client(ctx)
	if err != nil {
		return nil, err
	}
	return lk.lv, nil
}

// DropWatchEvents makes Watch ignore the lifecycle events drop matches, as if they were lost.
// Set it before Watch starts.
func DropWatchEvents(c *Conn, drop func(libvirt.DomainEventLifecycleMsg) bool) { c.dropEvent = drop }
