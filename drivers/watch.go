package drivers

import (
	"context"

	"cloudbroker/broker/model"
)

// VMEventKind says what a VMEvent reports.
type VMEventKind string

const (
	// VMUpsert: the VM exists with these properties (new or changed).
	VMUpsert VMEventKind = "upsert"
	// VMDelete: the VM with NativeID is gone.
	VMDelete VMEventKind = "delete"
	// VMSynced: every VM that exists has been reported since the watch (re)started; VMs
	// not reported since then are gone. Sent after the initial load and after each resync
	// (e.g. after a reconnect), so a consumer can drop deletes it missed.
	VMSynced VMEventKind = "synced"
)

// VMEvent is one change a Watcher reports.
type VMEvent struct {
	Kind     VMEventKind
	NativeID string
	VM       model.VM // set for VMUpsert
}

// Watcher streams a provider's VMs: first a full load, then changes as they happen, until ctx
// ends or the connection fails. emit is called from one goroutine at a time; an error from
// emit stops the watch and is returned. A dropped session ends Watch with an error wrapping
// model.ErrUnavailable; the caller restarts it, which starts with a full load again.
type Watcher interface {
	Watch(ctx context.Context, emit func(VMEvent) error) error
}
