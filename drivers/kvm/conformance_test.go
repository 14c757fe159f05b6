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
		Open: func(t *testing.T) drivers.Conn { return openNode(t, map[string]string{"disks_pool": "images"}) },
		VM:   web1UUID,
		// libvirt's test driver copies a volume only within its own pool (it looks the source
		// up in the target pool), so created VMs' disks go into the images pool here.
		Image: "/images/debian-12-genericcloud.qcow2",
		Require: []string{
			"VMLister", "DiskLister", "PowerController", "Cloner", "ISOLister", "ImageCatalog", "CapacityReporter", "NetworkLister", "StorageLister", "Watcher",
			"Creator", "Destroyer", "Recoverer", "Expunger",
		},
	})
}
