package vcenter_test

import (
	"context"
	"testing"

	"cloudbroker/drivers/vcenter/vcsim"
)

// BenchmarkListDisks is one ListDisks (one PropertyCollector call) against the in-process
// simulator over HTTPS.
func BenchmarkListDisks(b *testing.B) {
	sim := startSim(b)
	c := openConn(b, sim)
	vm := vmID(b, sim, fixtureVM)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ListDisks(ctx, vm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListDisksParallel shares one Conn (one session) between goroutines, as the broker's
// workers do.
func BenchmarkListDisksParallel(b *testing.B) {
	sim := startSim(b)
	c := openConn(b, sim)
	vm := vmID(b, sim, fixtureVM)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.ListDisks(context.Background(), vm); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkListVMs lists every VM, with disks and NICs, in one request: the VPX model's 4 VMs
// plus 16 clones.
func BenchmarkListVMs(b *testing.B) {
	sim := startSim(b, vcsim.WithVMs(16))
	c := openConn(b, sim)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		vms, err := c.ListVMs(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(vms) != 20 {
			b.Fatalf("%d VMs, want 20", len(vms))
		}
	}
}
