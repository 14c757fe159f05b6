package kvm_test

import (
	"testing"

	"cloudbroker/drivers/kvm/kvmtest"
)

// requireDaemon skips the test when no libvirtd answers on the system socket (or a tool the
// test runs is missing), and fails it in CI, where a skip would hide the KVM tests for good.
func requireDaemon(t *testing.T, tools ...string) {
	t.Helper()
	kvmtest.RequireDaemon(t, tools...)
}
