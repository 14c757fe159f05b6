package vcenter_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter"
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

// bulkVMs is the size of the large-inventory benchmark: WithBulkVMs copies plus the model's 4.
const bulkVMs = 10_000

// BenchmarkWatchInitialLoad measures Watch's first load of a 10,000-VM simulator: from the call
// to VMSynced (the container view, the collector and every page of WaitForUpdatesEx, decoding
// and the upserts), then cancel. The simulator runs in the same process, so time and allocations
// include its side (it deep-copies every object it returns). heap-B is the live heap, after a
// GC, when VMSynced arrives, above the live heap before Watch started: what Watch keeps (the
// last known properties of every VM), since the emit here keeps nothing.
func BenchmarkWatchInitialLoad(b *testing.B) {
	sim := startSim(b, vcsim.WithBulkVMs(bulkVMs-4))
	c := openConn(b, sim)
	b.ReportAllocs()
	var heap uint64
	for b.Loop() {
		heap = watchLoad(b, c)
	}
	b.ReportMetric(float64(heap), "heap-B")
	b.ReportMetric(float64(bulkVMs), "VMs")
}

func watchLoad(b *testing.B, c *vcenter.Conn) (heap uint64) {
	b.StopTimer()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	b.StartTimer()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	upserts := 0
	errSynced := errors.New("synced")
	err := c.Watch(ctx, func(ev drivers.VMEvent) error {
		switch ev.Kind {
		case drivers.VMUpsert:
			upserts++
		case drivers.VMSynced:
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heap = ms.HeapAlloc - min(before, ms.HeapAlloc)
			b.StartTimer()
			return errSynced // ends the watch: cleanup is part of the cost
		}
		return nil
	})
	if err != errSynced {
		b.Fatalf("Watch: %v", err)
	}
	if upserts != bulkVMs {
		b.Fatalf("%d upserts before VMSynced, want %d", upserts, bulkVMs)
	}
	return heap
}
