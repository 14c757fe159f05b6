package app

import (
	"testing"

	"cloudbroker/drivers"
)

// Every driver this binary has says what it can do without connecting (drivers.ConnTyper), so
// capabilities reported before any provider is reached (ZStack's licence: clonevm) come from
// the driver itself and need no list here.
func TestEveryDriverHasAConnType(t *testing.T) {
	if len(drivers.Names()) == 0 {
		t.Fatal("no driver registered")
	}
	for _, name := range drivers.Names() {
		if !drivers.Can[drivers.Conn](name) {
			t.Errorf("driver %q does not implement drivers.ConnTyper", name)
		}
	}
	for name, want := range map[string]bool{"vcenter": true, "kvm": true, "catalog": false} {
		if got := drivers.Can[drivers.Cloner](name); got != want {
			t.Errorf("driver %q can clone: %v, want %v", name, got, want)
		}
	}
	// What ZStack reports as hypervisorType and its licence's vmware capability.
	for name, want := range map[string]string{"vcenter": drivers.HypervisorESX, "kvm": drivers.HypervisorKVM, "catalog": ""} {
		if got := drivers.AttrsOf(name).Hypervisor; got != want {
			t.Errorf("driver %q's hypervisor: %q, want %q", name, got, want)
		}
	}
}
