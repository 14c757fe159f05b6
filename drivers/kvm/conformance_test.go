package kvm_test

import (
	"testing"

	"cloudbroker/drivers"
	"cloudbroker/drivers/drivertest"
)

// TestConformance runs the suite every driver passes against libvirt's test driver; each
// subtest gets its own copy of the fixture host.
func TestConformance(t *testing.T) {
	requireDaemon(t)
	drivertest.Run(t, drivertest.Fixture{
		Open: func(t *testing.T) drivers.Conn { return openNode(t) },
		VM:   web1UUID,
		Require: []string{
			"VMLister", "DiskLister", "PowerController", "Cloner", "ISOLister", "ImageCatalog", "CapacityReporter", "Watcher",
		},
	})
}
