package kvm_test

import (
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"cloudbroker/drivers/kvm"
)

// requireDaemon skips the test when no libvirtd answers on the system socket (or a tool the
// test runs is missing), and fails it in CI, where a skip would hide the KVM tests for good.
func requireDaemon(t *testing.T, tools ...string) {
	t.Helper()
	msg := ""
	if c, err := net.DialTimeout("unix", kvm.DefaultSocket, 2*time.Second); err != nil {
		msg = "no libvirtd on " + kvm.DefaultSocket + " (" + err.Error() + ")"
	} else {
		c.Close()
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil && msg == "" {
			msg = tool + " not installed"
		}
	}
	if msg == "" {
		return
	}
	msg += ": run test/scripts/libvirtd.sh as root to install and start libvirtd"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
