package inventory

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker/model"
)

// synthetic builds n VMs spread over 10 providers, with NICs and disks like real ones.
func synthetic(n int) []model.VM {
	r := rand.New(rand.NewPCG(1, 2))
	states := []model.PowerState{model.PoweredOn, model.PoweredOn, model.PoweredOn, model.PoweredOff, model.Suspended}
	out := make([]model.VM, n)
	for i := range out {
		out[i] = model.VM{
			ID: fmt.Sprintf("%032x", i), Provider: fmt.Sprintf("vc%d", i%10), NativeID: fmt.Sprintf("vm-%d", i),
			Name: fmt.Sprintf("vm-%06d", r.IntN(1_000_000)), PowerState: states[r.IntN(len(states))],
			CPUs: int32(1 << r.IntN(5)), MemoryMB: int64(512 << r.IntN(6)), GuestOS: "CentOS 7",
			NICs: []model.NIC{{MAC: fmt.Sprintf("00:50:56:%02x:%02x:%02x", i>>16&255, i>>8&255, i&255),
				IPs: []string{fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}}},
			Disks: []model.Disk{{Label: "Hard disk 1", CapacityBytes: int64(r.IntN(200)+1) << 30, FileName: "[ds] x.vmdk"}},
		}
	}
	return out
}

// query100k is the benchmark query: 3 conditions, a sort and a page.
var query100k = Query{
	Conditions: []Condition{
		{Field: "powerState", Op: OpEq, Values: []string{"poweredOn"}},
		{Field: "memoryMB", Op: OpGe, Values: []string{"2048"}},
		{Field: "disks.capacityBytes", Op: OpGt, Values: []string{fmt.Sprint(50 << 30)}},
	},
	Sort:  []SortKey{{Field: "name"}},
	Start: 100, Limit: 50,
}

// latencies times each run of fn and reports the p50 and p99 in milliseconds.
func latencies(b *testing.B, fn func()) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t := time.Now()
		fn()
		lat = append(lat, time.Since(t))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkQuery100k: 3 conditions, a sort and a page over 100,000 VMs, reporting p50/p99.
func BenchmarkQuery100k(b *testing.B) {
	ix := NewIndex()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	ix.Reset(synthetic(100_000))
	load := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	latencies(b, func() {
		r, err := ix.Query(query100k)
		if err != nil || len(r.VMs) != 50 {
			b.Fatal(err, len(r.VMs))
		}
	})
	b.ReportMetric(load.Seconds(), "load-s")
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20), "index-MiB")
}

// BenchmarkQuery100kFloor is the floor of BenchmarkQuery100k: the same query over the same
// data, written by hand over plain dense typed slices (one per field, no engine), so the
// ratio of the two is measured in one run.
func BenchmarkQuery100kFloor(b *testing.B) {
	vms := synthetic(100_000)
	n := len(vms)
	ids, names, states := make([]string, n), make([]string, n), make([]string, n)
	mem, capacity := make([]int64, n), make([]int64, n)
	for i, vm := range vms {
		ids[i], names[i], states[i], mem[i] = vm.ID, vm.Name, string(vm.PowerState), vm.MemoryMB
		capacity[i] = vm.Disks[0].CapacityBytes
	}
	less := func(a, b int32) int {
		if c := strings.Compare(names[a], names[b]); c != 0 {
			return c
		}
		return strings.Compare(ids[a], ids[b])
	}
	latencies(b, func() {
		var hits []int32
		for i := range n {
			if states[i] == "poweredOn" && mem[i] >= 2048 && capacity[i] > 50<<30 {
				hits = append(hits, int32(i))
			}
		}
		page := selectTop(hits, 150, less)[100:]
		out := make([]model.VM, len(page))
		for i, r := range page {
			out[i] = vms[r]
		}
		if len(out) != 50 {
			b.Fatal(len(out))
		}
	})
}

// BenchmarkApply100k: one change batch (1 or 100 upserts of existing VMs, renamed) into an
// index of 100,000 VMs: what the change stream costs, and how long queries wait on the write
// lock (p50/p99 of a whole Apply, the walk of the rows outside the lock included).
func BenchmarkApply100k(b *testing.B) {
	vms := synthetic(100_000)
	ix := NewIndex()
	ix.Reset(vms)
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprint("batch", batch), func(b *testing.B) {
			k := 0
			latencies(b, func() {
				cs := make([]Change, batch)
				for i := range cs {
					vm := vms[(k*batch+i)%len(vms)]
					vm.Name, vm.PowerState = fmt.Sprint("renamed-", k), model.PoweredOff
					cs[i] = Change{Op: Upsert, ID: vm.ID, VM: &vm}
				}
				ix.Apply(cs)
				k++
			})
		})
	}
}

// BenchmarkQuery100kUnderChanges: BenchmarkQuery100k's query while another goroutine applies a
// batch of 100 renames every millisecond: what the write lock and re-ranking new names cost
// the readers.
func BenchmarkQuery100kUnderChanges(b *testing.B) {
	vms := synthetic(100_000)
	ix := NewIndex()
	ix.Reset(vms)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			cs := make([]Change, 100)
			for i := range cs {
				vm := vms[(k*100+i)%len(vms)]
				vm.Name = fmt.Sprint("renamed-", k, "-", i)
				cs[i] = Change{Op: Upsert, ID: vm.ID, VM: &vm}
			}
			ix.Apply(cs)
		}
	}()
	latencies(b, func() {
		if r, err := ix.Query(query100k); err != nil || len(r.VMs) != 50 {
			b.Fatal(err, len(r.VMs))
		}
	})
	close(stop)
	<-done
}
