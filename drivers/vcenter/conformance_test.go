package vcenter_test

import (
	"testing"

	"cloudbroker/drivers"
	"cloudbroker/drivers/drivertest"
	"cloudbroker/drivers/vcenter/vcsim"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	// Simulator morefs are assigned in creation order, so every fresh model gives the fixture
	// VM (and the template made next) the same id; Open below checks that this stays true.
	sim := startSim(t)
	want, wantImage := vmID(t, sim, fixtureVM), makeImage(t, sim)
	drivertest.Run(t, drivertest.Fixture{
		VM:    want,
		Image: wantImage,
		Open: func(t *testing.T) drivers.Conn {
			sim := startSim(t)
			if got := vmID(t, sim, fixtureVM); got != want {
				t.Fatalf("fresh simulator gave %s the id %s, want %s", fixtureVM, got, want)
			}
			if got := makeImage(t, sim); got != wantImage {
				t.Fatalf("fresh simulator gave the template the id %s, want %s", got, wantImage)
			}
			// An ISO on the datastore, so ListISOs has something to report.
			if _, err := sim.AddISO("LocalDS_0", "iso/conformance.iso", 0); err != nil {
				t.Fatal(err)
			}
			return openConn(t, sim)
		},
		Require: []string{
			"VMLister", "DiskLister", "PowerController", "Cloner",
			"ISOLister", "ImageCatalog", "CapacityReporter", "NetworkLister", "StorageLister", "Watcher",
			"Creator", "Destroyer", "Recoverer", "Expunger",
		},
	})
}

// makeImage makes the template the suite creates VMs from.
func makeImage(t *testing.T, sim *vcsim.Sim) string {
	t.Helper()
	id, err := sim.MakeTemplate(testContext(t), vcsim.Template{Source: "DC0_H0_VM1", Name: "conformance-tpl", GuestID: "otherLinux64Guest", Annotation: "conformance template"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
