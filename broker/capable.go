package broker

import (
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// can reports whether provider p's driver can do T, known without connecting: a provider that
// cannot is not asked (nor named as failed) by a fan-out over every provider. A driver this
// process does not know, or that does not say what it can do, is asked.
func can[T any](p model.Provider) bool {
	return !drivers.Can[drivers.Conn](p.Driver) || drivers.Can[T](p.Driver)
}

// HasVMs reports whether a provider has VMs to keep in the inventory: a catalog of images has
// none, so it is neither watched nor listed for VMs, and its sync state is SyncNone.
func HasVMs(p model.Provider) bool { return can[drivers.VMLister](p) || can[drivers.Watcher](p) }
