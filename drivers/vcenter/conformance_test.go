package vcenter_test

import (
	"testing"

	"cloudbroker/drivers"
	"cloudbroker/drivers/drivertest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	// Simulator morefs are assigned in creation order, so every fresh model gives the fixture
	// VM the same id; Open below checks that this stays true.
	want := vmID(t, startSim(t), fixtureVM)
	drivertest.Run(t, drivertest.Fixture{
		VM: want,
		Open: func(t *testing.T) drivers.Conn {
			sim := startSim(t)
			if got := vmID(t, sim, fixtureVM); got != want {
				t.Fatalf("fresh simulator gave %s the id %s, want %s", fixtureVM, got, want)
			}
			// An ISO on the datastore, so ListISOs has something to report.
			if _, err := sim.AddISO("LocalDS_0", "iso/conformance.iso", 0); err != nil {
				t.Fatal(err)
			}
			return openConn(t, sim)
		},
		Require: []string{
			"VMLister", "DiskLister", "PowerController", "Cloner",
			"ISOLister", "ImageCatalog", "CapacityReporter", "Watcher",
		},
	})
}
